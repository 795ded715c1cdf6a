// Held-out benchmarks for evaluation during training: JSONL files with one
// {"problem": …, "answer": …, "skill"?: …, "id"?: …} per line. A benchmark is named either by a
// path (relative to the example file) or by a name looked up as examples/bench/<name>.jsonl.
// Kept small on purpose: the benchmarks work (hub datasets, parquet, avg@k) extends this module.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

export interface BenchmarkProblem {
  problem: string;
  answer: string;
  skill?: string;
  id?: string;
}

export interface Benchmark {
  name: string;
  file: string;
  problems: BenchmarkProblem[];
}

export class BenchmarkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BenchmarkError";
  }
}

export interface BenchmarkLookup {
  exampleDir: string;
  projectRoot: string;
}

const isPathLike = (ref: string) => ref.includes("/") || ref.includes("\\") || /\.jsonl$/i.test(ref);

/** Where a benchmark reference points, or undefined when a bare name is not found. */
export function locateBenchmark(ref: string, where: BenchmarkLookup): string | undefined {
  if (isPathLike(ref)) {
    const p = path.resolve(where.exampleDir, ref);
    if (existsSync(p)) return p;
    const fromRoot = path.resolve(where.projectRoot, ref);
    return existsSync(fromRoot) ? fromRoot : undefined;
  }
  const named = path.join(where.projectRoot, "examples", "bench", `${ref}.jsonl`);
  return existsSync(named) ? named : undefined;
}

export function benchmarkName(ref: string): string {
  return isPathLike(ref) ? path.basename(ref).replace(/\.jsonl$/i, "") : ref;
}

export function loadBenchmark(ref: string, where: BenchmarkLookup): Benchmark {
  const file = locateBenchmark(ref, where);
  if (!file) {
    throw new BenchmarkError(
      isPathLike(ref)
        ? `The benchmark file ${ref} does not exist (looked next to the example and in the project)`
        : `No benchmark named '${ref}': expected examples/bench/${ref}.jsonl, or give a path to a JSONL file`,
    );
  }
  const problems: BenchmarkProblem[] = [];
  const lines = readFileSync(file, "utf8").split(/\r?\n/);
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new BenchmarkError(`${file}:${i + 1}: not a JSON object; each line must be {"problem": …, "answer": …}`);
    }
    if (typeof o.problem !== "string" || (typeof o.answer !== "string" && typeof o.answer !== "number")) {
      throw new BenchmarkError(`${file}:${i + 1}: each line needs a string "problem" and a string or number "answer"`);
    }
    problems.push({
      problem: o.problem,
      answer: String(o.answer),
      ...(typeof o.skill === "string" ? { skill: o.skill } : {}),
      ...(typeof o.id === "string" || typeof o.id === "number" ? { id: String(o.id) } : {}),
    });
  });
  if (problems.length === 0) throw new BenchmarkError(`The benchmark ${file} holds no problems`);
  return { name: benchmarkName(ref), file, problems };
}

/** A fixed subset of `n` problems, the same for every evaluation of a run with this seed. */
export function subset<T>(items: readonly T[], n: number | null, seed: number): T[] {
  if (n === null || n >= items.length) return [...items];
  const idx = items.map((_, i) => i);
  let s = seed >>> 0 || 1;
  const rand = () => {
    // xorshift32: small, seedable, stable across platforms.
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, n).sort((a, b) => a - b).map((i) => items[i]);
}
