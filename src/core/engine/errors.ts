// Engine failures as the controller reports them: one sentence plus a hint the user can act on.
import { EngineErrorCode } from "./protocol";

export type EngineFailureKind = "spawn" | "exited" | "rpc";

export class EngineError extends Error {
  constructor(
    message: string,
    readonly kind: EngineFailureKind,
    readonly hint?: string,
    /** JSON-RPC error code for `rpc` failures. */
    readonly code?: number,
  ) {
    super(message);
    this.name = "EngineError";
  }

  get outOfMemory(): boolean {
    return this.code === EngineErrorCode.OutOfMemory;
  }
}

const MEMORY_HINT =
  "Lower prompt_copies, rollouts, max_response_tokens or micro_batch_size (or turn on gradient_checkpointing) and resume with `oneshot train --resume`.";

/** Default hints per engine error code, used when the engine sends none. */
export function defaultHint(code: number): string | undefined {
  switch (code) {
    case EngineErrorCode.OutOfMemory:
      return MEMORY_HINT;
    case EngineErrorCode.ModelNotFound:
      return "Check `model:`: a local folder with config.json and *.safetensors, or a Hugging Face hub id.";
    case EngineErrorCode.Offline:
      return "The model is not in the local cache and the hub cannot be reached: download it first or point `model:` at a local folder.";
    case EngineErrorCode.BadConfig:
      return "Check the run's settings in config.json against the example file's documentation.";
    default:
      return undefined;
  }
}

/** Explains an engine process that ended while the controller still needed it. */
export function exitedError(code: number | null, signal: NodeJS.Signals | null, stderrTail: string[], logHint: string): EngineError {
  const lastError = [...stderrTail].reverse().find((l) => /^\w*(Error|Exception|Interrupt)\b.*:/.test(l.trim()) || /^\w+Error$/.test(l.trim()));
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const message = `The engine process ${how}${lastError ? `: ${lastError.trim()}` : ""}`;
  let hint: string;
  if (signal === "SIGKILL") hint = `The system may have run out of memory (the kernel's OOM killer sends SIGKILL). ${MEMORY_HINT}`;
  else if (lastError && /out of memory/i.test(lastError)) hint = MEMORY_HINT;
  else hint = `${logHint} Resume from the last checkpoint with \`oneshot train --resume\`.`;
  return new EngineError(message, "exited", hint);
}
