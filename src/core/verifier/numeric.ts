// Values of syntax trees: exact rationals (mathjs Fraction) where every step is rational, otherwise
// floating point, real first and complex (mathjs) when a real step leaves its domain.
import * as math from "mathjs";
import { Fraction } from "mathjs";
import type { Node } from "./expr";

/** Largest exponent and factorial computed exactly; beyond them numbers are floats (or too big). */
const MAX_EXACT_EXPONENT = 4096;
const MAX_EXACT_DIGITS = 5000;

export function exact(n: Node): Fraction | null {
  switch (n.k) {
    case "num":
      return n.v;
    case "neg": {
      const a = exact(n.a);
      return a && a.neg();
    }
    case "bin": {
      const a = exact(n.a);
      if (!a) return null;
      const b = exact(n.b);
      if (!b) return null;
      switch (n.op) {
        case "+":
          return a.add(b);
        case "-":
          return a.sub(b);
        case "*":
          return a.mul(b);
        case "/":
          return b.n === 0n ? null : a.div(b);
        case "^": {
          if (b.d !== 1n) return rationalRoot(a, b);
          const e = Number(b.s * b.n);
          if (Math.abs(e) > MAX_EXACT_EXPONENT || (a.n === 0n && e < 0)) return null;
          const digits = (a.n.toString().length + a.d.toString().length) * Math.abs(e);
          if (digits > MAX_EXACT_DIGITS) return null;
          return a.pow(e);
        }
      }
      return null;
    }
    case "post": {
      const a = exact(n.a);
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
        const a = exact(n.args[0]);
        return a && rationalRoot(a, new Fraction(1, 2));
      }
      if (n.name === "binom" && n.args.length === 2) {
        const a = exact(n.args[0]);
        const b = exact(n.args[1]);
        if (!a || !b || a.d !== 1n || b.d !== 1n || a.s < 0n || b.s < 0n || a.n > 2000n || b.n > a.n) return null;
        let r = 1n;
        for (let k = 0n; k < b.n; k++) r = (r * (a.n - k)) / (k + 1n);
        return new Fraction(r);
      }
      if (n.name === "abs" && n.args.length === 1) {
        const a = exact(n.args[0]);
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

export function real(n: Node, scope: Scope): number {
  switch (n.k) {
    case "num":
      return n.v.valueOf();
    case "sym": {
      const v = scope.get(n.name);
      return v === undefined ? NaN : v;
    }
    case "const":
      if (n.name === "pi") return Math.PI;
      if (n.name === "e") return Math.E;
      if (n.name === "inf") return Infinity;
      throw new NeedsComplex();
    case "neg":
      return -real(n.a, scope);
    case "bin": {
      const a = real(n.a, scope);
      const b = real(n.b, scope);
      switch (n.op) {
        case "+":
          return a + b;
        case "-":
          return a - b;
        case "*":
          return a * b;
        case "/":
          return a / b;
        case "^": {
          if (a < 0 && !Number.isInteger(b)) {
            const ex = exact(n.b);
            // odd roots of negatives are real: (-8)^(1/3) = -2
            if (ex && ex.d % 2n === 1n) return (ex.n % 2n === 0n ? 1 : -1) * Math.pow(-a, b);
            throw new NeedsComplex();
          }
          return Math.pow(a, b);
        }
      }
      return NaN;
    }
    case "post": {
      const a = real(n.a, scope);
      if (n.op === "%") return a / 100;
      if (n.op === "°") return (a * Math.PI) / 180;
      return gamma(a + 1);
    }
    case "fn":
      return realFn(n.name, n.args.map((x) => real(x, scope)));
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

/** The value as a complex number: real arithmetic when possible, mathjs complex otherwise. */
export function value(n: Node, scope: Scope): Cx {
  try {
    return { re: real(n, scope), im: 0 };
  } catch (e) {
    if (!(e instanceof NeedsComplex)) throw e;
  }
  try {
    const c = math.complex(complexEval(n, scope) as math.Complex);
    return { re: c.re, im: c.im };
  } catch {
    return { re: NaN, im: NaN };
  }
}

type M = math.MathType;

function complexEval(n: Node, scope: Scope): M {
  switch (n.k) {
    case "num":
      return n.v.valueOf();
    case "sym":
      return scope.get(n.name) ?? NaN;
    case "const":
      return n.name === "pi" ? Math.PI : n.name === "e" ? Math.E : n.name === "i" ? math.complex(0, 1) : Infinity;
    case "neg":
      return math.unaryMinus(complexEval(n.a, scope));
    case "bin": {
      const a = complexEval(n.a, scope);
      const b = complexEval(n.b, scope);
      switch (n.op) {
        case "+":
          return math.add(a, b);
        case "-":
          return math.subtract(a, b);
        case "*":
          return math.multiply(a, b);
        case "/":
          return math.divide(a, b);
        case "^":
          return math.pow(math.complex(a as math.Complex), b as math.Complex);
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
          return math.exp(a);
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
