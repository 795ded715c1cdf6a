// The engine RPC contract is declared twice, once per language: src/core/engine/protocol.ts and
// engine/oneshot_engine/protocol.py (+ errors.py for the codes). This test reads the TypeScript half
// with the TypeScript compiler, has engine/tests/contract_dump.py print the Python half, and
// compares methods, notifications, param and result fields with their types and optionality, error
// codes and the protocol version, so a field renamed on one side only fails here. It also checks that
// engine/PROTOCOL.md lists every error code and every method's parameters, and that the engine's
// parameter fields use the settings' names (src/core/example/schema.json) and allowed values.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { venvPython } from "../../../src/core/engine/pythonEnv";

interface Field {
  type: string;
  optional: boolean;
}
interface ContractDump {
  version: number;
  methods: Record<string, { params: string; result: string }>;
  /** Notification method → its params' type. */
  notifications: Record<string, string>;
  types: Record<string, Record<string, Field>>;
  errors: Record<string, number>;
}

const PY = venvPython(path.resolve(".venv"));
const missingVenv = !existsSync(PY) && `the engine's Python environment (${PY}) is missing: create it with \`oneshot setup\` or scripts/setup-venv`;

/** The contract as protocol.ts declares it, in the shape contract_dump.py prints. */
export function typescriptContract(file: string): ContractDump {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  const aliases = new Map<string, ts.TypeNode>();
  const consts = new Map<string, ts.Expression>();
  for (const s of source.statements) {
    if (ts.isInterfaceDeclaration(s)) interfaces.set(s.name.text, s);
    else if (ts.isTypeAliasDeclaration(s)) aliases.set(s.name.text, s.type);
    else if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name) && d.initializer) consts.set(d.name.text, d.initializer);
  }
  const used = new Set<string>();
  const spell = (t: ts.TypeNode): string => {
    if (t.kind === ts.SyntaxKind.NumberKeyword) return "number";
    if (t.kind === ts.SyntaxKind.StringKeyword) return "string";
    if (t.kind === ts.SyntaxKind.BooleanKeyword) return "boolean";
    if (ts.isLiteralTypeNode(t)) {
      if (ts.isStringLiteral(t.literal)) return JSON.stringify(t.literal.text);
      if (t.literal.kind === ts.SyntaxKind.TrueKeyword) return "true";
      if (t.literal.kind === ts.SyntaxKind.FalseKeyword) return "false";
      if (t.literal.kind === ts.SyntaxKind.NullKeyword) return "null";
    }
    if (ts.isUnionTypeNode(t)) return t.types.flatMap((m) => spell(m).split(" | ")).sort().join(" | ");
    if (ts.isArrayTypeNode(t)) return `${spell(t.elementType)}[]`;
    if (ts.isTupleTypeNode(t)) return `[${t.elements.map(spell).join(", ")}]`;
    if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName)) {
      const name = t.typeName.text;
      const alias = aliases.get(name);
      // Literal unions are spelled out, as Python's Literal[...] is; named shapes keep their name.
      if (alias && (ts.isUnionTypeNode(alias) || ts.isLiteralTypeNode(alias))) return spell(alias);
      if (interfaces.has(name) || alias) {
        used.add(name);
        return name;
      }
    }
    throw new Error(`protocol.ts: the contract test cannot spell the type \`${t.getText(source)}\``);
  };
  const fields = (name: string): Record<string, Field> => {
    const decl = interfaces.get(name);
    if (!decl) {
      // An alias of an object type: only NoParams, Record<string, never>, has one.
      assert.equal(aliases.get(name)?.getText(source), "Record<string, never>", `protocol.ts: ${name} is neither an interface nor Record<string, never>`);
      return {};
    }
    const out: Record<string, Field> = {};
    // `interface A extends B`: B's fields first, as a Python TypedDict subclass lists them.
    for (const base of decl.heritageClauses?.flatMap((h) => h.types) ?? []) Object.assign(out, fields(base.expression.getText(source)));
    for (const m of decl.members) {
      if (!ts.isPropertySignature(m) || !m.type) throw new Error(`protocol.ts: ${name} has a member the contract test cannot read: ${m.getText(source)}`);
      out[m.name.getText(source)] = { type: spell(m.type), optional: !!m.questionToken };
    }
    return out;
  };

  const methods: ContractDump["methods"] = {};
  for (const m of interfaces.get("EngineMethods")!.members) {
    const pair = (m as ts.PropertySignature).type!;
    assert.ok(ts.isTupleTypeNode(pair) && pair.elements.length === 2, `EngineMethods.${m.name!.getText(source)} is not a [params, result] pair`);
    methods[m.name!.getText(source)] = { params: spell(pair.elements[0]!), result: spell(pair.elements[1]!) };
  }
  const notifications: ContractDump["notifications"] = {};
  for (const m of interfaces.get("EngineNotifications")!.members) {
    notifications[m.name!.getText(source)] = spell((m as ts.PropertySignature).type!);
  }
  used.add("EngineErrorData");
  const types: ContractDump["types"] = {};
  for (let grew = true; grew; ) {
    grew = false;
    for (const name of [...used].sort()) {
      if (types[name]) continue;
      types[name] = fields(name);
      grew = true;
    }
  }

  const errors: Record<string, number> = {};
  let codes = consts.get("EngineErrorCode")!;
  if (ts.isAsExpression(codes)) codes = codes.expression;
  assert.ok(ts.isObjectLiteralExpression(codes), "EngineErrorCode is not an object literal");
  for (const p of codes.properties) {
    assert.ok(ts.isPropertyAssignment(p));
    const snake = p.name.getText(source).replace(/(?<=[a-z])(?=[A-Z])/g, "_").toUpperCase();
    errors[snake] = Number(p.initializer.getText(source).replace(/\s+/g, ""));
  }
  const version = Number(consts.get("ENGINE_PROTOCOL_VERSION")!.getText(source));
  return { version, methods, notifications, types: Object.fromEntries(Object.entries(types).sort(([a], [b]) => a.localeCompare(b))), errors };
}

/** One sentence per difference, e.g. "GenerateParams.rollouts: protocol.py has it, protocol.ts does not". */
export function differences(py: ContractDump, tsc: ContractDump): string[] {
  const out: string[] = [];
  const keys = (a: object, b: object) => [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const presence = (what: string, inPy: boolean, inTs: boolean) => {
    if (inPy && !inTs) out.push(`${what}: protocol.py has it, protocol.ts does not`);
    else if (!inPy && inTs) out.push(`${what}: protocol.ts has it, protocol.py does not`);
    return inPy && inTs;
  };
  if (py.version !== tsc.version) out.push(`protocol version: protocol.py says ${py.version}, protocol.ts ${tsc.version}`);
  for (const m of keys(py.methods, tsc.methods)) {
    if (!presence(`method ${m}`, m in py.methods, m in tsc.methods)) continue;
    for (const side of ["params", "result"] as const) {
      if (py.methods[m]![side] !== tsc.methods[m]![side]) out.push(`method ${m}'s ${side}: ${py.methods[m]![side]} in protocol.py, ${tsc.methods[m]![side]} in protocol.ts`);
    }
  }
  for (const n of keys(py.notifications, tsc.notifications)) {
    if (!presence(`notification ${n}`, n in py.notifications, n in tsc.notifications)) continue;
    if (py.notifications[n] !== tsc.notifications[n]) out.push(`notification ${n}'s params: ${py.notifications[n]} in protocol.py, ${tsc.notifications[n]} in protocol.ts`);
  }
  for (const t of keys(py.types, tsc.types)) {
    if (!presence(`type ${t}`, t in py.types, t in tsc.types)) continue;
    const a = py.types[t]!;
    const b = tsc.types[t]!;
    for (const f of keys(a, b)) {
      if (!presence(`${t}.${f}`, f in a, f in b)) continue;
      if (a[f]!.type !== b[f]!.type) out.push(`${t}.${f}: ${a[f]!.type} in protocol.py, ${b[f]!.type} in protocol.ts`);
      if (a[f]!.optional !== b[f]!.optional) out.push(`${t}.${f}: ${a[f]!.optional ? "optional" : "required"} in protocol.py, ${b[f]!.optional ? "optional" : "required"} in protocol.ts`);
    }
  }
  for (const e of keys(py.errors, tsc.errors)) {
    if (!presence(`error code ${e}`, e in py.errors, e in tsc.errors)) continue;
    if (py.errors[e] !== tsc.errors[e]) out.push(`error code ${e}: ${py.errors[e]} in errors.py, ${tsc.errors[e]} in protocol.ts`);
  }
  return out;
}

function pythonContract(): ContractDump {
  return JSON.parse(execFileSync(PY, [path.resolve("engine/tests/contract_dump.py")], { encoding: "utf8" })) as ContractDump;
}

test("protocol.py and protocol.ts declare the same methods, fields, types and error codes", { skip: missingVenv }, () => {
  const tsc = typescriptContract(path.resolve("src/core/engine/protocol.ts"));
  const py = pythonContract();
  assert.ok(Object.keys(py.methods).length >= 7 && Object.keys(py.types).length >= 10, "the Python dump is suspiciously small");
  assert.deepEqual(differences(py, tsc), []);
});

test("engine/PROTOCOL.md lists every error code, every method's parameters and every notification", { skip: missingVenv }, () => {
  const doc = readFileSync(path.resolve("engine/PROTOCOL.md"), "utf8");
  const py = pythonContract();
  const errorsSection = doc.slice(doc.indexOf("## Errors"));
  const documented = [...errorsSection.matchAll(/^\| (-\d+) \|/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
  assert.deepEqual(documented, Object.values(py.errors).sort((a, b) => a - b));
  // A parameter is documented when a code span names it (a table's `field` or a heading's `{field, …}`).
  const spans = [...doc.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  const named = (f: string) => spans.some((span) => new RegExp(`\\b${f}\\b`).test(span));
  const undocumented = Object.values(py.methods).flatMap(({ params }) => Object.keys(py.types[params]!).filter((f) => !named(f)).map((f) => `${params}.${f}`));
  assert.deepEqual(undocumented, []);
  const notices = Object.entries(py.notifications).flatMap(([method, params]) => [method, ...Object.keys(py.types[params]!)].filter((f) => !named(f)).map((f) => `${method}: ${f}`));
  assert.deepEqual(notices, [], "notifications or their fields that engine/PROTOCOL.md does not name");
});

// Fields of the engine's parameters that carry no run setting: request plumbing and derived values.
const ENGINE_ONLY_FIELDS = new Set(["messages", "prompts", "keep_for_training", "batch_id", "advantages", "optimizer", "train", "reference_model", "resume_state", "revision", "path", "include_state", "stream_outputs", "lora"]);

// Fields of a nested params object that carry a setting under a prefix: LoraParams.rank is lora_rank.
const SETTING_PREFIX: Record<string, string> = { LoraParams: "lora_" };

// Settings whose `auto` the controller resolves before the engine sees them (src/core/train/).
const RESOLVED_AUTO = new Set(["optimizer_state"]);

test("the engine's parameter fields carry the settings' names, with the settings' allowed values", { skip: missingVenv }, () => {
  const schema = JSON.parse(readFileSync(path.resolve("src/core/example/schema.json"), "utf8")) as { properties: Record<string, { enum?: unknown[] }> };
  const py = pythonContract();
  const params = Object.entries(py.types).filter(([name]) => name.endsWith("Params"));
  // A field that is neither a setting nor known plumbing is a setting under another name.
  const setting = (t: string, f: string) => (SETTING_PREFIX[t] ?? "") + f;
  const renamed = params.flatMap(([t, fields]) => Object.keys(fields).filter((f) => !(setting(t, f) in schema.properties) && !ENGINE_ONLY_FIELDS.has(f)).map((f) => `${t}.${f}`));
  assert.deepEqual(renamed, [], "engine fields that are not a setting's name (name them as the example file does, or list them in ENGINE_ONLY_FIELDS)");
  const enums = params.flatMap(([t, fields]) =>
    Object.entries(fields)
      .filter(([f]) => schema.properties[setting(t, f)]?.enum)
      .map(([f, field]) => ({ at: `${t}.${f}`, engine: field.type, settings: schema.properties[setting(t, f)]!.enum!.filter((v) => !(RESOLVED_AUTO.has(f) && v === "auto")).map((v) => JSON.stringify(v)).sort().join(" | ") })),
  );
  assert.ok(enums.length >= 4, "kl_type, loss_agg, dtype and device are checked");
  for (const e of enums) assert.equal(e.engine, e.settings, `${e.at} accepts other values than the setting`);
});

test("a field renamed on one side only is a difference the contract test names", () => {
  const tsc = typescriptContract(path.resolve("src/core/engine/protocol.ts"));
  const renamed = structuredClone(tsc);
  const { clip_ratio_low, ...rest } = renamed.types.TrainStepParams!;
  renamed.types.TrainStepParams = { ...rest, clip_eps_low: clip_ratio_low! };
  renamed.errors.NO_BATCH = -32099;
  const { index, ...streamed } = renamed.types.StreamedOutput!;
  renamed.types.StreamedOutput = { ...streamed, row: index! };
  delete renamed.notifications.outputs;
  assert.deepEqual(differences(renamed, tsc), [
    "notification outputs: protocol.ts has it, protocol.py does not",
    "StreamedOutput.index: protocol.ts has it, protocol.py does not",
    "StreamedOutput.row: protocol.py has it, protocol.ts does not",
    "TrainStepParams.clip_eps_low: protocol.py has it, protocol.ts does not",
    "TrainStepParams.clip_ratio_low: protocol.ts has it, protocol.py does not",
    "error code NO_BATCH: -32099 in errors.py, -32004 in protocol.ts",
  ]);
});
