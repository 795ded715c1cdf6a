// What the editor says about each front-matter key (completion, hover): taken from the example
// JSON Schema (meaning, type, allowed values, bounds) and the presets (defaults), so there is no
// second hand-written list to drift.

export interface JsonSchemaProperty {
  description?: string;
  type?: string | string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchemaProperty;
  const?: unknown;
  /** `^word$`: the one string allowed besides a list (lora_targets' all-linear). */
  pattern?: string;
  /** A value of any of these (e.g. `auto` or an integer). */
  anyOf?: JsonSchemaProperty[];
}

export interface ExampleSchema {
  required?: string[];
  properties: Record<string, JsonSchemaProperty>;
}

export interface KeyDoc {
  key: string;
  description: string;
  required: boolean;
  /** e.g. "integer ≥ 1", "one of: math, numeric …". */
  typeText: string;
  /** Allowed values when the schema lists them. */
  values?: string[];
  /** Default per preset, as YAML text; absent for keys the presets do not set. */
  defaults?: Record<string, string>;
}

export function keyDocs(schema: ExampleSchema, presets: Record<string, Record<string, unknown>>): KeyDoc[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).map(([key, p]) => {
    const inPresets = Object.values(presets).some((s) => key in s);
    const defaults = inPresets
      ? Object.fromEntries(Object.entries(presets).map(([name, s]) => [name, formatValue(s[key])]))
      : undefined;
    return {
      key,
      description: p.description ?? "",
      required: required.has(key),
      typeText: typeText(p),
      values: p.enum?.map(String) ?? (types(p).includes("boolean") ? ["true", "false"] : literal(p) ? [literal(p)!] : undefined),
      defaults,
    };
  });
}

function types(p: JsonSchemaProperty): string[] {
  return p.type === undefined ? [] : Array.isArray(p.type) ? p.type : [p.type];
}

/** The word a `^word$` pattern allows, if that is what it is. */
const literal = (p: JsonSchemaProperty): string | undefined => /^\^([\w-]+)\$$/.exec(p.pattern ?? "")?.[1];

export function typeText(p: JsonSchemaProperty): string {
  if (p.anyOf) return p.anyOf.map(typeText).join(" or ");
  if (p.const !== undefined) return String(p.const);
  if (p.enum) return `one of: ${p.enum.map(String).join(", ")}`;
  const bounds: string[] = [];
  if (p.minimum !== undefined) bounds.push(`≥ ${p.minimum}`);
  if (p.exclusiveMinimum !== undefined) bounds.push(`> ${p.exclusiveMinimum}`);
  if (p.maximum !== undefined) bounds.push(`≤ ${p.maximum}`);
  if (p.exclusiveMaximum !== undefined) bounds.push(`< ${p.exclusiveMaximum}`);
  let t = types(p).map((x) => (x === "string" && literal(p)) || x).join(" or ") || "any";
  if (types(p).includes("array")) {
    const item = p.items ? typeText(p.items) : "any";
    const count = p.minItems !== undefined && p.minItems === p.maxItems ? `${p.minItems} ` : "";
    t = t.replace("array", `list of ${count}${item}`);
  }
  return bounds.length ? `${t} ${bounds.join(", ")}` : t;
}

export function formatValue(v: unknown): string {
  if (v === undefined) return "—";
  if (v === null) return "null";
  if (typeof v === "string") return v === "" ? "''" : JSON.stringify(v).length > 60 ? `${JSON.stringify(v).slice(0, 57)}…"` : JSON.stringify(v);
  return JSON.stringify(v);
}

/** Markdown for a hover or completion item: meaning, type, allowed values and preset defaults. */
export function keyDocMarkdown(doc: KeyDoc, activePreset?: string): string {
  const parts = [`**${doc.key}**${doc.required ? " (required)" : ""} — ${doc.typeText}`, "", doc.description];
  if (doc.defaults) {
    const rows = Object.entries(doc.defaults).map(([preset, v]) => {
      const mark = preset === activePreset ? " ← this file's preset" : "";
      return `| \`${preset}\` | \`${v.replace(/\|/g, "\\|")}\`${mark} |`;
    });
    parts.push("", "| preset | default |", "|---|---|", ...rows);
  }
  return parts.join("\n");
}
