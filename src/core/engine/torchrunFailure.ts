// When one engine rank fails, torchrun ends the others and writes an error summary on its stderr
// (torch.distributed.elastic's ChildFailedError): a "Root Cause (first observed failure)" block
// with the rank, its host, its exit code or signal. That block, read here, is what the controller
// says about the failure, in one sentence: which rank, where, and how it ended (with the last
// Python error printed before torchrun noticed, when the rank raised one).
// Fixtures of real torchrun output: test/unit/engine/fixtures/torchrun/.
import { EngineError, lastErrorLine, MEMORY_HINT } from "./errors";

export interface RankFailure {
  rank: number;
  localRank?: number;
  host?: string;
  /** The process's exit code; negative: killed by that signal (-9 = SIGKILL). */
  exitcode: number;
  /** "SIGKILL", when torchrun names the signal. */
  signal?: string;
  /** The last Python error line before torchrun reported the failure, when there is one. */
  lastError?: string;
}

const ROOT_CAUSE = /^Root Cause \(first observed failure\):\s*$/;
/** torchrun's own log line once it sees a rank fail: every line before it is the ranks' output. */
const NOTICED = /\bfailed \(exitcode: -?\d+\) local_rank: \d+/;

/** The root cause of torchrun's error summary in `lines` (its stderr), or undefined without one. */
export function parseTorchrunFailure(lines: readonly string[]): RankFailure | undefined {
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (ROOT_CAUSE.test(lines[i].trim())) {
      start = i;
      break;
    }
  }
  if (start < 0) return undefined;
  const fields = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    if (/^[=-]{8,}\s*$/.test(line.trim())) break;
    const m = /^\s+(\w+)\s*:\s?(.*)$/.exec(line);
    if (m && !fields.has(m[1])) fields.set(m[1], m[2].trim());
  }
  const rank = /^(\d+)(?:\s*\(local_rank:\s*(\d+)\))?/.exec(fields.get("rank") ?? "");
  const exit = /^(-?\d+)/.exec(fields.get("exitcode") ?? "");
  if (!rank || !exit) return undefined;
  const signal = /\((SIG[A-Z0-9]+)\)/.exec(fields.get("exitcode") ?? "") ?? /Signal \d+ \((SIG[A-Z0-9]+)\)/.exec(fields.get("traceback") ?? "");
  const noticed = lines.findIndex((l) => NOTICED.test(l));
  const lastError = lastErrorLine(noticed >= 0 ? lines.slice(0, noticed) : []);
  return {
    rank: Number(rank[1]),
    ...(rank[2] !== undefined ? { localRank: Number(rank[2]) } : {}),
    ...(fields.get("host") ? { host: fields.get("host") } : {}),
    exitcode: Number(exit[1]),
    ...(signal ? { signal: signal[1] } : {}),
    ...(lastError ? { lastError } : {}),
  };
}

/** "Engine rank 1 (local rank 1 on gpu-7) was killed by SIGKILL". */
export function rankFailureSentence(f: RankFailure): string {
  const where = [f.localRank !== undefined ? `local rank ${f.localRank}` : "", f.host ? `on ${f.host}` : ""].filter(Boolean).join(" ");
  const how = f.exitcode < 0 ? `was killed by ${f.signal ?? `signal ${-f.exitcode}`}` : `exited with code ${f.exitcode}`;
  return `Engine rank ${f.rank}${where ? ` (${where})` : ""} ${how}${f.lastError && f.exitcode >= 0 ? `: ${f.lastError}` : ""}`;
}

/** The EngineError of a torchrun-launched engine whose stderr holds a rank's failure, else undefined. */
export function rankFailureError(stderr: readonly string[], logHint: string): EngineError | undefined {
  const f = parseTorchrunFailure(stderr);
  if (!f) return undefined;
  const resume = "The run's checkpoints are kept: `oneshot train --resume` goes on from the last one.";
  let hint: string;
  if (f.signal === "SIGKILL") hint = `Something killed that process: the kernel's OOM killer does when the machine runs out of memory. ${MEMORY_HINT}`;
  else if (f.lastError && /out of memory/i.test(f.lastError)) hint = MEMORY_HINT;
  else hint = `${logHint} ${resume}`.trim();
  return new EngineError(rankFailureSentence(f), "exited", hint);
}
