// Plain math text (from latex.ts, or typed by a model) → a small syntax tree. Our own tokenizer and
// Pratt parser rather than mathjs.parse: mathjs reads `h`, `m`, `in`, `cm` as units and `xy` as one
// name, and its implicit-multiplication precedence differs from how answers are written. Numbers
// are kept exact (mathjs Fraction); evaluation lives in numeric.ts.
import { Fraction } from "mathjs";
import { TooLarge } from "./limits";

export type Node =
  | { k: "num"; v: Fraction; text: string; /** digits after the point, -1 for an integer */ dec: number; sig: number; base?: number }
  | { k: "sym"; name: string }
  | { k: "const"; name: "pi" | "e" | "i" | "inf" }
  | { k: "bin"; op: "+" | "-" | "*" | "/" | "^"; a: Node; b: Node }
  | { k: "neg"; a: Node }
  | { k: "pm"; a: Node | null; b: Node }
  | { k: "fn"; name: string; args: Node[] }
  | { k: "post"; op: "!" | "%" | "°"; a: Node }
  | { k: "group"; open: string; close: string; items: Node[] }
  | { k: "matrix"; rows: Node[][] }
  | { k: "rel"; ops: RelOp[]; sides: Node[] }
  | { k: "setop"; op: "∪" | "∩"; a: Node; b: Node }
  | { k: "list"; items: Node[] }
  | { k: "reals" }
  | { k: "empty" };

export type RelOp = "=" | "<" | ">" | "≤" | "≥" | "≠";

export class ParseError extends Error {}

export type Tok =
  | { t: "num"; node: Extract<Node, { k: "num" }> }
  | { t: "id"; name: string }
  | { t: "word"; text: string }
  | { t: "op"; op: string };

const KNOWN_FUNCTIONS = new Set([
  "sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos", "arctan", "asin", "acos", "atan",
  "sinh", "cosh", "tanh", "log", "ln", "lg", "exp", "sqrt", "root", "binom", "logb", "abs", "floor",
  "ceil", "max", "min", "gcd", "lcm", "det",
]);
const NAMES = new Set(["pi", "inf", "infty", "infinity", "oo"]);
/** Two-letter runs that are units rather than a product of two variables. */
const UNITS2 = new Set(["cm", "mm", "km", "kg", "mg", "ft", "in", "hr", "yd", "mi", "ml", "mL", "oz", "lb", "sq", "th", "st", "nd", "rd"]);
const PRODUCTS = new Set(["abc", "xyz", "abcd", "uvw", "pqr"]);

/** All-capital runs that are words, not point names like AB or ABC. */
const CAPITAL_WORDS = new Set(["DNE", "NONE", "ALL", "YES", "NO", "TRUE", "FALSE", "AND", "OR"]);

function isWordRun(run: string): boolean {
  if (run.length <= 4 && /^[A-Z]+$/.test(run)) return CAPITAL_WORDS.has(run);
  if (run.length === 2) return UNITS2.has(run);
  return run.length >= 3 && /[aeiouAEIOU]/.test(run) && !PRODUCTS.has(run);
}

const MULTI_OPS = ["<=", ">=", "!=", "=<", "=>", "**", "\\cup"];
const MULTI_FIRST = new Set(MULTI_OPS.map((m) => m[0]));
const SINGLE_OPS = new Set("+-*/^!%°±=<>≤≥≠∪∩,;()[]{}|⟦⟧⌊⌋⌈⌉∞π∅ℝ_:'∈×÷−·".split(""));

function makeNumber(text: string, repeat: string | null): Extract<Node, { k: "num" }> {
  const [intPart, fracPart = ""] = text.split(".");
  const digits = (intPart + fracPart).replace(/^0+/, "");
  let v: Fraction;
  if (repeat) {
    // a.b(c) = (abc − ab) / (10^|b| · (10^|c| − 1))
    const ab = BigInt((intPart || "0") + fracPart);
    const abc = BigInt((intPart || "0") + fracPart + repeat);
    const den = 10n ** BigInt(fracPart.length) * (10n ** BigInt(repeat.length) - 1n);
    v = new Fraction(abc - ab, den);
  } else {
    v = new Fraction(BigInt((intPart || "0") + fracPart), 10n ** BigInt(fracPart.length));
  }
  const isDecimal = text.includes(".") && !repeat;
  return { k: "num", v, text, dec: isDecimal ? fracPart.length : -1, sig: Math.max(digits.length, 1) };
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isAsciiLetter = (c: string | undefined): boolean => c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z"));

/** Characters a model may type instead of LaTeX. */
const UNICODE: Record<string, string> = { "√": " sqrt ", "²": "^2", "³": "^3", "¹": "^1", "⁰": "^0", "⁴": "^4", "½": "(1/2)", "¼": "(1/4)", "¾": "(3/4)", "⋅": "*", "∗": "*", "–": "-" };
const UNICODE_RE = /[√²³¹⁰⁴½¼¾⋅∗–]/g;

export function tokenize(src0: string): Tok[] {
  const src = UNICODE_RE.test(src0) ? src0.replace(UNICODE_RE, (c) => UNICODE[c]) : src0;
  UNICODE_RE.lastIndex = 0;
  const toks: Tok[] = [];
  let i = 0;
  let depth = 0;
  const s = src;
  while (i < s.length) {
    const c = s[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (c === "⟪") {
      const end = s.indexOf("⟫", i);
      const stop = end < 0 ? s.length : end;
      toks.push({ t: "word", text: s.slice(i + 1, stop) });
      i = stop + 1;
      continue;
    }
    if (isDigit(c) || (c === "." && (isDigit(s[i + 1]) || s[i + 1] === "¯"))) {
      let j = i;
      while (j < s.length && isDigit(s[j])) j++;
      // thousands separators, only outside brackets where a comma could separate coordinates
      if (depth === 0 && j - i <= 3 && s[j] === "," && /^,\d{3}(?!\d)/.test(s.slice(j, j + 5))) {
        while (/^,\d{3}(?!\d)/.test(s.slice(j, j + 5))) j += 4;
      } else if (depth === 0 && j - i <= 3 && s[j] === " " && /^ \d{3}(?![\d.])/.test(s.slice(j, j + 5)) && (i === 0 || !/[\d,]/.test(s[i - 2] ?? ""))) {
        // "1 000 000" written with spaces
        while (/^ \d{3}(?!\d)/.test(s.slice(j, j + 5))) j += 4;
      }
      if (s[j] === "." && (isDigit(s[j + 1]) || s[j + 1] === "¯")) {
        j++;
        while (j < s.length && isDigit(s[j])) j++;
      } else if (s[j] === "." && !isAsciiLetter(s[j + 1]) && j + 1 < s.length) {
        j++; // "5." followed by an operator
      }
      let text = s.slice(i, j).replace(/[, ]/g, "");
      if (text.endsWith(".")) text = text.slice(0, -1);
      let repeat: string | null = null;
      if (s[j] === "¯") {
        const end = s.indexOf("¯", j + 1);
        if (end < 0) throw new ParseError("unclosed repeating digits");
        repeat = s.slice(j + 1, end);
        j = end + 1;
      }
      const node = makeNumber(text, repeat);
      if (repeat) node.text = (text.includes(".") ? text : text + ".") + "(" + repeat + ")";
      const sci = s[j] === "e" || s[j] === "E" ? /^[eE]([+-]?\d+)(?![a-zA-Z\d])/.exec(s.slice(j, j + 8)) : null;
      i = j;
      toks.push({ t: "num", node });
      if (sci) {
        toks.push({ t: "op", op: "*" }, { t: "num", node: makeNumber("10", null) }, { t: "op", op: "^" });
        const exp = sci[1];
        if (exp.startsWith("-")) toks.push({ t: "op", op: "-" });
        toks.push({ t: "num", node: makeNumber(exp.replace(/^[+-]/, ""), null) });
        i += sci[0].length;
      }
      continue;
    }
    if (isAsciiLetter(c)) {
      let j = i;
      while (j < s.length && isAsciiLetter(s[j])) j++;
      const run = s.slice(i, j);
      i = j;
      const lower = run.toLowerCase();
      if (KNOWN_FUNCTIONS.has(run) || NAMES.has(run)) toks.push({ t: "id", name: run });
      else if (lower === "and" || lower === "or") toks.push({ t: "op", op: "," });
      else if (isWordRun(run)) toks.push({ t: "word", text: run });
      else for (const ch of run) toks.push({ t: "id", name: ch });
      continue;
    }
    const multi = MULTI_FIRST.has(c) ? MULTI_OPS.find((m) => s.startsWith(m, i)) : undefined;
    if (multi) {
      const map: Record<string, string> = { "<=": "≤", "=<": "≤", ">=": "≥", "=>": "≥", "!=": "≠", "**": "^", "\\cup": "∪" };
      toks.push({ t: "op", op: map[multi] });
      i += multi.length;
      continue;
    }
    if (SINGLE_OPS.has(c)) {
      const op = c === "×" || c === "·" ? "*" : c === "÷" ? "/" : c === "−" ? "-" : c;
      if ("([{⟦".includes(op)) depth++;
      if (")]}⟧".includes(op)) depth--;
      toks.push({ t: "op", op });
      i++;
      continue;
    }
    if (/\p{L}/u.test(c)) {
      toks.push({ t: "id", name: c }); // greek letters from latex.ts
      i++;
      continue;
    }
    if (c === "\\" || c === "?" || c === '"' || c === "`") {
      i++;
      continue;
    }
    throw new ParseError(`unexpected character ${c}`);
  }
  return toks;
}

const REL_OPS = new Set(["=", "<", ">", "≤", "≥", "≠"]);
const MAX_NODES = 4000;
const MAX_DEPTH = 200;

class Parser {
  i = 0;
  count = 0;
  depth = 0;
  constructor(readonly toks: Tok[]) {}

  peekOp(): string | null {
    const t = this.toks[this.i];
    return t && t.t === "op" ? t.op : null;
  }
  eat(op: string): boolean {
    if (this.peekOp() === op) {
      this.i++;
      return true;
    }
    return false;
  }
  expect(op: string): void {
    if (!this.eat(op)) throw new ParseError(`expected ${op}`);
  }
  node<T extends Node>(n: T): T {
    if (++this.count > MAX_NODES) throw new TooLarge(`more than ${MAX_NODES} terms`);
    return n;
  }

  /** list := union (',' union)* — commas at the top or inside brackets. */
  list(): Node[] {
    const items: Node[] = [];
    if (this.atListEnd()) return items;
    items.push(this.setop());
    while (this.eat(",") || this.eat(";")) {
      if (this.atListEnd()) break;
      items.push(this.setop());
    }
    return items;
  }
  atListEnd(): boolean {
    const op = this.peekOp();
    return this.i >= this.toks.length || op === ")" || op === "]" || op === "}" || op === "⟧";
  }
  setop(): Node {
    let a = this.rel();
    for (;;) {
      const op = this.peekOp();
      if (op !== "∪" && op !== "∩") return a;
      this.i++;
      a = this.node({ k: "setop", op, a, b: this.rel() });
    }
  }
  rel(): Node {
    // "x ∈ [1, 2]" means the set on the right
    if (this.toks[this.i]?.t === "id" && this.toks[this.i + 1]?.t === "op" && (this.toks[this.i + 1] as { op: string }).op === "∈") {
      this.i += 2;
    }
    const first = this.sum();
    const ops: RelOp[] = [];
    const sides = [first];
    for (;;) {
      const op = this.peekOp();
      if (!op || !REL_OPS.has(op)) break;
      this.i++;
      ops.push(op as RelOp);
      sides.push(this.sum());
    }
    return ops.length ? this.node({ k: "rel", ops, sides }) : first;
  }
  sum(): Node {
    let a = this.term();
    for (;;) {
      const op = this.peekOp();
      if (op === "+" || op === "-") {
        this.i++;
        a = this.node({ k: "bin", op, a, b: this.term() });
      } else if (op === "±") {
        this.i++;
        a = this.node({ k: "pm", a, b: this.term() });
      } else return a;
    }
  }
  startsPrimary(): boolean {
    const t = this.toks[this.i];
    if (!t) return false;
    if (t.t === "num" || t.t === "id") return true;
    return t.t === "op" && ["(", "⟦", "⌊", "⌈", "π", "∞"].includes(t.op);
  }
  atFunction(): boolean {
    const t = this.toks[this.i];
    return t?.t === "id" && KNOWN_FUNCTIONS.has(t.name);
  }
  term(): Node {
    let a = this.unary();
    for (;;) {
      const op = this.peekOp();
      if (op === "*" || op === "/") {
        this.i++;
        a = this.node({ k: "bin", op, a, b: this.unary() });
      } else if (this.startsPrimary()) {
        a = this.node({ k: "bin", op: "*", a, b: this.power() });
      } else return a;
    }
  }
  unary(): Node {
    if (this.eat("-")) return this.node({ k: "neg", a: this.unary() });
    if (this.eat("+")) return this.unary();
    if (this.eat("±")) return this.node({ k: "pm", a: null, b: this.unary() });
    return this.power();
  }
  power(): Node {
    const base = this.postfix();
    if (this.eat("^")) {
      if (++this.depth > MAX_DEPTH) throw new TooLarge(`nested more than ${MAX_DEPTH} levels deep`);
      const exp = this.unary();
      this.depth--;
      return this.postfixOps(this.node({ k: "bin", op: "^", a: base, b: exp }));
    }
    return base;
  }
  postfix(): Node {
    return this.postfixOps(this.primary());
  }
  postfixOps(a: Node): Node {
    for (;;) {
      const op = this.peekOp();
      if (op === "!" || op === "%" || op === "°") {
        this.i++;
        a = this.node({ k: "post", op, a });
      } else if (op === "'") {
        this.i++;
      } else if (op === "_") {
        // subscripts: a base for a number (1011_2), part of the name for a symbol (x_1)
        this.i++;
        const sub = this.primary();
        if (a.k === "num" && a.dec === -1 && !a.base) {
          const base = subscriptBase(sub);
          if (base) a = this.node(toBase(a, base));
        } else if (a.k === "sym") {
          a = this.node({ k: "sym", name: `${a.name}_${show(sub)}` });
        }
      } else return a;
    }
  }
  primary(): Node {
    if (++this.depth > MAX_DEPTH) throw new TooLarge(`nested more than ${MAX_DEPTH} levels deep`);
    try {
      return this.primaryInner();
    } finally {
      this.depth--;
    }
  }
  primaryInner(): Node {
    const t = this.toks[this.i++];
    if (!t) throw new ParseError("unexpected end");
    if (t.t === "num") return this.node({ ...t.node });
    if (t.t === "word") throw new ParseError("words in expression");
    if (t.t === "id") return this.identifier(t.name);
    switch (t.op) {
      case "π":
        return this.node({ k: "const", name: "pi" });
      case "∞":
        return this.node({ k: "const", name: "inf" });
      case "ℝ":
        return this.node({ k: "reals" });
      case "∅":
        return this.node({ k: "empty" });
      case "(":
      case "[": {
        const items = this.list();
        const close = this.peekOp();
        if (close !== ")" && close !== "]") throw new ParseError("unclosed bracket");
        this.i++;
        if (items.length === 1 && t.op === "(" && close === ")") return items[0];
        return this.node({ k: "group", open: t.op, close, items });
      }
      case "{": {
        const items = this.list();
        this.expect("}");
        return this.node({ k: "group", open: "{", close: "}", items });
      }
      case "⟦": {
        const rows: Node[][] = [];
        let row: Node[] = [];
        for (;;) {
          if (this.eat("⟧")) break;
          row.push(this.setop());
          if (this.eat(";")) {
            rows.push(row);
            row = [];
          } else if (!this.eat(",") && this.peekOp() !== "⟧") throw new ParseError("bad matrix");
        }
        if (row.length) rows.push(row);
        return this.node({ k: "matrix", rows });
      }
      case "|": {
        const a = this.sum();
        this.expect("|");
        return this.node({ k: "fn", name: "abs", args: [a] });
      }
      case "⌊": {
        const a = this.sum();
        this.expect("⌋");
        return this.node({ k: "fn", name: "floor", args: [a] });
      }
      case "⌈": {
        const a = this.sum();
        this.expect("⌉");
        return this.node({ k: "fn", name: "ceil", args: [a] });
      }
      default:
        throw new ParseError(`unexpected ${t.op}`);
    }
  }
  identifier(name: string): Node {
    if (name === "pi") return this.node({ k: "const", name: "pi" });
    if (name === "inf" || name === "infty" || name === "infinity" || name === "oo") return this.node({ k: "const", name: "inf" });
    if (name === "e" || name === "i") {
      return this.node({ k: "const", name });
    }
    if (!KNOWN_FUNCTIONS.has(name)) return this.node({ k: "sym", name });
    let fname = name === "lg" ? "log" : name === "asin" ? "arcsin" : name === "acos" ? "arccos" : name === "atan" ? "arctan" : name;
    const args: Node[] = [];
    if (fname === "logb") {
      // logb(base) from latex.ts, then the argument
      this.expect("(");
      args.push(this.sum());
      this.expect(")");
      fname = "logb";
    }
    // f^2(x) as in \sin^2 x
    let power: Node | null = null;
    if (this.eat("^")) power = this.postfix();
    if (this.peekOp() === "(") {
      this.i++;
      args.push(...this.list());
      this.expect(")");
    } else {
      // \sin 2x: the argument runs over a product of factors without explicit operators
      let a = this.power();
      while (this.startsPrimary() && !this.atFunction()) a = this.node({ k: "bin", op: "*", a, b: this.power() });
      args.push(a);
    }
    const call = this.node({ k: "fn", name: fname, args }) as Node;
    return power ? this.node({ k: "bin", op: "^", a: call, b: power }) : call;
  }
}

function subscriptBase(sub: Node): number | null {
  if (sub.k === "num" && sub.dec === -1) {
    const b = Number(sub.text);
    return b >= 2 && b <= 36 ? b : null;
  }
  return null;
}

function toBase(n: Extract<Node, { k: "num" }>, base: number): Node {
  let v = 0n;
  for (const ch of n.text) {
    const d = parseInt(ch, 36);
    if (d >= base) return n;
    v = v * BigInt(base) + BigInt(d);
  }
  return { k: "num", v: new Fraction(v), text: n.text, dec: -1, sig: n.sig, base };
}

export function parseExpr(plain: string): Node[] {
  return parseTokens(tokenize(plain));
}

export function parseTokens(toks: Tok[]): Node[] {
  const p = new Parser(toks);
  const items = p.list();
  if (p.i < p.toks.length) throw new ParseError("unexpected trailing input");
  return items;
}

/** Tokens of a plain string, for callers that must look at words before parsing. */
export function wordsIn(plain: string): string[] {
  return tokenize(plain).flatMap((t) => (t.t === "word" ? [t.text] : []));
}

/** A canonical text form, used for caching, de-duplication and the `normalise` helper. */
export function show(n: Node): string {
  switch (n.k) {
    case "num":
      return n.base ? `${n.text}_${n.base}` : n.text;
    case "sym":
      return n.name;
    case "const":
      return n.name;
    case "bin":
      return `(${show(n.a)}${n.op}${show(n.b)})`;
    case "neg":
      return `-${show(n.a)}`;
    case "pm":
      return n.a ? `(${show(n.a)}±${show(n.b)})` : `±${show(n.b)}`;
    case "fn":
      return `${n.name}(${n.args.map(show).join(",")})`;
    case "post":
      return `${show(n.a)}${n.op}`;
    case "group":
      return `${n.open}${n.items.map(show).join(",")}${n.close}`;
    case "matrix":
      return `[${n.rows.map((r) => r.map(show).join(",")).join(";")}]`;
    case "rel":
      return n.sides.map((s, i) => (i ? n.ops[i - 1] : "") + show(s)).join("");
    case "setop":
      return `${show(n.a)}${n.op}${show(n.b)}`;
    case "list":
      return n.items.map(show).join(",");
    case "reals":
      return "ℝ";
    case "empty":
      return "∅";
  }
}
