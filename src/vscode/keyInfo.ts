// The front-matter key documentation the editor shows, derived once from the example schema and
// the presets (see src/core/authoring/keyDocs.ts), and the preset a document resolves to.
import * as vscode from "vscode";
import { keyDocs, type KeyDoc } from "../core/authoring/keyDocs";
import { PRESET_NAMES, PRESETS, type PresetName } from "../core/example";
import schema from "../core/example/schema.json";
import { parsed } from "./exampleDocs";
import { settings } from "./settings";

export const KEY_DOCS: ReadonlyMap<string, KeyDoc> = new Map(
  keyDocs(schema, PRESETS as unknown as Record<string, Record<string, unknown>>).map((d) => [d.key, d]),
);

const isPreset = (p: unknown): p is PresetName => PRESET_NAMES.includes(p as PresetName);

/** The preset a document trains with: its `preset` key, else the default-preset setting. */
export function presetOf(doc: vscode.TextDocument): PresetName {
  const fromFile = parsed(doc).example?.frontMatter.preset;
  if (isPreset(fromFile)) return fromFile;
  const fallback = settings().defaultPreset;
  return isPreset(fallback) ? fallback : "local";
}

/** The model a document trains: its `model` key, else the default-model setting, else the preset's. */
export function modelOf(doc: vscode.TextDocument): string {
  const fromFile = parsed(doc).example?.frontMatter.model;
  if (typeof fromFile === "string" && fromFile) return fromFile;
  return settings().defaultModel || PRESETS[presetOf(doc)].model;
}

/** A one-line description of a preset from its settings, e.g. "Qwen/… · 500 steps · 16×8 rollouts · auto". */
export function presetSummary(name: PresetName): string {
  const s = PRESETS[name];
  return `${s.model} · ${s.steps} steps · ${s.prompt_copies}×${s.rollouts} rollouts/step · device ${s.device}`;
}
