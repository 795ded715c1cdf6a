// Mathematical equivalence of two parsed answers. Each function returns the reason the two are
// equal, or null when they are not.
//
// Policies (also in the README):
// - Numbers: exact rational comparison whenever both sides are rational (decimals are exact:
//   0.5 = 1/2). Irrational values (√2, π) compare in floating point with relative tolerance 1e-9;
//   a smaller difference counts only where rounding explains it, never for being small.
//   A decimal stands for an exact non-terminating value (1/3, √2) only when it gives at least 6
//   significant digits and is within one unit of its last digit (exactly against a fraction, to
//   double precision against an irrational): 0.333333 = 1/3, 0.33 ≠ 1/3, 3.14 ≠ π. A decimal
//   never stands for a different terminating value (4.0000001 ≠ 4), except a printed double with
//   15 to 17 significant digits (0.30000000000000004 = 0.3, relative 1e-12).
// - Values past the double range (overflow, underflow) are never equal: compared exactly where
//   both sides are rational, else "too large to compare" (cannotCompare).
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
import { decimals, exact, noiseScale, symbols, value, type Cx, type ExactScope, type Scope } from "./numeric";
import { asUnion, relEqual } from "./relations";

const REL_TOL = 1e-9;
const MIN_APPROX_SIG = 6;
/** Significant digits of a printed double: a decimal with 15 to 17 is compared as a double. */
const PRINTED_DOUBLE = [15, 17];
export const POINTS = 6;

export type Reason = string | null;

// A comparison returns why two values are equal, or null. When null means "cannot tell" (a value
// past the double range, a collection past its size cap) the comparison notes it here, so the
// grader can say "too large to compare" rather than "not equal". Grading is synchronous and
// deciding() saves and restores the slot, so one module-level slot is enough.
let undecided: string | null = null;

/** Notes that a comparison could not be decided; null, as it did not show the two equal. */
export function cannotCompare(why: string): null {
  undecided ??= why;
  return null;
}

/** Runs a comparison and says why it could not be decided, when a part of it could not. */
export function deciding<T>(compare: () => T): { result: T; undecided: string | null } {
  const outer = undecided;
  undecided = null;
  try {
    const result = compare();
    return { result, undecided };
  } finally {
    undecided = outer;
  }
}

const OUT_OF_RANGE = "a value is beyond floating-point range";

/** Relative closeness only: tiny values are not close to each other or to 0 by being tiny. */
export function close(a: Cx, b: Cx, tol: number): boolean {
  const d = Math.hypot(a.re - b.re, a.im - b.im);
  const m = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
  return d <= tol * m;
}

/**
 * Whether g and r, worth a and b at `scope`, are the same value: relatively close, or apart by no
 * more than rounding can explain (sin π against 0). Never by both being small.
 */
function agree(g: Node, r: Node, scope: Scope, a: Cx, b: Cx, tol: number): boolean {
  if (close(a, b, tol)) return true;
  const d = Math.hypot(a.re - b.re, a.im - b.im);
  // rounding noise is around 1e-16 of the noise scale; 1e-12 leaves a wide margin
  return d <= 1e-12 && d <= 1e-12 * (noiseScale(g, scope, a) + noiseScale(r, scope, b));
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

/** |a − b| ≤ tol·max(|a|, |b|), exactly. */
function relativelyClose(a: Fraction, b: Fraction, tol: Fraction): boolean {
  const m = a.abs().compare(b.abs()) >= 0 ? a.abs() : b.abs();
  return a.sub(b).abs().compare(m.mul(tol)) <= 0;
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
  const printed = (d: typeof dg) => d !== null && d.sig >= PRINTED_DOUBLE[0] && d.sig <= PRINTED_DOUBLE[1];
  if (eg && er && (printed(dg) || printed(dr))) return relativelyClose(eg, er, new Fraction(1, 10 ** 12)) ? "equal as floating-point numbers" : null;
  const approximating = approx(dr, eg, dg) ? dr : approx(dg, er, dr) ? dg : null;
  if (eg && er) {
    // a decimal against a non-terminating fraction: within one unit of its last digit, exactly
    if (!approximating) return null;
    return eg.sub(er).abs().compare(new Fraction(1n, 10n ** BigInt(approximating.dec))) <= 0 ? "equal to the precision the answer states" : null;
  }
  const vg = value(g, new Map());
  const vr = value(r, new Map());
  if (vg.lost || vr.lost) return cannotCompare(OUT_OF_RANGE);
  if (!finite(vg) || !finite(vr)) return null;
  if (approximating) {
    // digits past double precision cannot be checked against an irrational value
    const m = Math.max(Math.hypot(vg.re, vg.im), Math.hypot(vr.re, vr.im));
    const tol = Math.max(Math.pow(10, -approximating.dec) * (1 + 1e-9), 1e-15 * m);
    return Math.hypot(vg.re - vr.re, vg.im - vr.im) <= tol ? "equal to the precision the answer states" : null;
  }
  return agree(g, r, new Map(), vg, vr, REL_TOL) ? "equal numerically (relative tolerance 1e-9)" : null;
}

function terminates(d: bigint): boolean {
  let x = d;
  while (x % 2n === 0n) x /= 2n;
  while (x % 5n === 0n) x /= 5n;
  return x === 1n;
}

/** Deterministic pseudo-random points, so grading is reproducible. */
export function points(names: string[], count: number, from = 0.35, width = 2.3): Scope[] {
  let seed = 0x9e3779b9;
  const rnd = () => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0;
    return ((seed >>> 0) % 1_000_000) / 1_000_000;
  };
  const out: Scope[] = [];
  for (let k = 0; k < count; k++) out.push(new Map(names.map((n) => [n, from + width * rnd()])));
  return out;
}

/** Distinct rational points (2, 3, 5/2, …): exact values where both sides are rational functions. */
function rationalPoints(names: string[]): ExactScope[] {
  return [0, 1, 2].map((k) => new Map(names.map((n, j) => [n, new Fraction(2 + 3 * k + 5 * j, 1 + k + 2 * j)])));
}

/** Compared exactly at rational points: the verdict, or undefined where a side is not rational. */
function exactlyEqual(g: Node, r: Node, names: string[]): Reason | undefined {
  for (const scope of rationalPoints(names)) {
    const a = exact(g, scope);
    const b = exact(r, scope);
    if (!a || !b) return undefined;
    if (!a.equals(b)) return null;
  }
  return "equal exactly at 3 rational points";
}

function symbolicEqual(g: Node, r: Node, names: string[]): Reason {
  let agreed = 0;
  let lost = 0;
  const at = (scope: Scope): boolean => {
    const a = value(g, scope);
    const b = value(r, scope);
    if (a.lost || b.lost) {
      lost++;
      return true;
    }
    if (!finite(a) || !finite(b)) return finite(a) === finite(b);
    if (!agree(g, r, scope, a, b, 1e-8)) return false;
    agreed++;
    return true;
  };
  for (const scope of points(names, POINTS)) if (!at(scope)) return null;
  if (agreed >= 3 || lost === 0) return agreed >= 3 ? `equal at ${agreed} random points` : null;
  // Points where a value left the double range (x^3000 at 2) say nothing: compare exactly where
  // both sides are rational, else at points near 1, where powers stay in range longest.
  const ex = exactlyEqual(g, r, names);
  if (ex !== undefined) return ex;
  lost = 0;
  for (const scope of points(names, POINTS, 0.9, 0.2)) if (!at(scope)) return null;
  return agreed >= 3 ? `equal at ${agreed} random points` : cannotCompare(OUT_OF_RANGE);
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
