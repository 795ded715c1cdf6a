// Resolves the configuration of a run: the merged settings (effective.ts: preset < example front
// matter < --set), models resolved to folders, cross-setting limits and the verifier.
import { existsSync } from "node:fs";
import * as path from "node:path";
import type { PresetName, SettingSource, TrainConfig } from "./config";
import { mergeSettings, type MergeResult, type RunChoices } from "./effective";
import { limitProblems } from "./limits";
import { loraSettingProblems } from "./loraCheck";
import type { ParsedExample } from "./parse";
import { verifierSpecOf } from "./verifierSpec";

export interface ResolveInput extends RunChoices {
  example: ParsedExample;
  runId: string;
  /** Folder holding examples/ (relative models of presets resolve against it). */
  projectRoot: string;
  /** Directory --set paths are relative to. */
  cwd: string;
  /** Used when neither --preset nor the front matter names one. */
  defaultPreset?: PresetName;
  now?: Date;
  /** Where the Hugging Face cache is (LoRA's layer-width check reads the model's config.json). */
  env?: NodeJS.ProcessEnv;
}

export type ResolveResult = { config: TrainConfig; errors: [] } | { config?: undefined; errors: string[] };

/** The merged settings with models resolved to folders where they exist (no cross-setting checks). */
export function resolveSettings(input: Omit<ResolveInput, "runId">): MergeResult {
  const exampleDir = path.dirname(input.example.file);
  const bases: Record<SettingSource, string[]> = {
    preset: [input.projectRoot],
    example: [exampleDir, input.projectRoot],
    "--set": [input.cwd, input.projectRoot],
  };
  return mergeSettings(input.example.frontMatter, input, (model, from) => resolveModel(model, bases[from]));
}

export function resolveConfig(input: ResolveInput): ResolveResult {
  const fm = input.example.frontMatter;
  const merged = resolveSettings(input);
  if (!("settings" in merged)) return { errors: merged.errors };
  const { preset, settings, overrides, derived } = merged;
  const errors = [...limitProblems(settings, input.example.problem), ...loraSettingProblems(settings, input.env).map((p) => p.message)];
  if (errors.length) return { errors };

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
        verifier: verifierSpecOf(input.example),
      },
      preset,
      settings,
      overrides,
      ...(derived ? { derived } : {}),
    },
    errors: [],
  };
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
