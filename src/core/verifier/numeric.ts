// Values of syntax trees: exact rationals (mathjs Fraction) where every step is rational, otherwise
// floating point, real first and complex (mathjs) when a real step leaves its domain.
import * as math from "mathjs";
import { Fraction } from "mathjs";
import type { Node } from "./expr";

/** Largest exponent and factorial computed exactly; beyond them numbers are floats (or too big). */
const MAX_EXACT_EXPONENT = 4096;
/** About 5,000 decimal digits. */
const MAX_EXACT_BITS = 16_600;

export type ExactScope = Map<string, Fraction>;

function bitLength(v: bigint): number {
  return v === 0n ? 0 : (v < 0n ? -v : v).toString(2).length;
}

/** Past this size exact arithmetic stops (null): a product of many big powers costs seconds. */
const EXACT_LIMIT = 1n << BigInt(MAX_EXACT_BITS);

function capped(f: Fraction): Fraction | null {
  return f.n < EXACT_LIMIT && f.d < EXACT_LIMIT ? f : null;
}

/** Numerators and denominators below this convert to doubles exactly enough on their own. */
const SAFE = 1n << 1000n;

/**
 * A fraction as the nearest double, also when numerator or denominator alone is past the double
 * range (a 1,000-digit decimal): Fraction.valueOf() gives NaN there.
 */
export function toNumber(f: Fraction): number {
  const n = f.s * f.n;
  if (f.n < SAFE && f.d < SAFE) return Number(n) / Number(f.d);
  const shift = BigInt(Math.max(bitLength(f.n), bitLength(f.d)) - 1000);
  return Number(n >> shift) / Number(f.d >> shift);
}

/** The exact rational value, with symbols taken from `scope` (absent: not rational), or null. */
export function exact(n: Node, scope?: ExactScope): Fraction | null {
  switch (n.k) {
    case "num":
      return n.v;
    case "sym":
      return scope?.get(n.name) ?? null;
    case "neg": {
      const a = exact(n.a, scope);
      return a && a.neg();
    }
    case "bin": {
      const a = exact(n.a, scope);
      if (!a) return null;
      const b = exact(n.b, scope);
      if (!b) return null;
      switch (n.op) {
        case "+":
          return capped(a.add(b));
        case "-":
          return capped(a.sub(b));
        case "*":
          return capped(a.mul(b));
        case "/":
          return b.n === 0n ? null : capped(a.div(b));
        case "^": {
          if (b.d !== 1n) return rationalRoot(a, b);
          const e = Number(b.s * b.n);
          if (Math.abs(e) > MAX_EXACT_EXPONENT || (a.n === 0n && e < 0)) return null;
          if ((bitLength(a.n) + bitLength(a.d)) * Math.abs(e) > MAX_EXACT_BITS) return null;
          return a.pow(e);
        }
      }
      return null;
    }
    case "post": {
      const a = exact(n.a, scope);
      if (!a) return null;
      if (n.op === "%") return a.div(100);
      if (n.op === "!") {
        if (a.d !== 1n || a.s < 0n || a.n > 500n) return null;
        let r = 1n;
        for (let k = 2n; k <= a.n; k++) r *= k;
        return new Fraction(r);
      }
      return null;
    }
    case "fn": {
      if (n.name === "sqrt" && n.args.length === 1) {
        const a = exact(n.args[0], scope);
        return a && rationalRoot(a, new Fraction(1, 2));
      }
      if (n.name === "binom" && n.args.length === 2) {
        const a = exact(n.args[0], scope);
        const b = exact(n.args[1], scope);
        if (!a || !b || a.d !== 1n || b.d !== 1n || a.s < 0n || b.s < 0n || a.n > 2000n || b.n > a.n) return null;
        let r = 1n;
        for (let k = 0n; k < b.n; k++) r = (r * (a.n - k)) / (k + 1n);
        return new Fraction(r);
      }
      if (n.name === "abs" && n.args.length === 1) {
        const a = exact(n.args[0], scope);
        return a && a.abs();
      }
      return null;
    }
    default:
      return null;
  }
}

function isqrtExact(v: bigint, k: number): bigint | null {
  if (v < 0n) return null;
  if (v < 2n) return v;
  const approx = BigInt(Math.round(Math.pow(Number(v), 1 / k)));
  for (const c of [approx - 1n, approx, approx + 1n]) if (c >= 0n && c ** BigInt(k) === v) return c;
  return null;
}

/** a^(p/q) when it is rational (perfect powers only), else null. */
function rationalRoot(a: Fraction, e: Fraction): Fraction | null {
  if (e.d > 12n || a.s < 0n || a.n > 10n ** 15n || a.d > 10n ** 15n) return null;
  const q = Number(e.d);
  const n = isqrtExact(a.n, q);
  const d = isqrtExact(a.d, q);
  if (n === null || d === null) return null;
  const root = new Fraction(n, d);
  const p = Number(e.s * e.n);
  if (Math.abs(p) > 64 || (root.n === 0n && p < 0)) return null;
  return root.pow(p);
}

/** Thrown inside real evaluation when a step needs complex numbers. */
class NeedsComplex extends Error {}

export type Scope = Map<string, number>;

/**
 * Whether the evaluation in progress left the double range: a step overflowed to ±∞ or
 * underflowed to 0 (or a subnormal) from finite, nonzero operands. Such a value says nothing
 * about the true one (x^3000 and x^3001 are both ∞ at 2 and both 0 at 1/2), so callers must not
 * count it as agreement. Module state because evaluation is synchronous and recursive; value()
 * resets it.
 */
let rangeLost = false;

const MIN_NORMAL = 2.2250738585072014e-308;

/** Functions whose finite argument can give a result past the double range. */
const OVERFLOWING = new Set(["exp", "sinh", "cosh", "binom"]);

/** Marks `r`, the result of `op` on finite `a` (and `b`), when it left the double range. */
function ranged(r: number, op: string, a: number, b = 1): number {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return r;
  if (!Number.isFinite(r)) {
    // 1/0 and 0^-1 are poles, not overflow: their values are undefined, not huge
    if (!((op === "/" && b === 0) || (op === "^" && a === 0))) rangeLost = true;
  } else if (Math.abs(r) < MIN_NORMAL && a !== 0 && b !== 0 && op !== "+" && op !== "-") {
    rangeLost = true;
  }
  return r;
}

function leaf(f: Fraction): number {
  const v = toNumber(f);
  if (f.n !== 0n && (!Number.isFinite(v) || Math.abs(v) < MIN_NORMAL)) rangeLost = true;
  return jittered(v);
}

/** Relative nudge given to every input by noiseScale(); 0 for a plain evaluation. */
let jitter = 0;
let jitterSeed = 0;

function jittered(v: number): number {
  if (jitter === 0) return v;
  jitterSeed = (Math.imul(jitterSeed, 1103515245) + 12345) | 0;
  return v * (1 + (jitterSeed & 0x10000 ? jitter : -jitter));
}

/**
 * About Σ|∂v/∂xᵢ · xᵢ| over the inputs xᵢ (numbers, constants, variables): how far rounding can
 * move value(n, scope) = v. A difference below a small multiple of it (sin π against 0) is
 * rounding; one above it (√2·10⁻²⁰ against 0) is real, however small.
 */
export function noiseScale(n: Node, scope: Scope, v: Cx): number {
  const delta = 1e-9;
  let worst = 0;
  for (const seed of [1, 7]) {
    jitter = delta;
    jitterSeed = seed;
    try {
      const p = value(n, scope);
      if (!p.lost) worst = Math.max(worst, Math.hypot(p.re - v.re, p.im - v.im) / delta);
    } finally {
      jitter = 0;
    }
  }
  return Number.isFinite(worst) ? worst : 0;
}

export function real(n: Node, scope: Scope): number {
  switch (n.k) {
    case "num":
      return leaf(n.v);
    case "sym": {
      const v = scope.get(n.name);
      return v === undefined ? NaN : jittered(v);
    }
    case "const":
      if (n.name === "pi") return jittered(Math.PI);
      if (n.name === "e") return jittered(Math.E);
      if (n.name === "inf") return Infinity;
      throw new NeedsComplex();
    case "neg":
      return -real(n.a, scope);
    case "bin": {
      const a = real(n.a, scope);
      const b = real(n.b, scope);
      switch (n.op) {
        case "+":
          return ranged(a + b, "+", a, b);
        case "-":
          return ranged(a - b, "-", a, b);
        case "*":
          return ranged(a * b, "*", a, b);
        case "/":
          return ranged(a / b, "/", a, b);
        case "^": {
          if (a < 0 && !Number.isInteger(b)) {
            const ex = exact(n.b);
            // odd roots of negatives are real: (-8)^(1/3) = -2
            if (ex && ex.d % 2n === 1n) return ranged((ex.n % 2n === 0n ? 1 : -1) * Math.pow(-a, b), "^", a, b);
            throw new NeedsComplex();
          }
          return ranged(Math.pow(a, b), "^", a, b);
        }
      }
      return NaN;
    }
    case "post": {
      const a = real(n.a, scope);
      if (n.op === "%") return ranged(a / 100, "*", a);
      if (n.op === "°") return ranged((a * Math.PI) / 180, "*", a);
      return ranged(gamma(a + 1), "!", a);
    }
    case "fn": {
      const args = n.args.map((x) => real(x, scope));
      const r = realFn(n.name, args);
      return OVERFLOWING.has(n.name) ? ranged(r, n.name, args[0], args[1]) : r;
    }
    default:
      return NaN;
  }
}

function realFn(name: string, x: number[]): number {
  const a = x[0];
  switch (name) {
    case "sqrt":
      if (a < 0) throw new NeedsComplex();
      return Math.sqrt(a);
    case "root": {
      const k = x[1];
      if (a < 0) {
        if (Number.isInteger(k) && k % 2 === 1) return -Math.pow(-a, 1 / k);
        throw new NeedsComplex();
      }
      return Math.pow(a, 1 / k);
    }
    case "log":
    case "ln":
      if (a < 0) throw new NeedsComplex();
      return name === "ln" ? Math.log(a) : Math.log(a) / (name === "log" ? Math.LN10 : 1);
    case "logb":
      return Math.log(x[1]) / Math.log(a);
    case "exp":
      return Math.exp(a);
    case "sin":
      return Math.sin(a);
    case "cos":
      return Math.cos(a);
    case "tan":
      return Math.tan(a);
    case "sec":
      return 1 / Math.cos(a);
    case "csc":
      return 1 / Math.sin(a);
    case "cot":
      return 1 / Math.tan(a);
    case "arcsin":
      return Math.asin(a);
    case "arccos":
      return Math.acos(a);
    case "arctan":
      return Math.atan(a);
    case "sinh":
      return Math.sinh(a);
    case "cosh":
      return Math.cosh(a);
    case "tanh":
      return Math.tanh(a);
    case "abs":
      return Math.abs(a);
    case "floor":
      return Math.floor(a);
    case "ceil":
      return Math.ceil(a);
    case "max":
      return Math.max(...x);
    case "min":
      return Math.min(...x);
    case "binom":
      return gamma(a + 1) / (gamma(x[1] + 1) * gamma(a - x[1] + 1));
    default:
      return NaN;
  }
}

function gamma(z: number): number {
  if (Number.isInteger(z) && z > 0 && z < 171) {
    let r = 1;
    for (let k = 2; k < z; k++) r *= k;
    return r;
  }
  return math.gamma(z);
}

export type Cx = { re: number; im: number };

/** A value at one point; `lost` when a step left the double range, so the value means nothing. */
export type Value = Cx & { lost: boolean };

/** The value as a complex number: real arithmetic when possible, mathjs complex otherwise. */
export function value(n: Node, scope: Scope): Value {
  rangeLost = false;
  try {
    const re = real(n, scope);
    return { re, im: 0, lost: rangeLost };
  } catch (e) {
    if (!(e instanceof NeedsComplex)) throw e;
  }
  rangeLost = false;
  try {
    const c = math.complex(complexEval(n, scope) as math.Complex);
    return { re: c.re, im: c.im, lost: rangeLost };
  } catch {
    return { re: NaN, im: NaN, lost: rangeLost };
  }
}

function magnitude(x: M): number {
  return typeof x === "number" ? Math.abs(x) : (math.abs(x as math.Complex) as unknown as number);
}

/** ranged() for complex steps, on magnitudes. */
function cranged(r: M, op: string, a: M, b?: M): M {
  ranged(magnitude(r), op, magnitude(a), b === undefined ? 1 : magnitude(b));
  return r;
}

type M = math.MathType;

function complexEval(n: Node, scope: Scope): M {
  switch (n.k) {
    case "num":
      return leaf(n.v);
    case "sym":
      return jittered(scope.get(n.name) ?? NaN);
    case "const":
      return n.name === "pi" ? jittered(Math.PI) : n.name === "e" ? jittered(Math.E) : n.name === "i" ? math.complex(0, 1) : Infinity;
    case "neg":
      return math.unaryMinus(complexEval(n.a, scope));
    case "bin": {
      const a = complexEval(n.a, scope);
      const b = complexEval(n.b, scope);
      switch (n.op) {
        case "+":
          return cranged(math.add(a, b), "+", a, b);
        case "-":
          return cranged(math.subtract(a, b), "-", a, b);
        case "*":
          return cranged(math.multiply(a, b), "*", a, b);
        case "/":
          return cranged(math.divide(a, b), "/", a, b);
        case "^":
          return cranged(math.pow(math.complex(a as math.Complex), b as math.Complex), "^", a, b);
      }
      return NaN;
    }
    case "post": {
      const a = complexEval(n.a, scope);
      if (n.op === "%") return math.divide(a, 100);
      if (n.op === "°") return math.multiply(a, Math.PI / 180);
      return math.gamma(math.add(a, 1) as number);
    }
    case "fn": {
      const args = n.args.map((x) => math.complex(complexEval(x, scope) as math.Complex));
      const a = args[0];
      switch (n.name) {
        case "sqrt":
          return math.sqrt(a);
        case "root":
          return math.pow(a, math.divide(1, args[1]) as math.Complex);
        case "ln":
          return math.log(a);
        case "log":
          return math.divide(math.log(a), Math.LN10);
        case "logb":
          return math.divide(math.log(args[1]), math.log(a));
        case "exp":
          return cranged(math.exp(a), "exp", a);
        case "sin":
          return math.sin(a);
        case "cos":
          return math.cos(a);
        case "tan":
          return math.tan(a);
        case "abs":
          return math.abs(a);
        default: {
          const re = n.args.map((x) => math.complex(complexEval(x, scope) as math.Complex));
          if (re.every((c) => c.im === 0)) return realFn(n.name, re.map((c) => c.re));
          return NaN;
        }
      }
    }
    default:
      return NaN;
  }
}

export function symbols(n: Node, into: Set<string> = new Set()): Set<string> {
  switch (n.k) {
    case "sym":
      into.add(n.name);
      break;
    case "bin":
    case "setop":
      symbols(n.a, into);
      symbols(n.b, into);
      break;
    case "neg":
    case "post":
      symbols(n.a, into);
      break;
    case "pm":
      if (n.a) symbols(n.a, into);
      symbols(n.b, into);
      break;
    case "fn":
      n.args.forEach((x) => symbols(x, into));
      break;
    case "group":
    case "list":
      n.items.forEach((x) => symbols(x, into));
      break;
    case "rel":
      n.sides.forEach((x) => symbols(x, into));
      break;
    case "matrix":
      n.rows.forEach((r) => r.forEach((x) => symbols(x, into)));
      break;
    default:
      break;
  }
  return into;
}

/** The finest decimal literal in an expression: how precise an approximate answer claims to be. */
export function decimals(n: Node): { sig: number; dec: number } | null {
  let sig = Infinity;
  let dec = -1;
  const walk = (x: Node): void => {
    if (x.k === "num") {
      if (x.dec >= 0) {
        sig = Math.min(sig, x.sig);
        dec = Math.max(dec, x.dec);
      }
    } else if (x.k === "bin") {
      walk(x.a);
      walk(x.b);
    } else if (x.k === "neg" || x.k === "post") walk(x.a);
    else if (x.k === "fn") x.args.forEach(walk);
  };
  walk(n);
  return dec < 0 ? null : { sig, dec };
}
