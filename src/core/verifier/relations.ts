// Equations and inequalities: labels ("x = 5"), chains, equivalence up to a factor, and
// single-variable inequalities as intervals. Sides are compared with `equal`, the dispatcher that
// called in (equal.ts), so this module stays below it.
import type { Node, RelOp } from "./expr";
import { show } from "./expr";
import { symbols, value, type Cx } from "./numeric";
import { collectionEqual } from "./collections";
import { close, finite, points, POINTS, type Equal, type Reason } from "./compare";

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
    // a value past the double range says nothing about the ratio
    if (a.lost || b.lost || !finite(a) || !finite(b)) continue;
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
export function relToInterval(rel: Extract<Node, { k: "rel" }>): Node | null {
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

export function relEqual(g: Node, r: Node, equal: Equal): Reason {
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
    if (gi && ri) return collectionEqual(gi, ri, equal);
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

/** "x < -2 or x > 3" (a list of inequalities) as the union (-∞, -2) ∪ (3, ∞). */
export function asUnion(n: Node): Node {
  if (n.k !== "list" || n.items.length < 2) return n;
  const parts = n.items.map((x) => (x.k === "rel" ? relToInterval(x) : null));
  if (parts.some((p) => p === null)) return n;
  return (parts as Node[]).reduce((a, b) => ({ k: "setop", op: "∪", a, b }));
}
