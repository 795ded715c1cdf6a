// Argument details of `oneshot train` that node:util's parseArgs gets wrong for users: a negative
// number after an option (`--steps -3`) reads to it as another option, and `--steps` deserves the
// schema's own sentence ("--steps must be ≥ 1"), not a parser message.
import { parse as parseYaml } from "yaml";
import { validate } from "../core/example/validate";
import { parseGpuMemory } from "../core/plan/forSettings";
import { UsageError } from "./command";

/** `--opt -3` → `--opt=-3` for options that take a value, so a negative number stays a value. */
export function glueNegativeValues(args: string[], valueOptions: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (valueOptions.includes(args[i]) && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${args[i]}=${next}`);
      i++;
    } else out.push(args[i]);
  }
  return out;
}

/** `--steps N` as a `--set` item, after the schema's check of N (a UsageError naming --steps). */
export function stepsSet(raw: string): string {
  let value: unknown;
  try {
    value = raw.trim() === "" ? raw : parseYaml(raw);
  } catch {
    value = raw;
  }
  const problem = validate({ answer: "x", steps: value }).find((p) => p.path[0] === "steps");
  if (problem) throw new UsageError(problem.message.replace(/^`steps`/, "--steps"));
  return `steps=${raw}`;
}

/** `--gpu-memory GB` (train and plan) as a number; a UsageError for anything but a positive number. */
export function gpuMemoryOption(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = parseGpuMemory(raw);
  if (typeof v === "string") throw new UsageError(v);
  return v;
}
