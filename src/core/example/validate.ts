// Validates front matter (and --set overrides) against schema.json and turns Ajv's errors into
// sentences that say what would be valid. Locations are returned as key paths; the caller maps
// them to lines.
import Ajv, { type ErrorObject } from "ajv";
import schema from "./schema.json";

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

export function validate(value: unknown): SchemaProblem[] {
  if (check(value)) return [];
  const errors = check.errors ?? [];
  // One message per location: Ajv may report several keywords for the same value.
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
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

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));

function toProblem(e: ErrorObject): SchemaProblem {
  const path = pathOf(e);
  const name = path.length ? "`" + path.join(".") + "`" : "the front matter";
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
      const near = closest(key, KNOWN_KEYS);
      const suggestion = near ? `did you mean \`${near}\`? ` : "";
      return {
        path,
        key,
        message: `Unknown key \`${key}\`: ${suggestion}valid keys are ${KNOWN_KEYS.join(", ")}`,
      };
    }
    case "enum":
      return { path, message: `${name} must be one of ${(p.allowedValues as unknown[]).map(String).join(", ")}${got}` };
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
    case "minLength":
      return { path, message: `${name} must not be empty` };
    case "minItems":
    case "maxItems":
      return { path, message: `${name} must have exactly ${String(p.limit)} items` };
    default:
      return { path, message: `${name} ${e.message ?? "is not valid"}${got}` };
  }
}

function typeWord(t: string): string {
  return { integer: "a whole number", number: "a number", string: "a string", boolean: "true or false", array: "a list", object: "a mapping", null: "null" }[t] ?? t;
}

/** The known key nearest to a misspelt one (edit distance ≤ 2 or a shared prefix), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && (bestD <= 2 || (word.length >= 4 && best.startsWith(word.toLowerCase()))) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}
