// A CLI context whose stdout and stderr are captured, for tests that run `oneshot` commands.
import * as path from "node:path";
import { PassThrough } from "node:stream";
import type { CliContext } from "../../src/cli/command";

export type CapturedCli = CliContext & { out: () => string; err: () => string };

export function captureCli(opts: { installDir?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): CapturedCli {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = "";
  let e = "";
  stdout.on("data", (d) => (o += d));
  stderr.on("data", (d) => (e += d));
  return {
    installDir: opts.installDir ?? path.resolve("src/cli"),
    stdout,
    stderr,
    cwd: opts.cwd ?? process.cwd(),
    env: opts.env ?? process.env,
    out: () => o,
    err: () => e,
  };
}
