// Finds the final answer in a model response. Linear scans only (indexOf, a brace counter and
// regexes without nested quantifiers), so a 100k-character or adversarial response costs
// microseconds to milliseconds, never a regex blow-up.
//
// A response with a <think>…</think> part is read after its last </think>; one that opens <think>
// and never closes it has no answer. Then, first rule that applies:
//   1. \boxed{…} / \fbox{…} (nested braces allowed). The concluding boxes are returned: those
//      after the last re-checking word ("wait", "recheck", "actually", …) that comes before the
//      last box, or every box when there is none; the grader rejects concluding boxes that differ
//      (hedging). A last box that is negated ("not \boxed{8}") or never closed (cut off) gives no
//      answer. An answer the response states in words after its last box, in the same paragraph
//      ("the answer is 4", "the question asks for 2x, which is 4"), is returned as `stated`.
//   2. "final answer is …" / "final answer: …" / "**Final Answer**\n…" (last occurrence)
//   3. "the answer is …" / "answer is …" / "answer would be …" (last occurrence, not "is not")
//   4. "Answer: …" (last occurrence)
//   5. "#### …" (GSM8K style, last occurrence)
// After a phrase the answer is the first $…$, \(…\) or \[…\] if one starts there, otherwise the
// rest of the sentence.

export type Extraction =
  | {
      found: true;
      answers: string[];
      source: "boxed" | "final answer" | "answer is" | "answer:" | "####";
      /** Boxes before the last re-check, superseded by the concluding ones (boxed only). */
      superseded?: number;
      /** An answer stated in words after the last box, in its paragraph (boxed only). */
      stated?: string;
    }
  | { found: false; reason: string };

const MAX_BOXES = 64;
const MAX_FALLBACK = 400;

interface Box {
  content: string;
  /** Offsets of `\boxed` and just past the box. */
  start: number;
  end: number;
}

function boxes(s: string): { contents: Box[]; truncated: boolean } {
  const contents: Box[] = [];
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
      contents.push({ content: s.slice(j + 1, k), start: at, end: k + 1 });
      i = k + 1;
    } else if (/[A-Za-z0-9\\-]/.test(s[j] ?? "") && j > at + 5 && /\s/.test(s[j - 1])) {
      // "\boxed 5": the next token
      let k = j;
      while (k < s.length && !/[\s$]/.test(s[k])) k++;
      contents.push({ content: s.slice(j, k), start: at, end: k });
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

/**
 * Words with which a response re-checks its work. A box after one of them concludes; boxes before
 * it were drafts. Only these count: "but" or "however" also introduce hedges ("but it could also
 * be \boxed{5}"), so they do not end a draft.
 */
const RECHECK =
  /\b(?:wait|actually|hmm+|re-?check\w*|double[- ]?check\w*|re-?calculat\w*|re-?comput\w*|re-?think\w*|re-?consider\w*|re-?evaluat\w*|re-?examin\w*|mistakes?|miscalculat\w*|errors?|incorrect|wrong|correction|on second thought|let(?: me|'s| us) (?:verify|check))\b/gi;

/** Where the last re-checking word before the last box ends (outside boxes), or -1. */
function lastRecheck(s: string, found: Box[]): number {
  const last = found[found.length - 1];
  let at = -1;
  let from = 0;
  // the gaps between boxes, so a word inside a box ("\boxed{\text{wrong}}") is not a re-check
  for (const b of found) {
    const gap = s.slice(from, Math.min(b.start, last.start));
    RECHECK.lastIndex = 0;
    for (let m = RECHECK.exec(gap); m; m = RECHECK.exec(gap)) at = from + m.index + m[0].length;
    from = b.end;
    if (b === last) break;
  }
  return at;
}

/** "not \boxed{8}", "rather than $\boxed{8}$": the box is named as what the answer is not. */
function negated(s: string, box: Box): boolean {
  const before = s.slice(Math.max(0, box.start - 40), box.start).replace(/[\s$]*(?:\\[([])?[\s$]*$/, "");
  return /(?:\bnot|\bnever|n't|\binstead of|\brather than)$/i.test(before);
}

/** "the answer is 4" or "asks for 2x, which is 4" after the last box, in its paragraph. */
function statedAfter(s: string, box: Box): string | undefined {
  const para = s.indexOf("\n\n", box.end);
  const tail = s.slice(box.end, para < 0 ? Math.min(s.length, box.end + MAX_FALLBACK) : Math.min(para, box.end + MAX_FALLBACK));
  const lower = tail.toLowerCase();
  const answer = lastPhrase(lower, tail, ["final answer", "answer is", "answer would be", "answer should be", "answer:"]);
  if (answer) return answer;
  const asks = /\b(?:asks? for|asked for|asked to find|want(?:s|ed)? to find)\b/.exec(lower);
  if (!asks) return undefined;
  // its value: after the last "is" or "=" of that sentence ("2x, which is 4"), if it gives one
  const rest = lower.slice(asks.index);
  const end = rest.search(/\.(\s|$)|\n/);
  const sentence = end < 0 ? rest : rest.slice(0, end);
  let verb = -1;
  for (const m of sentence.matchAll(/(?:\bis\b|=)/g)) verb = m.index;
  return verb < 0 ? undefined : (sentenceAfter(tail, asks.index + verb) ?? undefined);
}

/** The text that holds the final answer: after the last </think>; null while still thinking. */
function afterThinking(response: string): string | null {
  const close = response.lastIndexOf("</think>");
  if (close >= 0) return response.slice(close + "</think>".length);
  return response.includes("<think>") ? null : response;
}

export function extract(response: string): Extraction {
  if (!response || !response.trim()) return { found: false, reason: "empty response" };
  const text = afterThinking(response);
  if (text === null) return { found: false, reason: "the response opens <think> and never closes it (no answer after </think>)" };
  if (!text.trim()) return { found: false, reason: "no answer after </think>" };
  return extractFrom(text);
}

function extractFrom(response: string): Extraction {
  const { contents, truncated } = boxes(response);
  if (truncated) return { found: false, reason: "the last \\boxed{} is never closed (truncated response)" };
  if (contents.length) {
    const last = contents[contents.length - 1];
    if (negated(response, last)) return { found: false, reason: `the last \\boxed{} is negated ("not \\boxed{${clipBox(last.content)}}"): it is not the answer` };
    const recheck = lastRecheck(response, contents);
    const concluding = contents.filter((b) => b.start >= recheck);
    const stated = statedAfter(response, last);
    return {
      found: true,
      answers: concluding.map((b) => b.content),
      source: "boxed",
      ...(concluding.length < contents.length ? { superseded: contents.length - concluding.length } : {}),
      ...(stated !== undefined ? { stated } : {}),
    };
  }
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

const clipBox = (t: string) => (t.length > 40 ? `${t.slice(0, 40)}…` : t);

/** The single answer a person would read as final: the last box or the fallback's answer. */
export function extractAnswer(response: string): string | null {
  const e = extract(response);
  return e.found ? e.answers[e.answers.length - 1] : null;
}
