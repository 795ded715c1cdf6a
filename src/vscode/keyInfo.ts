// The front-matter key documentation the editor shows, derived once from the example schema and
// the presets (see src/core/authoring/keyDocs.ts), and the preset a document resolves to.
import * as vscode from "vscode";
import { keyDocs, type KeyDoc } from "../core/authoring/keyDocs";
import { PRESETS, type PresetName } from "../core/example";
import schema from "../core/example/schema.json";
import { namedSettings, type NamedSettings } from "../core/authoring/namedSettings";
import { documentOf, parsed } from "./exampleDocs";
import { effectiveSettings } from "./runChoices";

export const KEY_DOCS: ReadonlyMap<string, KeyDoc> = new Map(
  keyDocs(schema, PRESETS as unknown as Record<string, Record<string, unknown>>).map((d) => [d.key, d]),
);

/** The preset and model the file names, also while other keys have errors (then only those two keys). */
export const namedOf = (doc: vscode.TextDocument): NamedSettings => namedSettings(documentOf(doc), parsed(doc));

const effectiveOf = (doc: vscode.TextDocument) => effectiveSettings(namedOf(doc).frontMatter);

/** The preset a document trains with: its `preset` key, else the default-preset setting. */
export const presetOf = (doc: vscode.TextDocument): PresetName => effectiveOf(doc).preset;

/** The model a document trains: its `model` key, else the default-model setting, else the preset's. */
export const modelOf = (doc: vscode.TextDocument): string => effectiveOf(doc).settings.model;

/** A one-line description of a preset from its settings, e.g. "Qwen/… · 500 steps · 16×8 rollouts · auto". */
export function presetSummary(name: PresetName): string {
  const s = PRESETS[name];
  return `${s.model} · ${s.steps} steps · ${s.prompt_copies}×${s.rollouts} rollouts/step${s.lora_rank > 0 ? ` · LoRA rank ${s.lora_rank}` : ""} · device ${s.device}`;
}
