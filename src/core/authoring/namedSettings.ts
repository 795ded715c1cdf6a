// Which preset and model a file names, read even while other keys have errors: the CodeLens and
// hover must show the file's own `preset: cpu-demo`, not the defaults, when a typo elsewhere
// (`stesp: 50`) keeps the file from parsing as a whole.
import { isMap, isScalar } from "yaml";
import { PRESET_NAMES, type PresetName } from "../example/config";
import type { ExampleDocument } from "../example/document";
import type { ParseResult } from "../example/parse";

export interface NamedSettings {
  /** The keys to merge: only `preset` and `model`, and only when each is valid on its own. */
  frontMatter: Record<string, unknown>;
  /** `preset:`'s value when it names no preset (a typo the lens shows as such). */
  badPreset?: string;
  /** The file as a whole has errors: the lens says so. */
  hasErrors: boolean;
  /** The front matter is not a readable mapping at all: nothing it names can be shown. */
  unreadable: boolean;
}

function scalarOf(src: ExampleDocument, key: string): unknown {
  const contents = src.yaml?.contents;
  if (!isMap(contents)) return undefined;
  const node = contents.get(key, true);
  return isScalar(node) ? node.value : undefined;
}

export function namedSettings(src: ExampleDocument, parse: ParseResult): NamedSettings {
  if (parse.example) return { frontMatter: parse.example.frontMatter, hasErrors: false, unreadable: false };
  const unreadable = !isMap(src.yaml?.contents);
  const frontMatter: Record<string, unknown> = {};
  let badPreset: string | undefined;
  const preset = scalarOf(src, "preset");
  if (typeof preset === "string" && PRESET_NAMES.includes(preset as PresetName)) frontMatter.preset = preset;
  else if (preset !== undefined && preset !== null) badPreset = String(preset);
  const model = scalarOf(src, "model");
  if (typeof model === "string" && model.trim()) frontMatter.model = model;
  return { frontMatter, badPreset, hasErrors: true, unreadable };
}
