// Engine failures as the controller reports them: one sentence plus a hint the user can act on.
// The engine says what happened (a code, a sentence, a reason); what to try is worded here, once,
// in the names of the settings the user can change.
import { EngineErrorCode, type ErrorReason } from "./protocol";

export type EngineFailureKind = "spawn" | "exited" | "rpc";

export class EngineError extends Error {
  constructor(
    message: string,
    readonly kind: EngineFailureKind,
    readonly hint?: string,
    /** JSON-RPC error code for `rpc` failures. */
    readonly code?: number,
    /** OutOfMemory: the engine method that ran out (data.phase). */
    readonly phase?: string,
  ) {
    super(message);
    this.name = "EngineError";
  }

  get outOfMemory(): boolean {
    return this.code === EngineErrorCode.OutOfMemory;
  }
}

export const MEMORY_HINT =
  "Lower prompt_copies, rollouts, max_response_tokens or micro_batch_size (or turn on gradient_checkpointing) and resume with `oneshot train --resume`.";

/** What to lower when a phase runs out of GPU memory, in the settings' names. */
const PHASE_MEMORY_HINTS: Record<string, string> = {
  generate: "Generating rollouts ran out of memory: lower rollout_wave_size (rollouts generated at once) or max_response_tokens (for an evaluation: eval_batch_size).",
  train_step: "The training pass ran out of memory: lower micro_batch_size or turn on gradient_checkpointing.",
  load: "Loading the model and its training state ran out of memory: set kl_coef to 0 (no reference copy) or pick a smaller model.",
};

/**
 * The hint of an out-of-memory error during a run: what to lower for the phase that ran out, the
 * command that shows what fits, and how to go on (a failed run keeps its checkpoints).
 */
export function outOfMemoryHint(phase: string | undefined, example = "EXAMPLE"): string {
  const lower = (phase !== undefined && Object.hasOwn(PHASE_MEMORY_HINTS, phase) ? PHASE_MEMORY_HINTS[phase] : undefined) ?? "Lower prompt_copies, rollouts, max_response_tokens or micro_batch_size.";
  return `${lower} \`oneshot plan ${example}\` shows what fits this GPU. The run's checkpoints are kept: \`oneshot train --resume\` goes on from the last one.`;
}

/** Advice for one case of an error code, where it differs from the code's. */
const REASON_HINTS: Record<ErrorReason, string> = {
  not_a_model: "Set `model:` to a local folder with config.json and *.safetensors, or a Hugging Face hub id such as Qwen/Qwen2.5-Math-1.5B.",
  gated: "Accept the model's licence on huggingface.co and log in with `hf auth login`, or set `model:` to another model.",
  no_safetensors: "Convert the .bin/.pth weights to safetensors (transformers' save_pretrained) and set `model:` to that folder.",
  offline_mode: "Download the model once with network access (`hf download MODEL`) or unset HF_HUB_OFFLINE, or set `model:` to a local folder.",
  download_failed: "Check the network connection and the disk space of the Hugging Face cache, or set `model:` to a local folder.",
  unsupported_model: "Pick a Qwen2/Qwen2.5, Llama 3.x or Qwen3 model (`model:` in an example file).",
  no_tokenizer: "The engine reads fast-tokenizer files: save the model's tokenizer with transformers (it writes tokenizer.json) into the `model:` folder.",
  no_cuda: "Check the NVIDIA driver and that the engine environment has a CUDA build of torch (`oneshot setup`), or set `device: cpu`.",
  not_enough_memory: "Close other programs, or export on a machine with more memory.",
  not_quantisable: "Export it in fp32 (no --quantize) or with --quantize int8 instead.",
  no_reference: "kl_coef above 0 needs the frozen reference copy, which a run loads only when it starts with kl_coef above 0: set kl_coef to 0, or start a new run.",
};

/** The hint for an engine error: by its reason when it has one, else by its code. */
export function defaultHint(code: number, reason?: ErrorReason): string | undefined {
  if (reason && Object.hasOwn(REASON_HINTS, reason)) return REASON_HINTS[reason];
  switch (code) {
    case EngineErrorCode.OutOfMemory:
      return MEMORY_HINT;
    case EngineErrorCode.ModelNotFound:
      return "Check `model:`: a local folder with config.json and *.safetensors, or a Hugging Face hub id.";
    case EngineErrorCode.Offline:
      return "The model is not in the local cache and the hub cannot be reached: download it first or point `model:` at a local folder.";
    case EngineErrorCode.BadConfig:
      return "Check the run's settings in config.json against the example file's documentation.";
    case EngineErrorCode.NoBatch:
      return "The engine no longer holds this step's rollouts: resume with `oneshot train --resume`.";
    case EngineErrorCode.BadCheckpoint:
      return "Resume from an earlier checkpoint of the run: `oneshot train --resume` falls back to one by itself.";
    default:
      return undefined;
  }
}

/** Explains an engine process that ended while the controller still needed it. */
export function exitedError(code: number | null, signal: NodeJS.Signals | null, stderrTail: string[], logHint: string): EngineError {
  const lastError = lastErrorLine(stderrTail);
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const message = `The engine process ${how}${lastError ? `: ${lastError}` : ""}`;
  let hint: string;
  if (signal === "SIGKILL") hint = `The system may have run out of memory (the kernel's OOM killer sends SIGKILL). ${MEMORY_HINT}`;
  else if (lastError && /out of memory/i.test(lastError)) hint = MEMORY_HINT;
  else hint = `${logHint} Resume from the last checkpoint with \`oneshot train --resume\`.`;
  return new EngineError(message, "exited", hint);
}

/** The last line of a Python error ("RuntimeError: …") in `lines`, trimmed. */
export function lastErrorLine(lines: readonly string[]): string | undefined {
  return [...lines].reverse().find((l) => /^\w*(Error|Exception|Interrupt)\b.*:/.test(l.trim()) || /^\w+Error$/.test(l.trim()))?.trim();
}
