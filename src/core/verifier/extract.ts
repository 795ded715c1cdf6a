// Finds the final answer in a model response. Linear scans only (indexOf and a brace counter), so a
// 100k-character or adversarial response costs microseconds to milliseconds, never a regex blow-up.
//
// Priority, first that applies:
//   1. \boxed{…} / \fbox{…} (nested braces allowed). Every boxed answer is returned; the grader
//      rejects a response whose boxed answers differ. A response whose last box is never closed
//      (cut off) has no answer.
//   2. "final answer is …" / "final answer: …" / "**Final Answer**\n…" (last occurrence)
//   3. "the answer is …" / "answer is …" / "answer would be …" (last occurrence, not "is not")
//   4. "Answer: …" (last occurrence)
//   5. "#### …" (GSM8K style, last occurrence)
// After a phrase the answer is the first $…$, \(…\) or \[…\] if one starts there, otherwise the
// rest of the sentence.

export type Extraction =
  | { found: true; answers: string[]; source: "boxed" | "final answer" | "answer is" | "answer:" | "####" }
  | { found: false; reason: string };

const MAX_BOXES = 64;
const MAX_FALLBACK = 400;

function boxes(s: string): { contents: string[]; truncated: boolean } {
  const contents: string[] = [];
  let i = 0;
  // next occurrences are remembered: searching for an absent "\fbox" after every box would make
  // a response with thousands of boxes quadratic
  let b = -2;
  let f = -2;
  for (;;) {
    if (b !== -1 && b < i) b = s.indexOf("\\boxed", i);
    if (f !== -1 && f < i) f = s.indexOf("\\fbox", i);
    const at = b < 0 ? f : f < 0 ? b : Math.min(b, f);
    if (at < 0) return { contents, truncated: false };
    let j = at + (at === b ? 6 : 5);
    while (j < s.length && (s[j] === " " || s[j] === "\t")) j++;
    if (s[j] === "{") {
      let depth = 0;
      let k = j;
      for (; k < s.length; k++) {
        const c = s[k];
        if (c === "\\") {
          k++;
          continue;
        }
        if (c === "{") depth++;
        else if (c === "}" && --depth === 0) break;
      }
      if (k >= s.length) return { contents, truncated: true };
      contents.push(s.slice(j + 1, k));
      i = k + 1;
    } else if (/[A-Za-z0-9\\-]/.test(s[j] ?? "") && j > at + 5 && /\s/.test(s[j - 1])) {
      // "\boxed 5": the next token
      let k = j;
      while (k < s.length && !/[\s$]/.test(s[k])) k++;
      contents.push(s.slice(j, k));
      i = k;
    } else {
      i = j;
      continue;
    }
    if (contents.length > MAX_BOXES) contents.shift();
  }
}

function mathAt(s: string, i: number): string | null {
  const pairs: [string, string][] = [["$$", "$$"], ["\\[", "\\]"], ["\\(", "\\)"], ["$", "$"]];
  for (const [open, close] of pairs) {
    if (s.startsWith(open, i)) {
      const end = s.indexOf(close, i + open.length);
      if (end < 0) return null;
      return s.slice(i + open.length, end);
    }
  }
  return null;
}

function sentenceAfter(s: string, i: number): string | null {
  let j = i;
  while (j < s.length && /[\s:*]/.test(s[j]) && j - i < 20) j++;
  // "final answer is", "answer would be", "answer =": the verb is not part of the answer
  const verb = /^(?:is|was|would be|will be|should be|=)(?![a-z])[\s:*]*/i.exec(s.slice(j, j + 16));
  if (verb) j += verb[0].length;
  if (/^not\b/i.test(s.slice(j, j + 4))) return null;
  const math = mathAt(s, j);
  if (math !== null) return math.trim() || null;
  const rest = s.slice(j, j + MAX_FALLBACK);
  let end = rest.length;
  const stops = [/\n/, /\.(\s|$)/, /\s(because|since|which|where|as|so|for|and this)\b/i, /\*\*/];
  for (const re of stops) {
    const m = re.exec(rest);
    if (m && m.index < end) end = m.index;
  }
  const t = rest.slice(0, end).trim().replace(/[.,;]+$/, "");
  return t || null;
}

function lastPhrase(lower: string, s: string, phrases: string[]): string | null {
  let best = -1;
  let len = 0;
  for (const p of phrases) {
    const at = lower.lastIndexOf(p);
    if (at > best) {
      best = at;
      len = p.length;
    }
  }
  return best < 0 ? null : sentenceAfter(s, best + len);
}

export function extract(response: string): Extraction {
  if (!response || !response.trim()) return { found: false, reason: "empty response" };
  const { contents, truncated } = boxes(response);
  if (truncated) return { found: false, reason: "the last \\boxed{} is never closed (truncated response)" };
  if (contents.length) return { found: true, answers: contents, source: "boxed" };
  const lower = response.toLowerCase();
  const final = lastPhrase(lower, response, ["final answer"]);
  if (final) return { found: true, answers: [final], source: "final answer" };
  const is = lastPhrase(lower, response, ["answer is", "answer would be", "answer should be", "answer will be"]);
  if (is) return { found: true, answers: [is], source: "answer is" };
  const colon = lastPhrase(lower, response, ["answer:"]);
  if (colon) return { found: true, answers: [colon], source: "answer:" };
  const hashes = lastPhrase(lower, response, ["####"]);
  if (hashes) return { found: true, answers: [hashes], source: "####" };
  return { found: false, reason: "no final answer found" };
}

/** The single answer a person would read as final: the last box or the fallback's answer. */
export function extractAnswer(response: string): string | null {
  const e = extract(response);
  return e.found ? e.answers[e.answers.length - 1] : null;
}
