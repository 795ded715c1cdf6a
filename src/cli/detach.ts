// `oneshot train --detach`: the run directory is ready (config.json written, or a run to resume);
// a detached child runs its controller, writing RUN_DIR/controller.log, and this process returns
// once the child holds the directory. The child gets the directory alone (`train --start DIR` or
// `train --resume DIR`, with where the engine runs: --devices, --nnodes …), never the example
// file: what it trains is what config.json says.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { runFiles } from "../core/run/layout";
import type { CliContext } from "./command";
import { UserError } from "./command";

/** Marks the detached child's environment: its stdout is the log, so it prints no banner. */
export const DETACHED_ENV = "ONESHOT_DETACHED";

const START_TIMEOUT_MS = 60_000;

export async function detachRun(runDir: string, resume: boolean, python: string, ctx: CliContext, launchArgs: string[] = []): Promise<number> {
  // The bundle (dist/cli.js) runs on plain node; from sources, keep the loader flags (e.g. tsx).
  const bundled = path.join(ctx.installDir, "cli.js");
  const [script, execArgv] = existsSync(bundled) ? [bundled, []] : [process.argv[1], process.execArgv];
  const files = runFiles(runDir);
  const logFd = openSync(files.controllerLog, "a");
  const child = spawn(process.execPath, [...execArgv, script, "train", resume ? "--resume" : "--start", runDir, "--python", python, ...launchArgs], {
    cwd: ctx.cwd,
    env: { ...ctx.env, [DETACHED_ENV]: "1" },
    detached: true,
    stdio: ["ignore", logFd, logFd],
  });
  closeSync(logFd);
  let exitCode: number | null | undefined;
  child.once("exit", (code) => (exitCode = code));
  child.unref();
  // Wait until the child holds the directory (status "running" with its pid) or gives up.
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) break;
    const status = existsSync(files.status) ? readFileSync(files.status, "utf8") : undefined;
    const pid = existsSync(files.pid) ? Number(readFileSync(files.pid, "utf8")) : undefined;
    if (status?.trim() === "running" && pid === child.pid) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (exitCode !== undefined && exitCode !== 0) {
    const tail = readFileSync(files.controllerLog, "utf8").trim().split("\n").slice(-5).join("\n");
    throw new UserError(`the background run exited at once (code ${exitCode}):\n${tail}`);
  }
  ctx.stdout.write(`${runDir}\n`);
  ctx.stderr.write(`Training in the background (pid ${child.pid}). Follow it with: tail -f ${files.controllerLog}\nStop it with: oneshot stop ${runDir}\n`);
  return 0;
}
