// Validates a run's config.json before `--resume` trusts it: the file may have been edited by
// hand since the run started, and its settings get the same schema (and limits) as an example
// file's front matter, so `steps: "ten"` is refused in one sentence instead of training to
// "completed 3/ten".
import type { TrainConfig } from "./config";
import { PRESET_NAMES } from "./config";
import { limitProblems } from "./limits";
import { SETTING_KEYS } from "./effective";
import { PRESETS } from "./presets";
import { replacedKey, validate } from "./validate";

const VERIFIER_KINDS = ["math", "numeric", "exact", "choice", "custom"];

/**
 * Settings whose absence from an older config.json means how that run trained, not its preset's
 * value today: those runs put the bare problem in the training prompt.
 */
const TRAINED_WITHOUT: Partial<Record<string, unknown>> = { prompt_suffix: "" };

/**
 * One sentence per problem, each naming the field (e.g. `settings.steps`); empty when usable.
 * Settings a config.json from an older version lacks are filled in from its preset first and
 * listed in `filled`.
 */
export function checkRunConfig(value: unknown): { problems: string[]; filled: string[] } {
  const filled: string[] = [];
  const problems = runConfigProblems(value, filled);
  return { problems, filled };
}

function runConfigProblems(value: unknown, filled: string[]): string[] {
  if (!isObject(value)) return ["it must hold a JSON object"];
  if (value.version !== 1) return [`version must be 1 (got ${JSON.stringify(value.version) ?? "nothing"})`];
  const out: string[] = [];
  const example = value.example;
  const settings = value.settings;
  if (!isObject(example)) out.push("example must be an object with file, problem, answer and verifier");
  else {
    for (const key of ["file", "problem", "answer"] as const) {
      if (typeof example[key] !== "string" || example[key] === "") out.push(`example.${key} must be a non-empty string`);
    }
    const v = example.verifier;
    if (!isObject(v) || !VERIFIER_KINDS.includes(v.kind as string)) out.push(`example.verifier.kind must be one of ${VERIFIER_KINDS.join(", ")}`);
    else if (v.kind === "custom" && typeof v.source !== "string") out.push("example.verifier.source must be the custom verifier's JavaScript");
  }
  const preset = PRESET_NAMES.find((p) => p === value.preset);
  if (!preset) out.push(`preset must be one of ${PRESET_NAMES.join(", ")}`);
  if (!isObject(settings)) return [...out, "settings must be an object"];
  for (const key of SETTING_KEYS) {
    if (key in settings || !preset) continue;
    const before = key in TRAINED_WITHOUT ? TRAINED_WITHOUT[key] : (PRESETS[preset] as unknown as Record<string, unknown>)[key];
    settings[key] = structuredClone(before);
    filled.push(key);
  }
  // The schema describes front matter, which also needs an answer; it is checked above.
  const problems = validate({ answer: "x", ...settings }).filter((p) => p.path[0] !== "answer");
  out.push(...problems.map((p) => (p.key !== undefined ? `settings has an unknown key \`${p.key}\`${replacedKey(p.key) ? ` (${replacedKey(p.key)})` : ""}` : p.message.replace(/^`/, "`settings."))));
  if (out.length) return out;
  return limitProblems(settings as unknown as TrainConfig["settings"], String((example as Record<string, unknown>).problem));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
