// The export folder's manifest (engine/oneshot_engine/export_onnx.py writes it last, so a folder
// without it is an unfinished export) and the checks made before anything is loaded.
import { existsSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { TryError } from "./errors";

export const MANIFEST = "oneshot_export.json";
export const FORMAT_VERSION = 1;

export interface SourceWeight {
  name: string;
  size: number;
  mtime_ns: string;
}

export interface ExportManifest {
  format_version: number;
  source: string;
  source_weights: SourceWeight[];
  model_file: string;
  quantize: "int8" | "q4" | null;
  model_type: string;
  num_layers: number;
  num_kv_heads: number;
  head_dim: number;
  vocab_size: number;
  params: number;
  max_logit_diff: number | null;
  /** How far the quantised graph's logits are from the engine's (absent in older exports). */
  quantized_logit_diff?: number | null;
  /** The exporting process's peak resident memory (absent in older exports; null on Windows). */
  peak_rss_mib?: number | null;
  bytes: number;
  seconds: number;
}

/** The manifest of a finished export, or a sentence saying why `dir` is not one. */
export function readManifest(dir: string): ExportManifest {
  const file = path.join(dir, MANIFEST);
  if (!existsSync(file)) throw new TryError(`${dir} is not a finished ONNX export (it has no ${MANIFEST}); export it with \`oneshot export MODEL --onnx\``);
  let m: ExportManifest;
  try {
    m = JSON.parse(readFileSync(file, "utf8")) as ExportManifest;
  } catch (e) {
    throw new TryError(`${file} is not valid JSON (${(e as Error).message}); export the model again`);
  }
  if (m.format_version !== FORMAT_VERSION) throw new TryError(`${dir} was exported in format ${m.format_version}, this version reads format ${FORMAT_VERSION}; export the model again`);
  if (!existsSync(path.join(dir, m.model_file))) throw new TryError(`${dir} lacks its model file ${m.model_file}; export the model again`);
  if (!existsSync(path.join(dir, "tokenizer.json"))) throw new TryError(`${dir} has no tokenizer.json, so its text cannot be tokenized; copy the base model's tokenizer files into it`);
  return m;
}

/** Whether the export was made from the weights now in `modelDir` (same files, sizes and times). */
export function isCurrent(m: ExportManifest, modelDir: string): boolean {
  return m.source_weights.every((w) => {
    const f = path.join(modelDir, w.name);
    if (!existsSync(f)) return false;
    const st = statSync(f, { bigint: true });
    return Number(st.size) === w.size && st.mtimeNs === BigInt(w.mtime_ns);
  });
}

// ONNX Runtime holds the weights once, plus its arena and the KV cache: measured 1.3-1.5x the
// model file on the tiny and 0.5B-shaped exports.
const LOAD_MEMORY_FACTOR = 1.6;

/** Throws, before loading, when the model would not fit in the free memory. */
export function checkMemory(dir: string, m: ExportManifest, freeBytes: number): void {
  // A graph over 2 GiB keeps its weights in <model file>_data beside it.
  const files = [m.model_file, `${m.model_file}_data`].map((f) => path.join(dir, f)).filter((f) => existsSync(f));
  const need = files.reduce((sum, f) => sum + statSync(f).size, 0) * LOAD_MEMORY_FACTOR;
  if (need > freeBytes) {
    const gib = (b: number) => (b / 2 ** 30).toFixed(1);
    throw new TryError(`this model needs about ${gib(need)} GiB of memory to run but only ${gib(freeBytes)} GiB is free; close other programs or try a 4-bit export (--quantize q4)`);
  }
}
