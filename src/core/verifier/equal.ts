// Mathematical equivalence of two parsed answers. Each function returns the reason the two are
// equal, or null when they are not. This module is the dispatcher: it picks scalar.ts,
// collections.ts or relations.ts by the answers' shapes and hands them itself for the parts, so
// they import only the leaves below them (compare.ts, numeric.ts, expr.ts).
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
import type { Node } from "./expr";
import { collectionEqual, shapeOf } from "./collections";
import { isInf, type Reason } from "./compare";
import { asUnion, relEqual } from "./relations";
import { scalarEqual } from "./scalar";

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
  if (g.k === "rel" || r.k === "rel") return relEqual(g, r, equal);
  if (g.k === "reals" || g.k === "empty" || r.k === "reals" || r.k === "empty") {
    if (g.k === r.k) return "same set";
    const other = g.k === "reals" ? r : r.k === "reals" ? g : null;
    if (other && other.k === "group" && other.items.length === 2 && isInf(other.items[0]) < 0 && isInf(other.items[1]) > 0) return "all real numbers";
    return null;
  }
  if (g.k === "list" && r.k === "list") return collectionEqual(g, r, equal);
  if (shapeOf(g) || shapeOf(r) || g.k === "matrix" || r.k === "matrix" || g.k === "setop" || r.k === "setop") return collectionEqual(g, r, equal);
  return scalarEqual(g, r);
}

/** Compares two top-level answers, each a comma-separated list of items. */
export function equalItems(g: Node[], r: Node[]): Reason {
  const wrap = (xs: Node[]): Node => (xs.length === 1 ? xs[0] : { k: "list", items: xs });
  return equal(wrap(g), wrap(r));
}
