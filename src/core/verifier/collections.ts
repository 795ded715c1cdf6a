// Collections: tuples and intervals (ordered, brackets kept), sets and bare lists (unordered),
// unions of intervals, matrices and vectors. Items are compared with `equal`, the dispatcher that
// called in (equal.ts), so this module stays below it.
import type { Node } from "./expr";
import { cannotCompare, type Equal, type Reason } from "./compare";

const MAX_SET = 64;

type Shape = "set" | "list" | "tuple";

export function shapeOf(n: Node): Shape | null {
  if (n.k === "list") return "list";
  if (n.k === "group") return n.open === "{" ? "set" : "tuple";
  return null;
}

export function itemsOf(n: Node): Node[] {
  if (n.k === "list" || n.k === "group") return n.items;
  if (n.k === "matrix") return n.rows.flat();
  return [n];
}

export function unorderedEqual(gs: Node[], rs: Node[], equal: Equal): Reason {
  if (gs.length !== rs.length) return null;
  if (gs.length > MAX_SET) return cannotCompare(`sets of more than ${MAX_SET} elements`);
  const used = new Array<boolean>(rs.length).fill(false);
  for (const g of gs) {
    let found = false;
    for (let j = 0; j < rs.length; j++) {
      if (!used[j] && equal(g, rs[j]) !== null) {
        used[j] = true;
        found = true;
        break;
      }
    }
    if (!found) return null;
  }
  return "same elements in any order";
}

function orderedEqual(gs: Node[], rs: Node[], equal: Equal): Reason {
  if (gs.length !== rs.length) return null;
  for (let k = 0; k < gs.length; k++) if (equal(gs[k], rs[k]) === null) return null;
  return "same elements in the same order";
}

function unionParts(n: Node): Node[] {
  return n.k === "setop" && n.op === "∪" ? [...unionParts(n.a), ...unionParts(n.b)] : [n];
}

export function collectionEqual(g: Node, r: Node, equal: Equal): Reason {
  if (g.k === "setop" || r.k === "setop") {
    if (g.k !== "setop" || r.k !== "setop" || g.op !== r.op) return null;
    return unorderedEqual(unionParts(g), unionParts(r), equal) && "same union of sets";
  }
  if (g.k === "matrix" || r.k === "matrix") return matrixEqual(g, r, equal);
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
    return orderedEqual(g.items, r.items, equal) && (g.open === "(" && g.close === ")" ? "same tuple" : "same interval");
  }
  if (gs === "tuple" && rs === "list") {
    // "(1, 2)" answered as "1, 2": order still matters unless it is an interval
    if (g.k === "group" && g.open === "(" && g.close === ")") return orderedEqual(itemsOf(g), itemsOf(r), equal);
    return null;
  }
  if (gs === "tuple" || rs === "tuple") {
    if (gs === "list" && r.k === "group" && r.open === "(" && r.close === ")") return unorderedEqual(itemsOf(g), itemsOf(r), equal);
    return null;
  }
  return unorderedEqual(itemsOf(g), itemsOf(r), equal);
}

function matrixEqual(g: Node, r: Node, equal: Equal): Reason {
  if (g.k === "matrix" && r.k === "matrix") {
    if (g.rows.length !== r.rows.length || g.rows.some((row, k) => row.length !== r.rows[k].length)) return null;
    return orderedEqual(g.rows.flat(), r.rows.flat(), equal) && "same matrix";
  }
  // a row or column vector against a tuple
  const m = g.k === "matrix" ? g : r;
  const other = m === g ? r : g;
  if (m.k !== "matrix" || !(m.rows.length === 1 || m.rows.every((row) => row.length === 1))) return null;
  if (!(other.k === "group" && other.open === "(") && other.k !== "list") return null;
  return orderedEqual(m === g ? m.rows.flat() : itemsOf(other), m === g ? itemsOf(other) : m.rows.flat(), equal) && "same vector";
}
