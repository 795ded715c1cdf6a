// `oneshot`: the command-line front of One-Shot RLVR. Everything the extension does to a run can
// be done from here, e.g. over SSH on a GPU box.
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { asDiskFull, isDiskFull } from "../core/run/diskFull";
import { UsageError, UserError, type CliContext } from "./command";
import { commands } from "./commands/index";
import { guardOutput } from "./output";

const VERSION = "0.1.0";

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "Usage: oneshot <command> [options]",
    "",
    "One-shot RLVR: reinforcement learning with verifiable rewards from a single example.",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `oneshot <command> --help` for a command's options.",
  ].join("\n");
}

export async function main(argv: string[], raw: CliContext): Promise<number> {
  const stderr = guardOutput(raw.stderr);
  // A closed stdout (`| head`) is told once on stderr; the command itself carries on.
  const stdout = guardOutput(raw.stdout, (code) => stderr.write(`oneshot: standard output is closed (${code}); carrying on without it.\n`));
  const ctx: CliContext = { ...raw, stdout, stderr };
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    ctx.stdout.write(usage() + "\n");
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-V") {
    ctx.stdout.write(VERSION + "\n");
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    ctx.stderr.write(`oneshot: unknown command '${name}'. Run \`oneshot --help\` to see the commands.\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    ctx.stdout.write(command.usage + "\n");
    return 0;
  }
  try {
    return await command.run(rest, ctx);
  } catch (e) {
    if (e instanceof UsageError || (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))) {
      ctx.stderr.write(`oneshot ${name}: ${(e as Error).message}. Run \`oneshot ${name} --help\` for usage.\n`);
      return 2;
    }
    if (e instanceof UserError) {
      ctx.stderr.write(`oneshot ${name}: ${e.message}\n`);
      return 1;
    }
    if (isDiskFull(e)) {
      ctx.stderr.write(`oneshot ${name}: ${(asDiskFull(e, ctx.cwd) as Error).message}.\nHint: free some space on that disk and try again.\n`);
      return 1;
    }
    throw e;
  }
}

const isEntry = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntry) {
  const stderr = guardOutput(process.stderr);
  const ctx: CliContext = {
    installDir: path.dirname(fileURLToPath(import.meta.url)),
    stdout: process.stdout,
    stderr,
    cwd: process.cwd(),
    env: process.env,
  };
  main(process.argv.slice(2), ctx).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      stderr.write(`oneshot: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
