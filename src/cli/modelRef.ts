// What `oneshot eval MODEL_OR_CHECKPOINT` accepts: a model folder (Hugging Face layout), a
// checkpoint inside a run, a run (its latest checkpoint), or a hub model id.
import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { latestCheckpoint } from "../core/try/target";
import { UserError } from "./command";

export interface ModelRef {
  /** What the engine loads: an absolute folder or a hub id. */
  model: string;
  /** Short name for output folders, e.g. "tiny-math" or "20260101-pi1-step-30". */
  label: string;
  /** The run the checkpoint belongs to, when it is one. */
  runDir?: string;
}

const isModelDir = (d: string) => existsSync(path.join(d, "config.json")) && readdirSync(d).some((f) => /\.(safetensors|bin)$/.test(f));

export function resolveModel(ref: string, cwd: string): ModelRef {
  const abs = path.resolve(cwd, ref);
  if (existsSync(abs) && statSync(abs).isDirectory()) {
    if (isModelDir(abs)) {
      const parent = path.dirname(abs);
      if (path.basename(parent) !== "checkpoints") return { model: abs, label: path.basename(abs) };
      const runDir = path.dirname(parent);
      return { model: abs, label: `${path.basename(runDir)}-${path.basename(abs)}`, runDir };
    }
    const ckpt = latestCheckpoint(abs);
    if (ckpt) return { model: ckpt, label: `${path.basename(abs)}-${path.basename(ckpt)}`, runDir: abs };
    throw new UserError(`${ref} holds no model (no config.json with weights) and no checkpoints/step-N of a run`);
  }
  if (/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(ref) && !existsSync(abs)) return { model: ref, label: ref.replace("/", "__") };
  throw new UserError(`model '${ref}' is neither a folder nor a hub id (OWNER/NAME)`);
}
