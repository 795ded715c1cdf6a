// Validates front matter (and --set overrides) against schema.json and turns Ajv's errors into
// sentences that say what would be valid. Locations are returned as key paths; the caller maps
// them to lines.
import Ajv, { type ErrorObject } from "ajv";
import schema from "./schema.json";
import { closest } from "../text/closest";

export interface SchemaProblem {
  /** Key path of the offending value, e.g. ["adam_betas", 1]; [] for the whole object. */
  path: (string | number)[];
  /** For an unknown key: the key itself (its location is the key, not the value). */
  key?: string;
  message: string;
}

// verbose: errors carry the offending value (`data`), which messages quote.
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const check = ajv.compile(schema);

type SchemaProps = Record<string, { description?: string }>;
export const KNOWN_KEYS: readonly string[] = Object.keys(schema.properties);
export const keyDescription = (key: string): string | undefined => (schema.properties as SchemaProps)[key]?.description;

// Settings that were removed, with the sentence that names what replaced them.
const REPLACED_KEYS: Readonly<Record<string, string>> = {
  fp32_master: "`fp32_master` was replaced by `optimizer_state`: use optimizer_state: fp32 (what fp32_master: true did), compact or auto",
};
export const replacedKey = (key: string): string | undefined => (Object.hasOwn(REPLACED_KEYS, key) ? REPLACED_KEYS[key] : undefined);

export function validate(value: unknown): SchemaProblem[] {
  // YAML's .nan and .inf are numbers to Ajv (NaN even passes `maximum`): they get their own
  // sentence, and Ajv's complaints about the same values are dropped.
  const out: SchemaProblem[] = nonFinite(value, []).map((path) => ({ path, message: `${nameOf(path)} must be a finite number (got ${show(valueAt(value, path))})` }));
  const seen = new Set<string>(out.map((p) => JSON.stringify([p.path, p.key])));
  if (check(value)) return out;
  const errors = check.errors ?? [];
  // One message per location: Ajv may report several keywords for the same value. A value that
  // matches no branch of an anyOf gets the anyOf's one sentence, not each branch's complaint.
  for (const e of errors.filter((x) => !x.schemaPath.includes("/anyOf/")).sort((a, b) => Number(b.keyword === "anyOf") - Number(a.keyword === "anyOf"))) {
    const p = toProblem(e);
    const id = JSON.stringify([p.path, p.key]);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(p);
  }
  return out;
}

function pathOf(e: ErrorObject): (string | number)[] {
  return e.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** A value as the user wrote it; non-finite numbers in YAML's spelling (JSON would say null). */
const show = (v: unknown): string => {
  if (typeof v === "number" && !Number.isFinite(v)) return Number.isNaN(v) ? ".nan" : v > 0 ? ".inf" : "-.inf";
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  return typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
};

const nameOf = (path: (string | number)[]) => (path.length ? "`" + path.join(".") + "`" : "the front matter");

/** Key paths of NaN and ±Infinity inside a front matter value (top level and lists). */
function nonFinite(v: unknown, path: (string | number)[]): (string | number)[][] {
  if (typeof v === "number") return Number.isFinite(v) ? [] : [path];
  if (Array.isArray(v)) return v.flatMap((x, i) => nonFinite(x, [...path, i]));
  if (typeof v === "object" && v !== null && path.length === 0) return Object.entries(v).flatMap(([k, x]) => nonFinite(x, [k]));
  return [];
}

function valueAt(v: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], v);
}

function toProblem(e: ErrorObject): SchemaProblem {
  const path = pathOf(e);
  const name = nameOf(path);
  const got = path.length ? ` (got ${show(e.data)})` : "";
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required": {
      const key = String(p.missingProperty);
      const hint = key === "answer" ? ", e.g. answer: '\\frac{7}{2}'" : "";
      return { path, message: `\`${key}\` is missing: add the reference answer${hint}` };
    }
    case "additionalProperties": {
      const key = String(p.additionalProperty);
      const replaced = replacedKey(key);
      if (replaced) return { path, key, message: replaced };
      const near = closest(key, KNOWN_KEYS);
      const suggestion = near ? `did you mean \`${near}\`? ` : "";
      return {
        path,
        key,
        message: `Unknown key \`${key}\`: ${suggestion}valid keys are ${KNOWN_KEYS.join(", ")}`,
      };
    }
    case "enum": {
      const allowed = (p.allowedValues as unknown[]).map(String);
      const near = typeof e.data === "string" ? closest(e.data, allowed) : undefined;
      return { path, message: `${name} must be one of ${allowed.join(", ")}${got}${near ? `: did you mean \`${near}\`?` : ""}` };
    }
    case "type": {
      const types = String(p.type).split(",").map(typeWord).join(" or ");
      return { path, message: `${name} must be ${types}${got}` };
    }
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum": {
      const op = { minimum: "≥", maximum: "≤", exclusiveMinimum: ">", exclusiveMaximum: "<" }[e.keyword];
      return { path, message: `${name} must be ${op} ${String(p.limit)}${got}` };
    }
    case "anyOf": {
      const branches = (e.parentSchema as { anyOf: Branch[] }).anyOf.map(describeBranch);
      return { path, message: `${name} must be ${branches.join(" or ")}${got}` };
    }
    case "minLength":
      return { path, message: `${name} must not be empty` };
    case "maxLength":
      return { path, message: `${name} must be at most ${String(p.limit)} characters long (it has ${typeof e.data === "string" ? e.data.length : "more"})` };
    case "minItems":
    case "maxItems": {
      const exact = (e.parentSchema as { minItems?: number; maxItems?: number }).minItems === (e.parentSchema as { maxItems?: number }).maxItems;
      return { path, message: `${name} must have ${exact ? "exactly" : e.keyword === "minItems" ? "at least" : "at most"} ${String(p.limit)} item${p.limit === 1 ? "" : "s"}` };
    }
    case "pattern": {
      // A string that must be one word, where a list is the other choice (lora_targets: all-linear or names).
      const items = (e.parentSchema as { items?: { enum?: unknown[] } }).items?.enum;
      const word = String(p.pattern).replace(/^\^|\$$/g, "");
      return { path, message: `${name} must be ${word}${items ? ` or a list of ${items.join(", ")}` : ""}${got}` };
    }
    default:
      return { path, message: `${name} ${e.message ?? "is not valid"}${got}` };
  }
}

interface Branch {
  const?: unknown;
  type?: string;
  minimum?: number;
  maximum?: number;
}

function describeBranch(b: Branch): string {
  if (b.const !== undefined) return String(b.const);
  const bounds = [b.minimum !== undefined ? `≥ ${b.minimum}` : "", b.maximum !== undefined ? `≤ ${b.maximum}` : ""].filter(Boolean);
  return `${typeWord(b.type ?? "")}${bounds.length ? ` ${bounds.join(" and ")}` : ""}`;
}

function typeWord(t: string): string {
  return { integer: "a whole number", number: "a number", string: "a string", boolean: "true or false", array: "a list", object: "a mapping", null: "null" }[t] ?? t;
}
