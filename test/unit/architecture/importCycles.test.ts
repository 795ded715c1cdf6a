// No module in src/ may import itself through others, type-only imports included: a cycle makes
// load order decide what is defined, and a type cycle means neither side is the leaf it should be.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";

const SRC = path.resolve("src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

/** The file a relative specifier names, as the bundler resolves it; null for packages. */
function resolve(from: string, spec: string): string | null {
  if (!spec.startsWith(".")) return null;
  const base = path.resolve(path.dirname(from), spec.replace(/\.js$/, ""));
  const candidates = [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts")];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? null;
}

/** Every module each source file imports, `import type` and `export … from` included. */
export function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const deps = info.importedFiles.map((f) => resolve(file, f.fileName)).filter((d): d is string => d !== null);
    graph.set(file, [...new Set(deps)]);
  }
  return graph;
}

/** One path per strongly connected component that has a cycle (Tarjan). */
export function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

test("src/ has no import cycles, type-only imports included", () => {
  const found = cycles(importGraph(sources(SRC))).map((c) => c.map((f) => path.relative(SRC, f)).join(" ↔ "));
  assert.deepEqual(found, []);
});

/**
 * The folders' import graph. A folder and its subfolders are one area (cli/ and cli/commands/
 * call each other by design), so edges between nested folders are left out.
 */
export function folderGraph(graph: Map<string, string[]>): Map<string, string[]> {
  const nested = (a: string, b: string) => a === b || a.startsWith(b + path.sep) || b.startsWith(a + path.sep);
  const folders = new Map<string, Set<string>>();
  for (const [file, deps] of graph) {
    const from = path.dirname(file);
    const into = folders.get(from) ?? new Set<string>();
    folders.set(from, into);
    for (const dep of deps) if (!nested(from, path.dirname(dep))) into.add(path.dirname(dep));
  }
  return new Map([...folders].map(([folder, deps]) => [folder, [...deps]]));
}

test("src/ folders import each other one way only (protocol types are leaves the monitor imports)", () => {
  const found = cycles(folderGraph(importGraph(sources(SRC)))).map((c) => c.map((f) => path.relative(SRC, f)).join(" ↔ "));
  assert.deepEqual(found, []);
});

test("the check finds a cycle through a type-only import", () => {
  const graph = new Map([
    ["a.ts", ["b.ts"]],
    ["b.ts", ["c.ts"]],
    ["c.ts", ["a.ts"]],
    ["d.ts", ["a.ts"]],
  ]);
  assert.deepEqual(cycles(graph), [["a.ts", "b.ts", "c.ts"]]);
});

test("the folder check ignores a folder calling its subfolder, not two sibling folders", () => {
  const graph = new Map([
    [path.join("cli", "main.ts"), [path.join("cli", "commands", "run.ts")]],
    [path.join("cli", "commands", "run.ts"), [path.join("cli", "command.ts"), path.join("protocol", "m.ts")]],
    [path.join("protocol", "m.ts"), [path.join("monitor", "model.ts")]],
    [path.join("monitor", "session.ts"), [path.join("protocol", "m.ts")]],
  ]);
  assert.deepEqual(cycles(folderGraph(graph)), [["monitor", "protocol"]]);
});
