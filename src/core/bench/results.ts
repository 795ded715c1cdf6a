// Per-problem results as JSONL: one ProblemResult per line, the format `eval` events point at.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { ProblemResult } from "./runner";

export function writeResults(file: string, results: ProblemResult[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, results.map((r) => JSON.stringify(r)).join("\n") + (results.length ? "\n" : ""));
  renameSync(tmp, file);
}

/** Reads a results file; lines that are not results (torn, corrupt) are skipped. */
export function readResults(file: string): ProblemResult[] {
  const out: ProblemResult[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as ProblemResult;
      if (typeof r.id === "string" && typeof r.score === "number") out.push(r);
    } catch {
      // a torn last line of a results file being written
    }
  }
  return out;
}
