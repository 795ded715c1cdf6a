// What the controller tells a person watching: on a TTY one live line (step/total, reward,
// accuracy, tokens/s, ETA) redrawn in place, with log lines printed above it; otherwise plain
// lines, one per step, evaluation and checkpoint, fit for controller.log or a CI log.
import type { CheckpointEvent, EvalEvent, StepEvent } from "../run/events";

export interface ProgressSink {
  step(e: StepEvent, etaS: number | undefined): void;
  eval(e: EvalEvent): void;
  checkpoint(e: CheckpointEvent): void;
  /** A phase inside a step (e.g. "generate 12/64"), shown on the live line only. */
  phase(text: string): void;
  log(level: "info" | "warn" | "error", message: string): void;
  /** Ends the live line. */
  close(): void;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "?";
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.round(s % 60);
  return h ? `${h}h${String(m).padStart(2, "0")}m` : m ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
}

export function stepLine(e: StepEvent, etaS: number | undefined): string {
  const stepTime = e.time_rollout_s + e.time_reward_s + e.time_train_s;
  return [
    `step ${e.step}/${e.total_steps}`,
    `reward ${e.reward_mean.toFixed(3)}`,
    `acc ${e.accuracy.toFixed(2)}`,
    `len ${Math.round(e.response_len_mean)}`,
    `${Math.round(e.rollout_tokens_per_s)} tok/s`,
    `${stepTime.toFixed(1)}s/step`,
    ...(etaS !== undefined ? [`ETA ${formatDuration(etaS)}`] : []),
  ].join("  ");
}

export function evalLine(e: EvalEvent): string {
  return `eval step ${e.step}: ${e.benchmark} ${e.metric} ${(100 * e.value).toFixed(1)}% (n=${e.n})`;
}

export function createProgress(out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }): ProgressSink {
  if (!out.isTTY) {
    const line = (s: string) => out.write(`${new Date().toISOString()} ${s}\n`);
    return {
      step: (e, eta) => line(stepLine(e, eta)),
      eval: (e) => line(evalLine(e)),
      checkpoint: (e) => line(`checkpoint ${e.path} (${e.reason})`),
      phase: () => {},
      log: (level, m) => line(level === "info" ? m : `${level}: ${m}`),
      close: () => {},
    };
  }
  let live = "";
  let phase = "";
  // A pty may report 0 columns (e.g. under `script`): then assume a common width.
  const width = () => Math.max(20, (out.columns || 100) - 1);
  const draw = () => out.write(`\r\x1b[2K${(phase ? (live ? `${live}  [${phase}]` : `[${phase}]`) : live).slice(0, width())}`);
  const above = (s: string) => {
    out.write(`\r\x1b[2K${s}\n`);
    draw();
  };
  return {
    step: (e, eta) => {
      live = stepLine(e, eta);
      phase = "";
      draw();
    },
    eval: (e) => above(evalLine(e)),
    checkpoint: (e) => above(`checkpoint ${e.path} (${e.reason})`),
    phase: (text) => {
      phase = text;
      draw();
    },
    log: (level, m) => above(level === "info" ? m : `${level}: ${m}`),
    close: () => {
      phase = "";
      if (live) {
        draw();
        out.write("\n");
      }
      live = "";
    },
  };
}
