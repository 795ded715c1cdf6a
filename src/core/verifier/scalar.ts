// Comparison of single values: numbers exactly or to stated precision, percent and degrees,
// numbers in a base, and expressions with variables at sample points. The policies are listed in
// equal.ts.
import { Fraction } from "mathjs";
import type { Node } from "./expr";
import { show } from "./expr";
import { cannotCompare, close, finite, isInf, points, POINTS, type Reason } from "./compare";
import { decimals, exact, noiseScale, symbols, value, type Cx, type ExactScope, type Scope } from "./numeric";

const REL_TOL = 1e-9;
const MIN_APPROX_SIG = 6;
/** Significant digits of a printed double: a decimal with 15 to 17 is compared as a double. */
const PRINTED_DOUBLE = [15, 17];

const OUT_OF_RANGE = "a value is beyond floating-point range";

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
