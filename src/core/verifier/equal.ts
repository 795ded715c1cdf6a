// Mathematical equivalence of two parsed answers. Each function returns the reason the two are
// equal, or null when they are not.
//
// Policies (also in the README):
// - Numbers: exact rational comparison whenever both sides are rational (decimals are exact:
//   0.5 = 1/2). Irrational values (√2, π) compare in floating point with relative tolerance 1e-9.
//   A decimal stands for an exact non-terminating value (1/3, √2) only when it gives at least 6
//   significant digits and is within one unit of its last digit: 0.333333 = 1/3, 0.33 ≠ 1/3,
//   3.14 ≠ π. A decimal never stands for a different terminating value (4.0000001 ≠ 4), except a
//   printed double with 15+ significant digits (0.30000000000000004 = 0.3, relative 1e-12).
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
import type { Node } from "./expr";
import { show } from "./expr";
import { collectionEqual, shapeOf } from "./collections";
import { decimals, exact, symbols, value, type Cx, type Scope } from "./numeric";
import { asUnion, relEqual } from "./relations";

const REL_TOL = 1e-9;
const MIN_APPROX_SIG = 6;
export const POINTS = 6;

export type Reason = string | null;

export function close(a: Cx, b: Cx, tol: number): boolean {
  const d = Math.hypot(a.re - b.re, a.im - b.im);
  const m = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
  return d <= tol * m || d <= 1e-12;
}

export function finite(a: Cx): boolean {
  return Number.isFinite(a.re) && Number.isFinite(a.im);
}

export function isInf(n: Node): number {
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
  // 15+ significant digits is a printed double (0.30000000000000004): compare as floats
  const printedDouble = (dg !== null && dg.sig >= 15) || (dr !== null && dr.sig >= 15);
  if (eg && er && printedDouble) return Math.abs(eg.valueOf() - er.valueOf()) <= 1e-12 * Math.max(Math.abs(eg.valueOf()), Math.abs(er.valueOf())) ? "equal as floating-point numbers" : null;
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
export function points(names: string[], count: number): Scope[] {
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
