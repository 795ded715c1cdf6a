// Reference answers as text: dataset cells come as strings, numbers, bigints (parquet int64) or
// lists (OlympiadBench's final_answer); worked solutions carry theirs in the last \boxed{} (or,
// GSM8K style, after "####"), found by the verifier's own extraction.
import { extract } from "../verifier/index";

/** A dataset cell as answer text; lists join with ", " (multi-part answers); empty → null. */
export function cellText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value.trim() || null;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) {
    const parts = value.map(cellText).filter((p): p is string => p !== null);
    return parts.length ? parts.join(", ") : null;
  }
  return null;
}

/** The final answer of a reference: the cell itself, or a worked solution's boxed / "####" answer. */
export function referenceAnswer(value: unknown): string | null {
  const text = cellText(value);
  if (text === null) return null;
  if (!/\\boxed|\\fbox|(^|\n)####/.test(text)) return text;
  const e = extract(text);
  if (!e.found || (e.source !== "boxed" && e.source !== "####")) return null;
  const answer = e.answers[e.answers.length - 1]!;
  // "#### 1,018": a thousands separator, not a list.
  return e.source === "####" ? answer.replace(/,(?=\d{3}\b)/g, "") : answer;
}
