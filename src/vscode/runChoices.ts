// What the editor trains with besides the file, and the settings that gives: the same --preset and
// --set that "Train on this example" passes to `oneshot train`, merged by the same function
// (src/core/example/effective.ts), so lenses, hover defaults and verifier checks show what a run
// started from the editor would use.
import { mergeSettings, type EffectiveSettings, type RunChoices } from "../core/example";
import { settings } from "./settings";

/** The default-preset setting when the file names no preset; the default-model setting when it names no model. */
export function runChoices(frontMatter: Record<string, unknown>): RunChoices {
  const s = settings();
  return {
    ...(frontMatter.preset === undefined && s.defaultPreset ? { preset: s.defaultPreset } : {}),
    sets: frontMatter.model === undefined && s.defaultModel ? [`model=${s.defaultModel}`] : [],
  };
}

/**
 * The effective settings of a front matter (of a file with errors: `{}`). A default-preset setting
 * that names no preset (`oneshot train` would refuse it) shows what the file alone gives.
 */
export function effectiveSettings(frontMatter: Record<string, unknown>): EffectiveSettings {
  const merged = mergeSettings(frontMatter, runChoices(frontMatter));
  if ("settings" in merged) return merged;
  const alone = mergeSettings(frontMatter);
  if ("settings" in alone) return alone;
  throw new Error(`The front matter does not merge: ${alone.errors.join("; ")}`);
}
