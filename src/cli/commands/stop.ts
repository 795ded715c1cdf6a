import * as path from "node:path";
import { readSummary } from "../../core/run/summary";
import { parseArgs } from "node:util";
import { runFiles } from "../../core/run/layout";
import { liveControllerPid, observeRunStatus } from "../../core/run/status";
import type { Command } from "../command";
import { UsageError, UserError } from "../command";

export const stopCommand: Command = {
  name: "stop",
  summary: "Stop a running run (it checkpoints first)",
  usage: `Usage: oneshot stop RUN_DIR [--wait SECONDS] [--force]

Asks the run's controller to stop: it finishes the current step, saves a
checkpoint and ends the run as stopped (resume it with \`oneshot train --resume\`).
Only the run's own controller is signalled: when its process is gone (even if
another program now has its pid) the run is reported as interrupted.

  --wait SECONDS   how long to wait for it to finish (default 300; 0: do not wait)
  --force          stop at once, without a checkpoint (the engine is killed; the
                   steps since the last checkpoint are lost)`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { wait: { type: "string", default: "300" }, force: { type: "boolean", default: false } },
    });
    if (positionals.length !== 1) throw new UsageError("give the run directory to stop");
    const dir = path.resolve(ctx.cwd, positionals[0]);
    const wait = Number(values.wait);
    if (!Number.isFinite(wait) || wait < 0) throw new UsageError("--wait takes a number of seconds");
    const status = observeRunStatus(dir);
    if (status === undefined) throw new UserError(`${dir} is not a run directory (no status file)`);
    const pid = status === "running" ? liveControllerPid(dir) : undefined;
    if (pid === undefined || !signal(pid, values.force ? FORCE_SIGNAL : "SIGTERM")) {
      const now = observeRunStatus(dir) ?? status;
      const resume = now === "interrupted" ? `: its controller is gone. Continue it with \`oneshot train --resume ${positionals[0]}\`` : "";
      ctx.stdout.write(`The run is not running (${now})${resume}.\n`);
      return 0;
    }
    if (wait === 0) {
      ctx.stdout.write(`Stop requested (pid ${pid}).\n`);
      return 0;
    }
    const deadline = Date.now() + wait * 1000;
    while (Date.now() < deadline && observeRunStatus(dir) === "running") await new Promise((r) => setTimeout(r, 200));
    const final = observeRunStatus(dir);
    if (final === "running") {
      ctx.stdout.write(`Stop requested; the run is still finishing its step (pid ${pid}). Check with \`oneshot runs\`.\n`);
      return 0;
    }
    const read = readSummary(runFiles(dir).summary);
    const summary = read && "summary" in read ? read.summary : undefined;
    const where = summary?.last_checkpoint ? `; last checkpoint ${summary.last_checkpoint}` : "";
    ctx.stdout.write(`Run ${final} at step ${summary?.steps ?? "?"}${where}.\n`);
    return 0;
  },
};

// SIGTERM asks for a graceful stop; the controller stops at once on SIGUSR2. Windows has no such
// signals: there process.kill ends the process whatever the signal.
const FORCE_SIGNAL: NodeJS.Signals = process.platform === "win32" ? "SIGTERM" : "SIGUSR2";

/** False when the process ended just now; other failures (EPERM) are the user's to see. */
function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw new UserError(`could not signal the run's controller (pid ${pid}): ${(e as Error).message}`);
  }
}
