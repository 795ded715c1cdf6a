// What every comparison shares: the verdict type, the "could not decide" slot, closeness, and
// the deterministic sample points. A leaf: scalar, collection and relation comparisons import it,
// and the dispatcher in equal.ts sits above them all.
import type { Node } from "./expr";
import type { Cx, Scope } from "./numeric";

export const POINTS = 6;

export type Reason = string | null;

/** The dispatcher, passed down to comparisons of parts (collection items, equation sides). */
export type Equal = (g: Node, r: Node) => Reason;

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

/** Relative closeness only: tiny values are not close to each other or to 0 by being tiny. */
export function close(a: Cx, b: Cx, tol: number): boolean {
  const d = Math.hypot(a.re - b.re, a.im - b.im);
  const m = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
  return d <= tol * m;
}

export function finite(a: Cx): boolean {
  return Number.isFinite(a.re) && Number.isFinite(a.im);
}

export function isInf(n: Node): number {
  if (n.k === "const" && n.name === "inf") return 1;
  if (n.k === "neg") return -isInf(n.a);
  return 0;
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
