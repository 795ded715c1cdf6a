// An answer string (LaTeX or plain) → what kind of answer it is and its parsed form. Gold answers
// are parsed once and cached; repeated response answers (rollouts often agree) hit the cache too.
import { latexToPlain, LatexError } from "./latex";
import { parseTokens, ParseError, show, tokenize, wordsIn, type Node } from "./expr";
import { TooLarge } from "./limits";

export type Answer =
  | { kind: "empty"; raw: string }
  | { kind: "choice"; raw: string; letter: string }
  | { kind: "text"; raw: string; text: string; /** why it was not parsed as mathematics: a size or depth cap */ tooLarge?: string }
  | { kind: "math"; raw: string; items: Node[]; canonical: string; /** a leading "(C)" label, if any */ letter?: string };

const MAX_MATH_LENGTH = 4000;

/** "(C)", "C", "\text{(C)}", "\textbf{C}" alone; "(C) 12" and "C) 12" give the letter too. */
const CHOICE_ALONE = /^\(?\s*([A-J])\s*\)?\.?$/;
const CHOICE_LEAD = /^(?:\(([A-J])\)|([A-J])\))\s*(.*)$/s;

/** Removes any of `chars` from both ends; a loop, because `/\$+$/` backtracks quadratically. */
function trimChars(s: string, chars: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && chars.includes(s[a])) a++;
  while (b > a && chars.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

function stripWrappers(s: string): string {
  let t = s.trim();
  for (let k = 0; k < 4; k++) {
    const before = t;
    t = trimChars(t, "$").trim();
    if (t.startsWith("\\[") && t.endsWith("\\]")) t = t.slice(2, -2).trim();
    if (t.startsWith("\\(") && t.endsWith("\\)")) t = t.slice(2, -2).trim();
    t = t.replace(/^\\(?:boxed|fbox)\s*\{([\s\S]*)\}$/, "$1").trim();
    t = t.replace(/^\\(?:text|textbf|mathrm|mathbf|textrm)\s*\{([^{}]*)\}$/, "$1").trim();
    t = t.replace(/^\\approx\s*/, "").trim();
    if (t.startsWith("**")) t = t.slice(2).trim();
    if (t.endsWith("**")) t = t.slice(0, -2).trim();
    if (t.endsWith("\\text{.}")) t = t.slice(0, -8).trimEnd();
    while (t.endsWith(".") || t.endsWith("。")) t = t.slice(0, -1).trimEnd();
    if (t === before) break;
  }
  return t;
}

export function choiceLetter(raw: string): string | null {
  const t = stripWrappers(raw).replace(/\\text(?:bf)?\s*\{([^{}]*)\}/g, "$1").replace(/^(?:option|choice|answer)\s*:?\s*/i, "").trim();
  const m = CHOICE_ALONE.exec(t) ?? /^\(?([A-J])\)?\s*[:.)]/.exec(t) ?? CHOICE_LEAD.exec(t);
  if (!m) return null;
  // "(C) or (D)", "C) and D)": a hedge between options is no choice
  if (/\(\s*[A-J]\s*\)|\b[A-J]\)|\bor\b|\band\b/i.test(t.slice(m[0].length - (m[3]?.length ?? 0)))) return null;
  return (m[1] ?? m[2]).toUpperCase();
}

function normaliseText(plain: string): string {
  return plain
    .replace(/[⟪⟫]/g, " ")
    .toLowerCase()
    .replace(/[.,;:!?'"“”‘’()[\]{}*\\]/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^(the|a|an) /, "");
}

/** Drops trailing words such as units ("5 cm", "12 dollars", "3 square units"). */
function dropTrailingWords(plain: string): string {
  let t = plain;
  for (let k = 0; k < 6; k++) {
    if (!/[a-zA-Z][.)\d\s^(]*$/.test(t.slice(-12))) break;
    const m = /^([\s\S]*?[\d)π∞°%a-zA-Z\]}|])\s+([a-zA-Z]{2,}\.?)\s*(\^\s*\(?\d\)?)?\s*$/.exec(t);
    if (!m || wordsIn(m[2]).length === 0 || !/[\dπ∞)\]}]/.test(m[1])) break;
    t = m[1];
  }
  return t;
}

const NUMBER_WORDS = [
  "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
  "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
];

/** "three" is the number 3; other text stays text. */
function textOrNumber(raw: string, text: string): Answer {
  if (/^all real(s| numbers)?$/.test(text)) return { kind: "math", raw, items: [{ k: "reals" }], canonical: "ℝ" };
  const n = NUMBER_WORDS.indexOf(text);
  if (n >= 0) {
    const items = parseTokens(tokenize(String(n)));
    return { kind: "math", raw, items, canonical: String(n) };
  }
  return { kind: "text", raw, text };
}

export function parseAnswer(raw: string): Answer {
  const body = stripWrappers(raw);
  if (body === "") return { kind: "empty", raw };
  const alone = CHOICE_ALONE.exec(body.replace(/\\text(?:bf)?\s*\{([^{}]*)\}/g, "$1").trim());
  if (alone) return { kind: "choice", raw, letter: alone[1] };
  // no reference answer is this long: compare it as text, without parsing
  if (body.length > MAX_MATH_LENGTH) return { kind: "text", raw, text: normaliseText(body), tooLarge: `longer than ${MAX_MATH_LENGTH} characters` };
  let plain: string;
  try {
    plain = latexToPlain(body);
  } catch (e) {
    if (e instanceof LatexError) return { kind: "text", raw, text: normaliseText(body) };
    if (e instanceof TooLarge) return { kind: "text", raw, text: normaliseText(body), tooLarge: e.message };
    throw e;
  }
  let letter: string | undefined;
  const lead = CHOICE_LEAD.exec(plain.trim());
  if (lead && lead[3].trim()) {
    letter = lead[1] ?? lead[2];
    plain = lead[3];
  }
  plain = plain.replace(/^\s*(?:[a-zA-Z]\s*(?:_\(\w+\))?\s*∈)/, "");
  // "√2 ≈ 1.414": the exact value before the approximation is the answer
  const approx = plain.indexOf("≈");
  if (approx >= 0) plain = plain.slice(0, approx).trim() ? plain.slice(0, approx) : plain.slice(approx + 1);
  const textOnly = plain.replace(/⟪[^⟫]*⟫/g, "").trim() === "" && plain.includes("⟪");
  if (textOnly) return textOrNumber(raw, normaliseText(plain));
  const dropped = dropTrailingWords(plain.replace(/⟪[^⟫]*⟫\s*$/, ""));
  try {
    const toks = tokenize(dropped);
    if (toks.some((t) => t.t === "word")) return textOrNumber(raw, normaliseText(plain));
    const items = parseTokens(toks);
    if (items.length === 0) return { kind: "empty", raw };
    return { kind: "math", raw, items, canonical: items.map(show).join(","), letter };
  } catch (e) {
    if (e instanceof ParseError) return { kind: "text", raw, text: normaliseText(plain) };
    // a RangeError is the call stack running out on deep nesting
    if (e instanceof TooLarge || e instanceof RangeError) return { kind: "text", raw, text: normaliseText(plain), tooLarge: e instanceof TooLarge ? e.message : "nested too deeply" };
    throw e;
  }
}

const cache = new Map<string, Answer>();
const CACHE_LIMIT = 20000;

/** parseAnswer with a bounded memo: the same strings recur across rollouts and steps. */
export function parseAnswerCached(raw: string): Answer {
  let a = cache.get(raw);
  if (a) return a;
  a = parseAnswer(raw);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  if (raw.length < 2000) cache.set(raw, a);
  return a;
}
