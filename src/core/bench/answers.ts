// Reference answers as text: dataset cells come as strings, numbers, bigints (parquet int64) or
// lists (OlympiadBench's final_answer); worked solutions carry theirs in the last \boxed{}.

/** The content of the last \boxed{…} (or \fbox{…}) in `text`, braces balanced; null when none. */
export function lastBoxed(text: string): string | null {
  const re = /\\(?:boxed|fbox)\s*\{/g;
  let found: string | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let depth = 1;
    let i = m.index + m[0].length;
    const start = i;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === "\\") i++;
      else if (text[i] === "{") depth++;
      else if (text[i] === "}") depth--;
    }
    if (depth === 0) found = text.slice(start, i - 1).trim();
  }
  return found;
}

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

/**
 * The final answer of a reference: the answer cell itself, unless it is a worked solution, in
 * which case its last \boxed{} or, GSM8K style, what follows its last "####" line.
 */
export function referenceAnswer(value: unknown): string | null {
  const text = cellText(value);
  if (text === null) return null;
  if (text.includes("\\boxed") || text.includes("\\fbox")) return lastBoxed(text);
  const hashes = /(?:^|\n)####\s*(.+?)\s*$/.exec(text);
  return hashes ? hashes[1]!.replace(/,(?=\d{3}\b)/g, "") : text;
}
