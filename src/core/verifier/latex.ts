// LaTeX → plain math text that expr.ts tokenises. One left-to-right scan with bounded recursion
// (group nesting is capped), so adversarial input costs linear time, not a regex backtrack.
// Special characters in the output: π ∞ ± ≤ ≥ ≠ ∪ ∩ ° % ∅ ℝ, greek letters as single
// characters, `¯digits¯` for a repeating decimal tail, `⟦a,b;c,d⟧` for a matrix, and `⟪words⟫`
// for text that is not mathematics (trailing units and words are dropped instead).

import { TooLarge } from "./limits";

export class LatexError extends Error {}

const MAX_DEPTH = 60;

const GREEK: Record<string, string> = {
  alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", zeta: "ζ", eta: "η",
  theta: "θ", vartheta: "θ", iota: "ι", kappa: "κ", lambda: "λ", mu: "μ", nu: "ν", xi: "ξ", rho: "ρ",
  sigma: "σ", tau: "τ", upsilon: "υ", phi: "φ", varphi: "φ", chi: "χ", psi: "ψ", omega: "ω",
  Gamma: "Γ", Delta: "Δ", Theta: "Θ", Lambda: "Λ", Xi: "Ξ", Sigma: "Σ", Phi: "Φ", Psi: "Ψ", Omega: "Ω",
};

const SYMBOLS: Record<string, string> = {
  pi: "π", infty: "∞", infin: "∞", cdot: "*", times: "*", ast: "*", div: "/", pm: "±", mp: "±",
  le: "≤", leq: "≤", leqslant: "≤", ge: "≥", geq: "≥", geqslant: "≥", ne: "≠", neq: "≠", lt: "<",
  gt: ">", cup: "∪", cap: "∩", degree: "°", emptyset: "∅", varnothing: "∅", approx: "≈", equiv: "=",
  dots: "", ldots: "", cdots: "", in: "∈", mid: "|", vert: "|", lvert: "|", rvert: "|", langle: "(",
  rangle: ")", lfloor: "⌊", rfloor: "⌋", lceil: "⌈", rceil: "⌉", colon: ":", prime: "'",
};

const FUNCTIONS = new Set([
  "sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
  "log", "ln", "exp", "lg", "max", "min", "gcd", "lcm", "det",
]);

/** Spacing and sizing commands: they carry no meaning for the answer. */
const IGNORED = new Set([
  "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
  "displaystyle", "textstyle", "scriptstyle", "limits", "quad", "qquad", "enspace", "thinspace",
  "medspace", "thickspace", "negthinspace", "hfill", "nonumber", "notag", "boxed", "fbox", "bm",
  "boldsymbol", "mathbf", "mathit", "mathsf", "mathtt", "mathnormal", "underline", "color",
  "not", "phantom", "vec", "hat", "tilde", "bar", "widehat", "angle", "measuredangle", "triangle",
  "mathcal", "cancel",
]);

const TEXT_COMMANDS = new Set(["text", "textbf", "textit", "textrm", "textnormal", "mbox", "hbox", "textsf", "texttt", "emph"]);

const MATRIX_ENVS = new Set(["pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "matrix", "smallmatrix", "array"]);

class Scanner {
  constructor(
    readonly s: string,
    public i = 0,
  ) {}
  peek(): string {
    return this.s[this.i] ?? "";
  }
  skipSpace(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }
  /** A command name after a backslash: letters, or one non-letter character. */
  readCommand(): string {
    const start = this.i;
    while (this.i < this.s.length && /[a-zA-Z]/.test(this.s[this.i])) this.i++;
    if (this.i === start && this.i < this.s.length) this.i++;
    return this.s.slice(start, this.i);
  }
  /** The raw text of one argument: a brace group's inside, a command, or one character. */
  readArg(): string {
    this.skipSpace();
    const c = this.peek();
    if (c === "{") return this.readGroup("{", "}");
    if (c === "\\") {
      const start = this.i++;
      this.readCommand();
      return this.s.slice(start, this.i);
    }
    this.i++;
    return c;
  }
  readOptional(): string | null {
    this.skipSpace();
    return this.peek() === "[" ? this.readGroup("[", "]") : null;
  }
  readGroup(open: string, close: string): string {
    const start = ++this.i;
    let depth = 1;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === "\\") {
        this.i += 2;
        continue;
      }
      if (c === open) depth++;
      else if (c === close && --depth === 0) return this.s.slice(start, this.i++);
      this.i++;
    }
    throw new LatexError(`unbalanced ${open}`);
  }
}

/** True when `out` ends with an integer that a following fraction would make a mixed number. */
function trailingInteger(out: string): string | null {
  const m = /(?:^|[^\d.,¯\w)])(\d+)\s*$/.exec(out);
  return m ? m[1] : null;
}

function isPlainWords(text: string): boolean {
  return /^[\s\p{L}.,'’:;!?()/-]*$/u.test(text) && /\p{L}/u.test(text);
}

export function latexToPlain(src: string, depth = 0): string {
  if (depth > MAX_DEPTH) throw new TooLarge(`nested more than ${MAX_DEPTH} levels deep`);
  const sc = new Scanner(src);
  let out = "";
  const s = src;
  while (sc.i < s.length) {
    const c = s[sc.i];
    if (c === "\\") {
      sc.i++;
      const cmd = sc.readCommand();
      out = command(cmd, sc, out, depth);
      continue;
    }
    if (c === "{") {
      const inner = sc.readGroup("{", "}");
      if (inner.trim() === ",") continue; // 1{,}000
      out += "(" + latexToPlain(inner, depth + 1) + ")";
      continue;
    }
    if (c === "^") {
      sc.i++;
      const arg = sc.readArg();
      if (/^\s*(\\circ|°|\\degree)\s*$/.test(arg)) out += "°";
      else out += "^(" + latexToPlain(arg, depth + 1) + ")";
      continue;
    }
    if (c === "_") {
      sc.i++;
      const arg = sc.readArg();
      out += "_(" + latexToPlain(arg, depth + 1).replace(/[⟪⟫]/g, "") + ")";
      continue;
    }
    if (c === "$" || c === "&") {
      sc.i++;
      continue;
    }
    if (c === "~") {
      out += " ";
      sc.i++;
      continue;
    }
    out += c;
    sc.i++;
  }
  return out;
}

function command(cmd: string, sc: Scanner, out: string, depth: number): string {
  const sub = (t: string) => latexToPlain(t, depth + 1);
  switch (cmd) {
    case "frac": case "dfrac": case "tfrac": case "cfrac": {
      const a = sc.readArg();
      const b = sc.readArg();
      const num = sub(a);
      const den = sub(b);
      const whole = trailingInteger(out);
      if (whole !== null && /^\s*\d+\s*$/.test(num) && /^\s*\d+\s*$/.test(den)) {
        // 2\frac{1}{2} is the mixed number 5/2, not 2·(1/2).
        return out.replace(/(\d+)\s*$/, "") + `(${whole}+(${num})/(${den}))`;
      }
      return out + `((${num})/(${den}))`;
    }
    case "sqrt": {
      const n = sc.readOptional();
      const a = sub(sc.readArg());
      return out + (n === null ? ` sqrt(${a})` : ` root(${a},${sub(n)})`);
    }
    case "binom": case "dbinom": case "tbinom": case "choose": {
      const a = sub(sc.readArg());
      const b = sub(sc.readArg());
      return out + ` binom(${a},${b})`;
    }
    case "overline": case "dot": {
      const a = sc.readArg();
      // 0.\overline{3}: a repeating decimal tail, only directly after digits with a point.
      if (/\d\.\d*$|\d\.$/.test(out) && /^\s*\d+\s*$/.test(a)) return out + "¯" + a.trim() + "¯";
      return out + sub(a);
    }
    case "operatorname": {
      const a = sc.readArg().trim();
      return out + " " + a + " ";
    }
    case "mathrm": {
      const a = sc.readArg().replace(/~/g, " ");
      if (/^\s*[a-zA-Z]\s*$/.test(a)) {
        // \mathrm{e} and \mathrm{i} are constants; "3\mathrm{~m}" is a unit
        if (/[\d)]\s*$/.test(out) && !/^\s*[ei]\s*$/.test(a)) return textArg(a, out, sc, depth);
        return out + a.trim();
      }
      return textArg(a, out, sc, depth);
    }
    case "mathbb": {
      const a = sc.readArg().trim();
      return out + (a === "R" ? "ℝ" : a);
    }
    case "begin": {
      const env = sc.readArg().trim();
      const endTag = `\\end{${env}}`;
      const stop = sc.s.indexOf(endTag, sc.i);
      if (stop < 0) throw new LatexError(`unclosed ${env}`);
      let body = sc.s.slice(sc.i, stop);
      sc.i = stop + endTag.length;
      if (env === "array") body = body.replace(/^\s*\{[^}]*\}/, "");
      if (MATRIX_ENVS.has(env)) {
        const rows = body
          .split(/\\\\/)
          .map((r) => r.trim())
          .filter((r) => r.length > 0)
          .map((r) => r.split("&").map((cell) => sub(cell)).join(","));
        return out + "⟦" + rows.join(";") + "⟧";
      }
      // cases/aligned and friends: keep the content, rows become list items.
      return out + body.split(/\\\\/).map((r) => sub(r.replace(/&/g, ""))).join(",");
    }
    case "end":
      sc.readArg();
      return out;
    case "{":
      return out + "{";
    case "}":
      return out + "}";
    case "%":
      return out + "%";
    case "$":
      return out;
    case "|":
      return out + "|";
    case "\\":
      return out + ",";
    case ",": case ";": case ":": case "!": case " ": case ">": {
      // 1\,000 is a thousands separator; elsewhere these are spaces.
      if (/\d,?$/.test(out) && /^\s*\d{3}(?!\d)/.test(sc.s.slice(sc.i))) {
        sc.skipSpace();
        return out;
      }
      return out + " ";
    }
    case "circ":
      return out + "°";
    case "log": {
      sc.skipSpace();
      if (sc.peek() === "_") {
        sc.i++;
        const base = sub(sc.readArg());
        return out + ` logb(${base}) `;
      }
      return out + " log ";
    }
    default:
      break;
  }
  if (TEXT_COMMANDS.has(cmd)) return textArg(sc.readArg(), out, sc, depth);
  if (cmd in SYMBOLS) return out + SYMBOLS[cmd];
  if (cmd in GREEK) return out + GREEK[cmd];
  if (FUNCTIONS.has(cmd)) return out + " " + cmd + " ";
  if (IGNORED.has(cmd)) {
    if (cmd === "left" || cmd === "right" || cmd.startsWith("big") || cmd.startsWith("Big")) {
      sc.skipSpace();
      if (sc.peek() === ".") sc.i++; // \left. and \right. are invisible delimiters
    }
    if (cmd === "color") sc.readArg();
    return out;
  }
  // Anything else is a named thing we do not know: keep its name as a word.
  return out + " " + cmd + " ";
}

/** \text{…}: connective words become list commas, words after something are units (dropped). */
function textArg(arg: string, out: string, sc: Scanner, depth: number): string {
  const t = arg.trim();
  if (/^(or|and|,)$/i.test(t)) return out + ",";
  if (t === "") return out;
  if (/^\(?[A-J]\)$/.test(t)) return out + t; // "\text{(C)} 12": a choice label
  if (isPlainWords(t)) {
    if (/\S/.test(out) && !/[,(=]\s*$/.test(out)) {
      // "5\text{ cm}^2": a trailing unit, with its power.
      const rest = sc.s.slice(sc.i);
      const pow = /^\s*\^\s*(\{\s*\d\s*\}|\d)/.exec(rest);
      if (pow) sc.i += pow[0].length;
      return out;
    }
    return out + "⟪" + t + "⟫";
  }
  return out + latexToPlain(arg, depth + 1);
}
