// Resolving what the user names — a preset ("math500"), a file, a URL or a hub dataset id
// ("owner/name", "owner/name:config@split") — into a loaded benchmark with its sampling settings.
import { existsSync } from "node:fs";
import * as path from "node:path";
import { DatasetFormatError, rowsToProblems } from "./fields";
import { isDatasetFile, readRows, type Row } from "./files";
import { DatasetUnavailableError, fetchHubDataset, fetchUrlFile, HUB_ID, type HubOptions } from "./hub";
import { findPreset, GREEDY, type BenchmarkPreset } from "./presets";
import type { Benchmark, DatasetSource, EvalSettings, FieldMap } from "./types";

/** A benchmark as written in settings or an example's front matter. */
export interface BenchmarkSpec {
  /** Preset name, file path, URL or hub id. */
  dataset: string;
  name?: string;
  fields?: FieldMap;
  samples?: number;
  temperature?: number;
  max_tokens?: number;
  system_prompt?: string;
  /** Sequences per generate call. */
  batch_size?: number;
  /** Evaluate only the first N problems. */
  limit?: number;
}

export interface LoadOptions {
  /** Project (or packaged extension) root: built-in benchmark files are found relative to it. */
  root: string;
  /** Relative file paths are resolved against it. */
  cwd: string;
  hub: HubOptions;
}

export class BenchmarkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BenchmarkError";
  }
}

/** `owner/name[:config][@split]` → its parts; undefined when `s` is not of that form. */
export function parseHubRef(s: string): { id: string; config?: string; split?: string } | undefined {
  const m = /^([^:@\s]+)(?::([\w.-]+))?(?:@([\w.-]+))?$/.exec(s.replace(/^hf:/, ""));
  if (!m || !HUB_ID.test(m[1]!)) return undefined;
  return { id: m[1]!, config: m[2], split: m[3] };
}

/** Benchmark names are used in file names and event fields: lower-case, no separators but - and _. */
export function benchmarkName(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/\.(jsonl|ndjson|json|parquet)$/, "")
      .replace(/[^a-z0-9_-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "benchmark"
  );
}

/** The name a benchmark reference will load under (events and summaries key on it). */
export function benchmarkNameFor(ref: string): string {
  return findPreset(ref)?.name ?? benchmarkName(path.basename(ref.replace(/^hf:/, "").replace(/[?#].*$/, "").replace(/[:@][\w.-]*$/, "").replace(/[:@][\w.-]*$/, "")));
}

/** Where a bare name finds a project's own benchmark: examples/bench/NAME.jsonl. */
export const projectBenchFile = (root: string, name: string) => path.join(root, "examples", "bench", `${name}.jsonl`);

/** Interprets a string as preset, project benchmark, file, URL or hub id, without reading anything. */
export function classify(dataset: string, o: Pick<LoadOptions, "cwd" | "root">): { preset?: BenchmarkPreset; source: DatasetSource } {
  const preset = findPreset(dataset);
  if (preset) return { preset, source: preset.source };
  if (/^https?:\/\//.test(dataset)) return { source: { kind: "url", url: dataset } };
  if (/^[\w.-]+$/.test(dataset) && existsSync(projectBenchFile(o.root, dataset))) return { source: { kind: "file", path: projectBenchFile(o.root, dataset) } };
  const file = path.resolve(o.cwd, dataset);
  if (existsSync(file) || isDatasetFile(dataset)) return { source: { kind: "file", path: file } };
  const hub = parseHubRef(dataset);
  if (hub) return { source: { kind: "hub", ...hub } };
  throw new BenchmarkError(
    `'${dataset}' is not a benchmark preset, a dataset file or a hub id (presets: math500, aime24, aime25, amc23, minerva, olympiadbench, synthetic)`,
  );
}

/** The raw rows a reference names (preset, file, URL or hub id); failures are BenchmarkErrors. */
export async function readDatasetRows(dataset: string, o: LoadOptions): Promise<{ rows: Row[]; origin: string; preset?: BenchmarkPreset; source: DatasetSource }> {
  const { preset, source } = classify(dataset, o);
  try {
    return { ...(await readSource(source, o)), preset, source };
  } catch (e) {
    if (e instanceof DatasetFormatError || e instanceof DatasetUnavailableError) throw new BenchmarkError(e.message);
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new BenchmarkError(`dataset file not found: ${(e as NodeJS.ErrnoException).path}`);
    throw e;
  }
}

export async function loadBenchmark(spec: string | BenchmarkSpec, o: LoadOptions): Promise<Benchmark> {
  const s: BenchmarkSpec = typeof spec === "string" ? { dataset: spec } : spec;
  const { rows, origin, preset, source } = await readDatasetRows(s.dataset, o);
  let mapped;
  try {
    mapped = rowsToProblems(rows, { ...preset?.fields, ...s.fields }, !preset || s.fields !== undefined);
  } catch (e) {
    if (e instanceof DatasetFormatError) throw new BenchmarkError(`${origin}: ${e.message}`);
    throw e;
  }
  if (mapped.problems.length === 0) throw new BenchmarkError(`${origin} holds no problems with both a problem and an answer`);
  const problems = s.limit !== undefined && s.limit > 0 ? mapped.problems.slice(0, s.limit) : mapped.problems;
  const settings = applyOverrides(preset?.settings ?? GREEDY, s);
  const name = s.name ? benchmarkName(s.name) : (preset?.name ?? benchmarkName(defaultName(source)));
  return { name, title: s.name ?? preset?.title ?? name, source, problems, settings, fromPreset: !!preset, origin };
}

function applyOverrides(base: EvalSettings, s: BenchmarkSpec): EvalSettings {
  const out = { ...base };
  if (s.samples !== undefined) {
    out.samples = s.samples;
    // avg@k needs sampling; asking for k > 1 on a greedy preset means the paper's 0.6.
    if (s.samples > 1 && out.temperature === 0 && s.temperature === undefined) out.temperature = 0.6;
  }
  if (s.temperature !== undefined) out.temperature = s.temperature;
  if (s.max_tokens !== undefined) out.max_new_tokens = s.max_tokens;
  if (s.system_prompt !== undefined) out.system_prompt = s.system_prompt;
  if (s.batch_size !== undefined) out.batch_size = s.batch_size;
  if (out.samples < 1 || !Number.isInteger(out.samples)) throw new BenchmarkError(`samples must be a whole number ≥ 1, not ${out.samples}`);
  return out;
}

function defaultName(source: DatasetSource): string {
  if (source.kind === "file") return path.basename(source.path);
  if (source.kind === "url") return path.basename(new URL(source.url).pathname);
  return source.id.split("/")[1]!;
}

async function readSource(source: DatasetSource, o: LoadOptions): Promise<{ rows: Row[]; origin: string }> {
  switch (source.kind) {
    case "file": {
      const file = path.isAbsolute(source.path) ? source.path : path.join(o.root, source.path);
      return { rows: await readRows(file), origin: path.basename(file) };
    }
    case "url": {
      const { file } = await fetchUrlFile(source.url, o.hub);
      return { rows: await readRows(file), origin: source.url };
    }
    case "hub": {
      const got = await fetchHubDataset(source, o.hub);
      const rows: Row[] = [];
      for (const f of got.files) rows.push(...(await readRows(f)));
      return { rows, origin: `${got.id} (${got.config}/${got.split})` };
    }
  }
}
