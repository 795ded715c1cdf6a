// Resolves the configuration of a run: preset < example front matter < --set overrides.
import { existsSync } from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import type { PresetName, SettingKey, TrainConfig, TrainSettings } from "./config";
import { PRESET_NAMES } from "./config";
import { limitProblems } from "./limits";
import type { ParsedExample } from "./parse";
import { PRESETS } from "./presets";
import { closest } from "../text/closest";
import { validate } from "./validate";

export interface ResolveInput {
  example: ParsedExample;
  runId: string;
  /** Folder holding examples/ (relative models of presets resolve against it). */
  projectRoot: string;
  /** Directory --set paths are relative to. */
  cwd: string;
  /** --preset: wins over the front matter's `preset`. */
  preset?: string;
  /** Used when neither --preset nor the front matter names one. */
  defaultPreset?: PresetName;
  /** --set key=value items; values are YAML scalars or flow lists (e.g. `[a, b]`). */
  sets?: string[];
  now?: Date;
}

export type ResolveResult = { config: TrainConfig; errors: [] } | { config?: undefined; errors: string[] };

const SETTING_KEYS = Object.keys(PRESETS.paper) as SettingKey[];

export function resolveConfig(input: ResolveInput): ResolveResult {
  const errors: string[] = [];
  const fm = input.example.frontMatter;
  const presetName = input.preset ?? (fm.preset as string | undefined) ?? input.defaultPreset ?? "local";
  if (!PRESET_NAMES.includes(presetName as PresetName)) {
    return { errors: [`Unknown preset '${presetName}': valid presets are ${PRESET_NAMES.join(", ")}`] };
  }
  const preset = presetName as PresetName;
  const settings = structuredClone(PRESETS[preset]) as TrainSettings;
  const overrides: TrainConfig["overrides"] = {};
  const exampleDir = path.dirname(input.example.file);
  const assign = (key: SettingKey, value: unknown) => ((settings as unknown as Record<string, unknown>)[key] = value);

  settings.model = resolveModel(settings.model, [input.projectRoot]);
  for (const key of SETTING_KEYS) {
    if (!(key in fm)) continue;
    assign(key, key === "model" ? resolveModel(String(fm.model), [exampleDir, input.projectRoot]) : fm[key]);
    overrides[key] = "example";
  }

  for (const item of input.sets ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) {
      errors.push(`--set ${item}: write it as key=value, e.g. --set steps=50`);
      continue;
    }
    const key = item.slice(0, eq).trim();
    const raw = item.slice(eq + 1);
    if (!SETTING_KEYS.includes(key as SettingKey)) {
      const near = closest(key, SETTING_KEYS);
      errors.push(`--set ${key}: not a setting${near ? ` (did you mean ${near}?)` : ""}; settings are ${SETTING_KEYS.join(", ")}`);
      continue;
    }
    const value = parseSetValue(key, raw);
    const problems = validate({ answer: "x", [key]: value }).filter((p) => p.path[0] === key);
    if (problems.length) {
      errors.push(...problems.map((p) => `--set ${key}=${raw}: ${p.message}`));
      continue;
    }
    assign(key as SettingKey, key === "model" ? resolveModel(raw, [input.cwd, input.projectRoot]) : value);
    overrides[key as SettingKey] = "--set";
  }

  if (settings.micro_batch_size > settings.prompt_copies * settings.rollouts) {
    settings.micro_batch_size = settings.prompt_copies * settings.rollouts;
  }
  if (!errors.length) errors.push(...limitProblems(settings, input.example.problem));
  if (errors.length) return { errors };

  const fmVerifier = fm.verifier as TrainConfig["example"]["verifier"]["kind"] | undefined;
  const source = input.example.verifierSource;
  const verifier: TrainConfig["example"]["verifier"] =
    (fmVerifier === "custom" || (fmVerifier === undefined && source !== undefined)) && source !== undefined
      ? { kind: "custom", source }
      : { kind: fmVerifier && fmVerifier !== "custom" ? fmVerifier : "math" };

  return {
    config: {
      version: 1,
      run_id: input.runId,
      created: (input.now ?? new Date()).toISOString(),
      example: {
        file: path.resolve(input.example.file),
        ...(typeof fm.title === "string" ? { title: fm.title } : {}),
        problem: input.example.problem,
        answer: String(fm.answer),
        verifier,
      },
      preset,
      settings,
      overrides,
    },
    errors: [],
  };
}

// Text settings take the value verbatim (a system prompt like "yes" must stay a string).
const TEXT_KEYS = new Set(["model", "system_prompt", "prompt_template"]);

function parseSetValue(key: string, raw: string): unknown {
  if (key === "prompt_template" && raw === "null") return null;
  if (TEXT_KEYS.has(key) || raw.trim() === "") return raw;
  try {
    return parseYaml(raw) as unknown;
  } catch {
    return raw;
  }
}

/**
 * A model is a local folder when it exists relative to one of `bases` (first match wins) or is
 * absolute; otherwise it is taken as a hub id (e.g. Qwen/Qwen2.5-Math-1.5B) and left as written.
 */
export function resolveModel(model: string, bases: string[]): string {
  if (path.isAbsolute(model)) return model;
  for (const base of bases) {
    const candidate = path.resolve(base, model);
    if (existsSync(candidate)) return candidate;
  }
  return model;
}
