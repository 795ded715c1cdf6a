// The one merge of a run's settings: preset < example front matter < --set. `oneshot train`
// (resolve.ts) and the editor (its lenses, hover defaults and verifier checks) both take their
// effective settings from here, with the same choices the editor passes to `oneshot train`.
import { parse as parseYaml } from "yaml";
import type { PresetName, SettingKey, SettingSource, TrainConfig, TrainSettings } from "./config";
import { PRESET_NAMES } from "./config";
import { PRESETS } from "./presets";
import { closest } from "../text/closest";
import { replacedKey, validate } from "./validate";
import { LORA_LR_MULTIPLIER, usesLora } from "./lora";

/** What a run is started with besides the file: `oneshot train`'s --preset and --set. */
export interface RunChoices {
  /** --preset: wins over the front matter's `preset`. */
  preset?: string;
  /** Used when neither --preset nor the front matter names one. */
  defaultPreset?: string;
  /** --set key=value items; values are YAML scalars or flow lists (e.g. `[a, b]`). */
  sets?: string[];
}

export interface EffectiveSettings {
  preset: PresetName;
  settings: TrainSettings;
  /** Settings that did not come from the preset, and where they came from. */
  overrides: TrainConfig["overrides"];
  /** Settings a rule derived from others (TrainConfig's `derived`); absent when none. */
  derived?: TrainConfig["derived"];
}

export type MergeResult = (EffectiveSettings & { errors: [] }) | { errors: string[] };

/**
 * How a `model` value becomes the model trained (a local folder relative to where it was written,
 * or a hub id); the editor shows models as written and passes none.
 */
export type ModelResolver = (model: string, from: SettingSource) => string;

export const SETTING_KEYS = Object.keys(PRESETS.paper) as SettingKey[];

export function mergeSettings(frontMatter: Record<string, unknown>, choices: RunChoices = {}, resolveModel: ModelResolver = (m) => m): MergeResult {
  const errors: string[] = [];
  const presetName = choices.preset ?? (frontMatter.preset as string | undefined) ?? choices.defaultPreset ?? "local";
  if (!PRESET_NAMES.includes(presetName as PresetName)) {
    return { errors: [`Unknown preset '${presetName}': valid presets are ${PRESET_NAMES.join(", ")}`] };
  }
  const preset = presetName as PresetName;
  const settings = structuredClone(PRESETS[preset]) as TrainSettings;
  const overrides: TrainConfig["overrides"] = {};
  const assign = (key: SettingKey, value: unknown) => ((settings as unknown as Record<string, unknown>)[key] = value);

  settings.model = resolveModel(settings.model, "preset");
  for (const key of SETTING_KEYS) {
    if (!(key in frontMatter)) continue;
    assign(key, key === "model" ? resolveModel(String(frontMatter.model), "example") : frontMatter[key]);
    overrides[key] = "example";
  }

  for (const item of choices.sets ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) {
      errors.push(`--set ${item}: write it as key=value, e.g. --set steps=50`);
      continue;
    }
    const key = item.slice(0, eq).trim();
    const raw = item.slice(eq + 1);
    if (!SETTING_KEYS.includes(key as SettingKey)) {
      const replaced = replacedKey(key);
      if (replaced) {
        errors.push(`--set ${key}: ${replaced}`);
        continue;
      }
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
    assign(key as SettingKey, key === "model" ? resolveModel(raw, "--set") : value);
    overrides[key as SettingKey] = "--set";
  }

  if (settings.micro_batch_size > settings.prompt_copies * settings.rollouts) {
    settings.micro_batch_size = settings.prompt_copies * settings.rollouts;
  }
  if (errors.length) return { errors };
  const derived = loraLr(settings, overrides);
  return { preset, settings, overrides, ...(derived ? { derived } : {}), errors: [] };
}

/** The LoRA lr rule: lr not set in the file or by --set becomes LORA_LR_MULTIPLIER × the preset's. */
function loraLr(settings: TrainSettings, overrides: TrainConfig["overrides"]): TrainConfig["derived"] {
  if (!usesLora(settings) || overrides.lr) return undefined;
  const base = settings.lr;
  // toPrecision: 10 × 1e-6 is 9.999999999999999e-6 in binary floating point.
  settings.lr = Number((LORA_LR_MULTIPLIER * base).toPrecision(12));
  return { lr: `LoRA: ${LORA_LR_MULTIPLIER} × the preset's lr ${base}; set lr to choose another` };
}

// Text settings take the value verbatim (a system prompt like "yes" must stay a string).
const TEXT_KEYS = new Set(["model", "system_prompt", "prompt_template", "prompt_suffix"]);

function parseSetValue(key: string, raw: string): unknown {
  if (key === "prompt_template" && raw === "null") return null;
  if (TEXT_KEYS.has(key) || raw.trim() === "") return raw;
  try {
    return parseYaml(raw) as unknown;
  } catch {
    return raw;
  }
}
