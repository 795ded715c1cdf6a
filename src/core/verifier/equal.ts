// Mathematical equivalence of two parsed answers. Each function returns the reason the two are
// equal, or null when they are not.
//
// Policies (also in the README):
// - Numbers: exact rational comparison whenever both sides are rational (decimals are exact:
//   0.5 = 1/2). Irrational values (√2, π) compare in floating point with relative tolerance 1e-9.
//   A decimal stands for an exact non-terminating value (1/3, √2) only when it gives at least 6
//   significant digits and is within one unit of its last digit: 0.333333 = 1/3, 0.33 ≠ 1/3,
//   3.14 ≠ π. A decimal never stands for a different terminating value (4.0000001 ≠ 4).
// - Percent: "x%" equals x and x/100 (50% matches 50 and 1/2); with % on both sides, x% = y%
//   only when x = y.
// - Degrees: "x°" equals x, and x·π/180 (30° matches 30 and π/6).
// - Expressions with variables: equal when both evaluate to the same values at several random
//   points (x²+2x+1 = (x+1)²); different variable names are different answers.
// - Tuples, coordinates and intervals keep order and bracket kinds; sets {…} and bare lists
//   "1, 2" are unordered; unions compare as unordered sets of intervals.
// - Equations: "x = 5" matches 5; a chain "x = 2+3 = 5" matches 5 when every non-label side
//   equals it; two equations match when one is a nonzero multiple of the other (sides swapped
//   or scaled). Inequalities match when one is a positive multiple of the other, with the same
//   strictness; "x > 3" matches the interval (3, ∞).
import { Fraction } from "mathjs";
import type { Node, RelOp } from "./expr";
import { show } from "./expr";
import { decimals, exact, symbols, value, type Cx, type Scope } from "./numeric";

const REL_TOL = 1e-9;
const MIN_APPROX_SIG = 6;
const POINTS = 6;
const MAX_SET = 64;

type Reason = string | null;

function close(a: Cx, b: Cx, tol: number): boolean {
  const d = Math.hypot(a.re - b.re, a.im - b.im);
  const m = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
  return d <= tol * m || d <= 1e-12;
}

function finite(a: Cx): boolean {
  return Number.isFinite(a.re) && Number.isFinite(a.im);
}

function isInf(n: Node): number {
  if (n.k === "const" && n.name === "inf") return 1;
  if (n.k === "neg") return -isInf(n.a);
  return 0;
}

/** The value with its percent/degree suffix removed, if it has one at the top. */
function suffix(n: Node, op: "%" | "°"): Node | null {
  return n.k === "post" && n.op === op ? n.a : null;
}

export function constantEqual(g: Node, r: Node): Reason {
  const ig = isInf(g);
  const ir = isInf(r);
  if (ig || ir) return ig === ir ? "same infinity" : null;
  const eg = exact(g);
  const er = exact(r);
  if (eg && er && eg.equals(er)) return "equal as exact rationals";
  const dg = decimals(g);
  const dr = decimals(r);
  // the side with decimals approximates the other only if the other is not a terminating decimal
  const approx = (d: { sig: number; dec: number } | null, otherExact: typeof eg, otherDec: typeof dg) =>
    d !== null && otherDec === null && d.sig >= MIN_APPROX_SIG && !(otherExact && terminates(otherExact.d));
  if (eg && er && !approx(dr, eg, dg) && !approx(dg, er, dr)) return null;
  const vg = value(g, new Map());
  const vr = value(r, new Map());
  if (!finite(vg) || !finite(vr)) return null;
  if (approx(dr, eg, dg) || approx(dg, er, dr)) {
    const d = approx(dr, eg, dg) ? dr! : dg!;
    const ulp = Math.pow(10, -d.dec);
    return Math.hypot(vg.re - vr.re, vg.im - vr.im) <= ulp * (1 + 1e-9) ? "equal to the precision the answer states" : null;
  }
  if (dg !== null || dr !== null || !(eg && er)) {
    return close(vg, vr, REL_TOL) ? "equal numerically (relative tolerance 1e-9)" : null;
  }
  return null;
}

function terminates(d: bigint): boolean {
  let x = d;
  while (x % 2n === 0n) x /= 2n;
  while (x % 5n === 0n) x /= 5n;
  return x === 1n;
}

/** Deterministic pseudo-random points, so grading is reproducible. */
function points(names: string[], count: number): Scope[] {
  let seed = 0x9e3779b9;
  const rnd = () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    return ((seed >>> 0) % 1_000_000) / 1_000_000;
  };
  const out: Scope[] = [];
  for (let k = 0; k < count; k++) out.push(new Map(names.map((n) => [n, 0.35 + 2.3 * rnd()])));
  return out;
}

function symbolicEqual(g: Node, r: Node, names: string[]): Reason {
  let agreed = 0;
  for (const scope of points(names, POINTS)) {
    const a = value(g, scope);
    const b = value(r, scope);
    if (!finite(a) || !finite(b)) {
      if (finite(a) !== finite(b)) return null;
      continue;
    }
    if (!close(a, b, 1e-8)) return null;
    agreed++;
  }
  return agreed >= 3 ? `equal at ${agreed} random points` : null;
}

function baseEqual(g: Node, r: Node): Reason | undefined {
  const gb = g.k === "num" && g.base;
  const rb = r.k === "num" && r.base;
  if (!gb && !rb) return undefined;
  if (g.k !== "num" || r.k !== "num" || r.dec >= 0 || g.dec >= 0) return null;
  if (gb && rb) return g.base === r.base && g.v.equals(r.v) ? "same number in the same base" : null;
  // 1011_2 vs 1011: the digits, not the value, are the answer
  return g.text.toLowerCase() === r.text.toLowerCase() ? "same digits (base given on one side)" : null;
}

export function scalarEqual(g: Node, r: Node): Reason {
  if (show(g) === show(r)) return "identical";
  const b = baseEqual(g, r);
  if (b !== undefined) return b;
  const gp = suffix(g, "%");
  const rp = suffix(r, "%");
  if (gp && rp) return scalarEqual(gp, rp);
  if (gp) return scalarEqual(gp, r) ?? withNote(plainEqual(g, r), "percent as a fraction");
  if (rp) return scalarEqual(g, rp) ?? withNote(plainEqual(g, { k: "bin", op: "/", a: rp, b: numNode(100) }), "percent as a fraction");
  const gd = suffix(g, "°");
  const rd = suffix(r, "°");
  if (gd && rd) return scalarEqual(gd, rd);
  if (gd) return scalarEqual(gd, r) ?? withNote(plainEqual(g, r), "degrees as radians");
  if (rd) return scalarEqual(g, rd) ?? withNote(plainEqual(g, r), "degrees as radians");
  return plainEqual(g, r);
}

function withNote(reason: Reason, note: string): Reason {
  return reason && `${reason} (${note})`;
}

function numNode(n: number): Node {
  return { k: "num", v: new Fraction(n), text: String(n), dec: -1, sig: String(n).length };
}

function plainEqual(g: Node, r: Node): Reason {
  const names = [...symbols(g, symbols(r))];
  if (names.length === 0) return constantEqual(g, r);
  return symbolicEqual(g, r, names.sort());
}

// ---------- collections ----------

type Shape = "set" | "list" | "tuple";

function shapeOf(n: Node): Shape | null {
  if (n.k === "list") return "list";
  if (n.k === "group") return n.open === "{" ? "set" : "tuple";
  return null;
}

function itemsOf(n: Node): Node[] {
  if (n.k === "list" || n.k === "group") return n.items;
  if (n.k === "matrix") return n.rows.flat();
  return [n];
}

function unorderedEqual(gs: Node[], rs: Node[]): Reason {
  if (gs.length !== rs.length || gs.length > MAX_SET) return null;
  const used = new Array<boolean>(rs.length).fill(false);
  for (const g of gs) {
    let found = false;
    for (let j = 0; j < rs.length; j++) {
      if (!used[j] && equalNodes(g, rs[j])) {
        used[j] = true;
        found = true;
        break;
      }
    }
    if (!found) return null;
  }
  return "same elements in any order";
}

function orderedEqual(gs: Node[], rs: Node[]): Reason {
  if (gs.length !== rs.length) return null;
  for (let k = 0; k < gs.length; k++) if (!equalNodes(gs[k], rs[k])) return null;
  return "same elements in the same order";
}

function unionParts(n: Node): Node[] {
  return n.k === "setop" && n.op === "∪" ? [...unionParts(n.a), ...unionParts(n.b)] : [n];
}

function collectionEqual(g: Node, r: Node): Reason {
  if (g.k === "setop" || r.k === "setop") {
    if (g.k !== "setop" || r.k !== "setop" || g.op !== r.op) return null;
    return unorderedEqual(unionParts(g), unionParts(r)) && "same union of sets";
  }
  if (g.k === "matrix" || r.k === "matrix") return matrixEqual(g, r);
  const gs = shapeOf(g);
  const rs = shapeOf(r);
  if (!gs || !rs) {
    // a one-element collection against a bare value: {5} vs 5
    const coll = gs ? g : r;
    const items = itemsOf(coll);
    if (items.length === 1 && (shapeOf(coll) === "set" || shapeOf(coll) === "list")) return gs ? equal(items[0], r) : equal(g, items[0]);
    // "\frac12 or 0.5": one value written in several forms
    if (coll === r && shapeOf(r) === "list" && items.length <= 4 && items.every((x) => equal(g, x))) return "every listed form equals the answer";
    return null;
  }
  if (gs === "tuple" && rs === "tuple") {
    if (g.k !== "group" || r.k !== "group" || g.open !== r.open || g.close !== r.close) return null;
    return orderedEqual(g.items, r.items) && (g.open === "(" && g.close === ")" ? "same tuple" : "same interval");
  }
  if (gs === "tuple" && rs === "list") {
    // "(1, 2)" answered as "1, 2": order still matters unless it is an interval
    if (g.k === "group" && g.open === "(" && g.close === ")") return orderedEqual(itemsOf(g), itemsOf(r));
    return null;
  }
  if (gs === "tuple" || rs === "tuple") {
    if (gs === "list" && r.k === "group" && r.open === "(" && r.close === ")") return unorderedEqual(itemsOf(g), itemsOf(r));
    return null;
  }
  return unorderedEqual(itemsOf(g), itemsOf(r));
}

function matrixEqual(g: Node, r: Node): Reason {
  if (g.k === "matrix" && r.k === "matrix") {
    if (g.rows.length !== r.rows.length || g.rows.some((row, k) => row.length !== r.rows[k].length)) return null;
    return orderedEqual(g.rows.flat(), r.rows.flat()) && "same matrix";
  }
  // a row or column vector against a tuple
  const m = g.k === "matrix" ? g : r;
  const other = m === g ? r : g;
  if (m.k !== "matrix" || !(m.rows.length === 1 || m.rows.every((row) => row.length === 1))) return null;
  if (!(other.k === "group" && other.open === "(") && other.k !== "list") return null;
  return orderedEqual(m === g ? m.rows.flat() : itemsOf(other), m === g ? itemsOf(other) : m.rows.flat()) && "same vector";
}

// ---------- relations ----------

const FLIP: Record<RelOp, RelOp> = { "=": "=", "≠": "≠", "<": ">", ">": "<", "≤": "≥", "≥": "≤" };

/** A side that only names the answer: x, y_1, f(x) as in "f(x) = x^2". */
function isLabel(n: Node, otherSymbols: Set<string>): boolean {
  if (n.k === "sym") return !otherSymbols.has(n.name);
  // "(a, b) = (1, 2)"
  if (n.k === "group" && n.items.length > 0 && n.items.every((x) => x.k === "sym" && !otherSymbols.has(x.name))) return true;
  if (n.k === "bin" && n.op === "*") {
    // f(x), f^{-1}(x), AB, P(A): a name, possibly applied to something
    let head: Node = n;
    while (head.k === "bin" && head.op === "*") head = head.a;
    if (head.k === "bin" && head.op === "^") head = head.a;
    return head.k === "sym" && !otherSymbols.has(head.name);
  }
  return false;
}

/** The sides of an equation chain that carry a value (labels like "x =" dropped). */
function valueSides(rel: Extract<Node, { k: "rel" }>, context: Set<string>): Node[] | null {
  if (rel.ops.some((op) => op !== "=")) return null;
  const sides = rel.sides.filter((s, k) => {
    const others = new Set(context);
    rel.sides.forEach((o, j) => j !== k && symbols(o, others));
    return !isLabel(s, others);
  });
  return sides.length > 0 && sides.length < rel.sides.length + 1 ? sides : null;
}

function difference(l: Node, r: Node): Node {
  return { k: "bin", op: "-", a: l, b: r };
}

/** Whether f/g is the same constant at every point (positive only when `positive`). */
function proportional(f: Node, g: Node, positive: boolean): boolean {
  const names = [...symbols(f, symbols(g))].sort();
  if (names.length === 0) return false;
  let ratio: Cx | null = null;
  let agreed = 0;
  for (const scope of points(names, POINTS)) {
    const a = value(f, scope);
    const b = value(g, scope);
    if (!finite(a) || !finite(b)) continue;
    const zeroA = Math.hypot(a.re, a.im) < 1e-12;
    const zeroB = Math.hypot(b.re, b.im) < 1e-12;
    if (zeroA || zeroB) {
      if (zeroA !== zeroB) return false;
      continue;
    }
    const den = b.re * b.re + b.im * b.im;
    const q = { re: (a.re * b.re + a.im * b.im) / den, im: (a.im * b.re - a.re * b.im) / den };
    if (ratio === null) ratio = q;
    else if (!close(ratio, q, 1e-8)) return false;
    agreed++;
  }
  if (ratio === null || agreed < 3) return false;
  return !positive || (ratio.re > 0 && Math.abs(ratio.im) < 1e-9);
}

/** Single-variable inequalities as an interval: x > 3 → (3, ∞); 1 < x ≤ 3 → (1, 3]. */
function relToInterval(rel: Extract<Node, { k: "rel" }>): Node | null {
  let { ops, sides } = rel;
  const inf: Node = { k: "const", name: "inf" };
  const ninf: Node = { k: "neg", a: inf };
  if (ops.length === 1 && ops[0] === "≠") {
    // x ≠ a: (-∞, a) ∪ (a, ∞)
    const [v, a] = sides[0].k === "sym" ? [sides[0], sides[1]] : [sides[1], sides[0]];
    if (v.k !== "sym" || symbols(a).size > 0) return null;
    return { k: "setop", op: "∪", a: { k: "group", open: "(", close: ")", items: [ninf, a] }, b: { k: "group", open: "(", close: ")", items: [a, inf] } };
  }
  if (ops.some((o) => o === "=" || o === "≠")) return null;
  if (ops.length === 1) {
    if (sides[0].k !== "sym") {
      if (sides[1].k !== "sym") return null;
      sides = [sides[1], sides[0]];
      ops = [FLIP[ops[0]]];
    }
    if (symbols(sides[1]).size > 0) return null;
    const op = ops[0];
    const closed = op === "≤" || op === "≥";
    return op === "<" || op === "≤"
      ? { k: "group", open: "(", close: closed ? "]" : ")", items: [ninf, sides[1]] }
      : { k: "group", open: closed ? "[" : "(", close: ")", items: [sides[1], inf] };
  }
  if (ops.length === 2 && sides[1].k === "sym" && symbols(sides[0]).size === 0 && symbols(sides[2]).size === 0) {
    const up = ops.every((o) => o === "<" || o === "≤");
    const down = ops.every((o) => o === ">" || o === "≥");
    if (!up && !down) return null;
    const [lo, hi] = up ? [sides[0], sides[2]] : [sides[2], sides[0]];
    const [loOp, hiOp] = up ? [ops[0], ops[1]] : [ops[1], ops[0]];
    return { k: "group", open: loOp === "≤" || loOp === "≥" ? "[" : "(", close: hiOp === "≤" || hiOp === "≥" ? "]" : ")", items: [lo, hi] };
  }
  return null;
}

function relEqual(g: Node, r: Node): Reason {
  if (g.k === "rel" && r.k === "rel") {
    // the same label on both sides: compare what it is set to ("y = 2x+3" vs "y = 3+2x")
    if (g.ops.length === 1 && r.ops.length === 1 && g.ops[0] === "=" && r.ops[0] === "=") {
      const labelAt = (rel: typeof g): number => {
        const [a, b] = rel.sides;
        if (a.k === "sym" && !symbols(b).has(a.name)) return 0;
        if (b.k === "sym" && !symbols(a).has(b.name)) return 1;
        return isLabel(a, symbols(b)) ? 0 : -1;
      };
      const gl = labelAt(g);
      const rl = labelAt(r);
      // the same name on both sides ("y = …" and "y = …"), or a function on either ("f(x) = …")
      const sameName = gl >= 0 && rl >= 0 && (show(g.sides[gl]) === show(r.sides[rl]) || g.sides[gl].k !== "sym" || r.sides[rl].k !== "sym");
      if (sameName) {
        const v = equal(g.sides[1 - gl], r.sides[1 - rl]);
        if (v) return v;
      }
    }
    if (g.ops.length === 1 && r.ops.length === 1) {
      const go = g.ops[0];
      let ro = r.ops[0];
      let [rl, rr] = r.sides;
      if (go !== ro && FLIP[ro] === go) {
        [rl, rr] = [rr, rl];
        ro = go;
      }
      if (go === ro) {
        const f = difference(g.sides[0], g.sides[1]);
        const h = difference(rl, rr);
        const positive = go !== "=" && go !== "≠";
        if (proportional(f, h, positive)) return positive ? "same inequality up to a positive factor" : "same equation up to a factor";
        if (symbols(f).size === 0 && symbols(h).size === 0 && equal(g.sides[0], rl) && equal(g.sides[1], rr)) return "same sides";
      }
    }
    const gi = relToInterval(g);
    const ri = relToInterval(r);
    if (gi && ri) return collectionEqual(gi, ri);
    if (g.ops.length === r.ops.length && g.ops.every((o, k) => o === r.ops[k])) {
      if (g.sides.every((s, k) => equal(s, r.sides[k]))) return "same sides";
    }
    return null;
  }
  if (g.k === "rel") {
    const gi = relToInterval(g);
    if (gi) return equal(gi, r);
    const sides = valueSides(g, symbols(r));
    if (sides && sides.length === 1) return equal(sides[0], r);
    return null;
  }
  if (r.k === "rel") {
    const ri = relToInterval(r);
    if (ri) return equal(g, ri);
    const sides = valueSides(r, symbols(g));
    if (!sides) return null;
    for (const s of sides) if (!equal(g, s)) return null;
    return sides.length > 1 ? "every side of the chain equals the answer" : "equal after the label";
  }
  return null;
}

// ---------- ± ----------

function hasPm(n: Node): boolean {
  switch (n.k) {
    case "pm":
      return true;
    case "bin":
      return hasPm(n.a) || hasPm(n.b);
    case "neg":
    case "post":
      return hasPm(n.a);
    case "fn":
      return n.args.some(hasPm);
    default:
      return false;
  }
}

/** 1 ± √2 → [1 + √2, 1 − √2]; several ± signs are one shared sign, as in (1 ± √5)/(2 ± 0). */
function expandPm(n: Node, sign: 1 | -1): Node {
  switch (n.k) {
    case "pm": {
      const b = expandPm(n.b, sign);
      if (!n.a) return sign > 0 ? b : { k: "neg", a: b };
      return { k: "bin", op: sign > 0 ? "+" : "-", a: expandPm(n.a, sign), b };
    }
    case "bin":
      return { ...n, a: expandPm(n.a, sign), b: expandPm(n.b, sign) };
    case "neg":
    case "post":
      return { ...n, a: expandPm(n.a, sign) };
    case "fn":
      return { ...n, args: n.args.map((x) => expandPm(x, sign)) };
    default:
      return n;
  }
}

function expandList(n: Node): Node {
  if (hasPm(n)) return { k: "list", items: [expandPm(n, 1), expandPm(n, -1)] };
  if (n.k === "list" || (n.k === "group" && n.open === "{")) {
    if (!n.items.some(hasPm)) return n;
    const items = n.items.flatMap((x) => (hasPm(x) ? [expandPm(x, 1), expandPm(x, -1)] : [x]));
    return { ...n, items };
  }
  return n;
}

// ---------- entry points ----------

function equalNodes(g: Node, r: Node): boolean {
  return equal(g, r) !== null;
}

/** "x < -2 or x > 3" (a list of inequalities) as the union (-∞, -2) ∪ (3, ∞). */
function asUnion(n: Node): Node {
  if (n.k !== "list" || n.items.length < 2) return n;
  const parts = n.items.map((x) => (x.k === "rel" ? relToInterval(x) : null));
  if (parts.some((p) => p === null)) return n;
  return (parts as Node[]).reduce((a, b) => ({ k: "setop", op: "∪", a, b }));
}

export function equal(g0: Node, r0: Node): Reason {
  let g = expandList(g0);
  let r = expandList(r0);
  if (g.k === "setop" && r.k === "list") r = asUnion(r);
  if (r.k === "setop" && g.k === "list") g = asUnion(g);
  if (g.k === "rel" || r.k === "rel") return relEqual(g, r);
  if (g.k === "reals" || g.k === "empty" || r.k === "reals" || r.k === "empty") {
    if (g.k === r.k) return "same set";
    const other = g.k === "reals" ? r : r.k === "reals" ? g : null;
    if (other && other.k === "group" && other.items.length === 2 && isInf(other.items[0]) < 0 && isInf(other.items[1]) > 0) return "all real numbers";
    return null;
  }
  if (g.k === "list" && r.k === "list") return collectionEqual(g, r);
  if (shapeOf(g) || shapeOf(r) || g.k === "matrix" || r.k === "matrix" || g.k === "setop" || r.k === "setop") return collectionEqual(g, r);
  return scalarEqual(g, r);
}

/** Compares two top-level answers, each a comma-separated list of items. */
export function equalItems(g: Node[], r: Node[]): Reason {
  const wrap = (xs: Node[]): Node => (xs.length === 1 ? xs[0] : { k: "list", items: xs });
  return equal(wrap(g), wrap(r));
}
