// The shape of one `oneshot` subcommand. Each lives in src/cli/commands/<name>.ts and is listed
// in src/cli/commands/index.ts.

export interface CliContext {
  /** Where the running CLI bundle lives; engine sources and examples are found relative to it. */
  installDir: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  name: string;
  /** One line for `oneshot --help`. */
  summary: string;
  /** Full usage text for `oneshot NAME --help`. */
  usage: string;
  /** Returns the process exit code. Throw UsageError for bad arguments. */
  run(args: string[], ctx: CliContext): Promise<number>;
}

/** A mistake in how the command was called: printed as one sentence plus a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A failure the user can act on: printed as its message alone, without a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    /** The process exit code: 1, or one a caller tells apart (see VERIFIER_REFUSED_EXIT_CODE). */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "UserError";
  }
}
