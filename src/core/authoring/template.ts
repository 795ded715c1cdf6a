// Text of new example files: the blank template of "New Example", and a file made from a problem
// and its answer ("Train on Selection", "New Example from Dataset…"). Front matter values are
// written by `yaml` so that LaTeX answers survive quoting.
import * as path from "node:path";
import { Document, isScalar, Scalar } from "yaml";
import type { VerifierKind } from "../verifier/api";

export interface ExampleDraft {
  problem: string;
  answer: string;
  verifier?: VerifierKind;
  /** JavaScript of the fenced `verifier` block; only written when verifier is "custom". */
  verifierSource?: string;
  preset?: string;
  model?: string;
  title?: string;
  source?: string;
}

export interface RenderedExample {
  text: string;
  /** Offsets of the problem text in `text` (the cursor goes there). */
  problemStart: number;
  problemEnd: number;
}

/**
 * A custom verifier to start from: the built-in grader's helpers do the extraction and comparison,
 * and the function returns a reward in [0, 1].
 */
export const CUSTOM_VERIFIER_TEMPLATE = [
  "// Return a reward in [0, 1] for one model response.",
  "export default function verify(response, answer, helpers) {",
  "  const extracted = helpers.extract(response);",
  "  if (extracted === null) return 0;",
  "  return helpers.equal(extracted, answer) ? 1 : 0;",
  "}",
].join("\n");

export const PROBLEM_PLACEHOLDER = "Write the problem here. LaTeX such as $\\frac{2}{7}$ renders in the Markdown preview.";

export function renderExample(draft: ExampleDraft): RenderedExample {
  const fm: Record<string, unknown> = {};
  if (draft.title) fm.title = draft.title;
  fm.answer = draft.answer;
  fm.verifier = draft.verifier ?? "math";
  if (draft.preset) fm.preset = draft.preset;
  if (draft.model) fm.model = draft.model;
  if (draft.source) fm.source = draft.source;
  const doc = new Document(fm);
  // The answer is always single-quoted: LaTeX backslashes stay literal and `42` stays a string.
  const answerNode = doc.get("answer", true);
  if (isScalar(answerNode)) answerNode.type = Scalar.QUOTE_SINGLE;
  const yamlText = doc.toString({ defaultStringType: "PLAIN", defaultKeyType: "PLAIN", lineWidth: 0 });
  const head = `---\n${yamlText}---\n`;
  const problem = draft.problem.trim();
  const verifierBlock =
    draft.verifier === "custom" ? `\n\n\`\`\`verifier\n${(draft.verifierSource ?? CUSTOM_VERIFIER_TEMPLATE).trim()}\n\`\`\`` : "";
  const text = `${head}${problem}${verifierBlock}\n`;
  return { text, problemStart: head.length, problemEnd: head.length + problem.length };
}

/** The "New Example" template: a placeholder problem, selected so that typing replaces it. */
export function newExampleTemplate(preset: string, answer = "0"): RenderedExample {
  return renderExample({ problem: PROBLEM_PLACEHOLDER, answer, verifier: "math", preset });
}

/** A short file-name stem from a title or problem: lower-case words joined by dashes. */
export function slugFor(text: string, maxLength = 40): string {
  const words = text
    .replace(/\$\$[\s\S]*?\$\$/g, " ")
    .replace(/\$[^$]*\$/g, " ")
    .replace(/\\[a-zA-Z]+/g, " ")
    .toLowerCase()
    .match(/[a-z0-9]+/g);
  let slug = "";
  for (const w of words ?? []) {
    const next = slug ? `${slug}-${w}` : w;
    if (next.length > maxLength) break;
    slug = next;
  }
  return slug || "example";
}

/** Where a new example goes in `dir`: named after its title or problem, never over an existing file. */
export function newExamplePath(dir: string, draft: ExampleDraft, exists: (file: string) => boolean): string {
  return uniqueExamplePath(dir, slugFor(draft.title ?? draft.problem), exists);
}

/** `<dir>/<stem>.rlvr.md`, with -2, -3 … appended while `exists` says the name is taken. */
export function uniqueExamplePath(dir: string, stem: string, exists: (file: string) => boolean): string {
  for (let i = 1; ; i++) {
    const file = path.join(dir, `${stem}${i === 1 ? "" : `-${i}`}.rlvr.md`);
    if (!exists(file)) return file;
  }
}
