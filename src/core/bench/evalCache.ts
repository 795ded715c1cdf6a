// A cache of finished evaluations keyed by model fingerprint × benchmark data × settings, so
// the same checkpoint (or base model) on the same benchmark is never scored twice — the base
// model's step-0 score is shared by every run that starts from it.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { readResults, writeResults } from "./results";
import type { ProblemResult } from "./runner";
import type { Score } from "./scoring";
import type { BenchProblem, EvalSettings } from "./types";

// Files that define a checkpoint's behaviour; optimizer state and logs do not.
const MODEL_FILE = /\.(safetensors|bin|json|model|txt|jinja|tiktoken)$/;

/**
 * Identifies a model: a local directory by its weight/config/tokenizer files' names, sizes and
 * modification times (checkpoints are written once; hashing gigabytes of weights per evaluation
 * would cost more than it saves); anything else (a hub id) by its name.
 */
export function modelFingerprint(model: string): string {
  let files: string[];
  try {
    if (!statSync(model).isDirectory()) return `id:${model}`;
    // Not the ONNX exports `oneshot try` caches beside a checkpoint (onnx-fp32/, onnx-int8/, onnx-q4/): an
    // export does not change the model, so it must not invalidate its cached scores.
    files = readdirSync(model, { recursive: true, encoding: "utf8" }).filter(
      (f) => MODEL_FILE.test(f) && !f.startsWith("engine_state") && !/^onnx-(fp32|int8|q4)[\\/]/.test(f),
    );
  } catch {
    return `id:${model}`;
  }
  const h = createHash("sha256");
  for (const f of files.sort()) {
    const st = statSync(path.join(model, f));
    if (st.isFile()) h.update(`${f}\0${st.size}\0${Math.floor(st.mtimeMs)}\n`);
  }
  return `dir:${h.digest("hex").slice(0, 32)}`;
}

export function problemsDigest(problems: BenchProblem[]): string {
  const h = createHash("sha256");
  for (const p of problems) h.update(`${p.id}\0${p.problem}\0${p.answer}\n`);
  return h.digest("hex").slice(0, 32);
}

export interface CachedEval {
  benchmark: string;
  metric: string;
  score: Score;
  results: ProblemResult[];
}

export class EvalCache {
  constructor(readonly dir: string) {}

  /**
   * Everything that changes the responses is in the key. Greedy decoding ignores the seed, so it
   * is left out there: `oneshot eval` and a run's step-0 evaluation share the base model's entry.
   */
  key(model: string, benchmark: string, problems: BenchProblem[], settings: EvalSettings, prompt: { prompt_template?: string; stop?: string[] } = {}): string {
    const s = settings.temperature === 0 ? { ...settings, seed: 0 } : settings;
    // "template" as cache keys written before the field took the setting's name spell it.
    const id = JSON.stringify({ v: 1, model, benchmark, data: problemsDigest(problems), settings: s, template: prompt.prompt_template ?? null, stop: prompt.stop ?? [] });
    return createHash("sha256").update(id).digest("hex").slice(0, 40);
  }

  get(key: string): CachedEval | undefined {
    const meta = path.join(this.dir, `${key}.json`);
    const data = path.join(this.dir, `${key}.jsonl`);
    if (!existsSync(meta) || !existsSync(data)) return undefined;
    try {
      const m = JSON.parse(readFileSync(meta, "utf8")) as Omit<CachedEval, "results">;
      return { ...m, results: readResults(data) };
    } catch {
      return undefined;
    }
  }

  put(key: string, entry: CachedEval & { model: string; settings: EvalSettings }): void {
    mkdirSync(this.dir, { recursive: true });
    writeResults(path.join(this.dir, `${key}.jsonl`), entry.results);
    const { results: _results, ...meta } = entry;
    // Written last: an entry counts only once its results are complete.
    writeFileSync(path.join(this.dir, `${key}.json`), JSON.stringify({ ...meta, created: new Date().toISOString() }, null, 2) + "\n");
  }
}
