// Benchmarks as users write them in settings (`oneshot.eval.benchmarks`) or an example's front
// matter (`benchmarks:`): a string (preset, file, URL, hub id) or an object with overrides.
import type { BenchmarkSpec } from "./load";

const NUMBER_KEYS = ["samples", "temperature", "max_tokens", "limit", "batch_size"] as const;
const STRING_KEYS = ["name", "system_prompt"] as const;
const FIELD_KEYS = ["problem", "answer", "solution", "id", "skill"] as const;

/** Validates one entry; returns the spec or a sentence saying what is wrong with it. */
export function parseBenchmarkSpec(value: unknown): BenchmarkSpec | string {
  if (typeof value === "string") return value.trim() ? { dataset: value.trim() } : "a benchmark name cannot be empty";
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "a benchmark is a name, a path or an object with a 'dataset'";
  const o = value as Record<string, unknown>;
  if (typeof o.dataset !== "string" || !o.dataset.trim()) return "a benchmark object needs 'dataset' (a preset, file, URL or hub id)";
  const spec: BenchmarkSpec = { dataset: o.dataset.trim() };
  for (const k of NUMBER_KEYS) {
    if (o[k] === undefined) continue;
    if (typeof o[k] !== "number" || !Number.isFinite(o[k]) || (o[k] as number) < 0) return `'${k}' must be a non-negative number`;
    spec[k] = o[k] as number;
  }
  if (spec.samples !== undefined && (!Number.isInteger(spec.samples) || spec.samples < 1)) return "'samples' must be a whole number ≥ 1";
  for (const k of STRING_KEYS) {
    if (o[k] === undefined) continue;
    if (typeof o[k] !== "string") return `'${k}' must be text`;
    spec[k] = o[k] as string;
  }
  if (o.fields !== undefined) {
    if (typeof o.fields !== "object" || o.fields === null) return "'fields' maps problem/answer/solution/id/skill to column names";
    const f = o.fields as Record<string, unknown>;
    const unknown = Object.keys(f).find((k) => !(FIELD_KEYS as readonly string[]).includes(k));
    if (unknown) return `'fields' has an unknown key '${unknown}' (known: ${FIELD_KEYS.join(", ")})`;
    if (Object.values(f).some((v) => typeof v !== "string")) return "'fields' values must be column names";
    spec.fields = f as BenchmarkSpec["fields"];
  }
  const unknown = Object.keys(o).find((k) => !["dataset", "fields", ...NUMBER_KEYS, ...STRING_KEYS].includes(k));
  if (unknown) return `unknown benchmark key '${unknown}'`;
  return spec;
}
