// Problems the panel offers for a model: its run's example, then problems from the benchmarks
// the run evaluated (the latest results file of each), else the built-in synthetic benchmark.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { TryProblemChoice } from "../../protocol/tryMessages";
import { runFiles } from "../run/layout";
import type { TryTarget } from "./target";

const PER_BENCHMARK = 50;

function readJsonl(file: string, limit: number): { id?: string; problem?: unknown; answer?: unknown }[] {
  try {
    const lines = readFileSync(file, "utf8").split("\n").filter((l) => l.trim());
    return lines.slice(0, limit).map((l) => JSON.parse(l) as { id?: string; problem?: unknown; answer?: unknown });
  } catch {
    return [];
  }
}

function rows(file: string, source: string): TryProblemChoice[] {
  return readJsonl(file, PER_BENCHMARK)
    .filter((r) => typeof r.problem === "string")
    .map((r, i) => ({ id: `${source}:${r.id ?? i}`, source, problem: r.problem as string, ...(r.answer != null ? { answer: String(r.answer) } : {}) }));
}

/** The evaluated benchmarks' latest per-problem results files (evals/<bench>/step-N.jsonl). */
function evaluatedFiles(runDir: string): [string, string][] {
  const dir = runFiles(runDir).evals;
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((bench) => {
    const files = readdirSync(path.join(dir, bench))
      .map((f) => ({ f, step: Number(/^step-(\d+)\.jsonl$/.exec(f)?.[1]) }))
      .filter((x) => Number.isInteger(x.step))
      .sort((a, b) => b.step - a.step);
    return files[0] ? [[bench, path.join(dir, bench, files[0].f)] as [string, string]] : [];
  });
}

export function problemChoices(target: TryTarget, syntheticFile: string): TryProblemChoice[] {
  const out: TryProblemChoice[] = [];
  if (target.example) out.push({ id: "example", source: "example", problem: target.example.problem, answer: target.example.answer });
  const evaluated = target.runDir ? evaluatedFiles(target.runDir) : [];
  for (const [bench, file] of evaluated) out.push(...rows(file, bench));
  if (!evaluated.length && existsSync(syntheticFile)) out.push(...rows(syntheticFile, "synthetic"));
  return out;
}
