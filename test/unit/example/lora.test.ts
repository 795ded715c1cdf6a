// LoRA's settings: the schema's sentences for each key, the 10× lr rule, the checks against the
// model's layer widths and the optimizer state, and the `lora` field the engine's load gets.
import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeSettings } from "../../../src/core/example/effective";
import { ALL_LINEAR, adapterParams, LORA_TARGETS, loraParams, loraProblems, trainingLine } from "../../../src/core/example/lora";
import { parseExample } from "../../../src/core/example/parse";
import { PRESETS } from "../../../src/core/example/presets";
import { resolveConfig } from "../../../src/core/example/resolve";
import { checkRunConfig } from "../../../src/core/example/configCheck";
import { shapeFromConfig } from "../../../src/core/plan/shape";
import { KNOWN_CONFIGS } from "../../../src/core/plan/knownShapes";
import { keyDocs, type ExampleSchema } from "../../../src/core/authoring/keyDocs";
import schema from "../../../src/core/example/schema.json";

const merged = (...args: Parameters<typeof mergeSettings>) => {
  const m = mergeSettings(...args);
  assert.ok("settings" in m, JSON.stringify(m.errors));
  return m;
};

test("every preset trains fully by default, with the LoRA defaults ready; the lora preset is local with rank 32", () => {
  for (const [name, s] of Object.entries(PRESETS)) {
    const { lora_rank, lora_alpha, lora_targets, lora_dropout } = s;
    assert.deepEqual({ lora_rank, lora_alpha, lora_targets, lora_dropout }, { lora_rank: name === "lora" ? 32 : 0, lora_alpha: 32, lora_targets: ALL_LINEAR, lora_dropout: 0 }, name);
  }
  assert.deepEqual({ ...PRESETS.lora, lora_rank: 0 }, PRESETS.local);
});

test("LoRA's lr is 10 × the preset's unless the file or --set gives lr; the rule is recorded", () => {
  const viaSet = merged({ answer: "4", preset: "local" }, { sets: ["lora_rank=32"] });
  assert.equal(viaSet.settings.lr, 1e-5);
  assert.deepEqual(viaSet.derived, { lr: "LoRA: 10 × the preset's lr 0.000001; set lr to choose another" });
  assert.equal(merged({ answer: "4", preset: "lora" }).settings.lr, 1e-5);
  assert.equal(merged({ answer: "4", preset: "cpu-demo", lora_rank: 1 }).settings.lr, 1e-3);
  // An explicit lr wins, from the file or from --set, and nothing is derived.
  const fromFile = merged({ answer: "4", preset: "lora", lr: 3e-6 });
  assert.equal(fromFile.settings.lr, 3e-6);
  assert.equal(fromFile.derived, undefined);
  assert.equal(merged({ answer: "4", preset: "lora" }, { sets: ["lr=2e-5"] }).settings.lr, 2e-5);
  // Full fine-tuning keeps the preset's lr.
  assert.equal(merged({ answer: "4", preset: "lora" }, { sets: ["lora_rank=0"] }).settings.lr, 1e-6);
  assert.equal(merged({ answer: "4", preset: "local" }).derived, undefined);
});

test("bad LoRA values get one sentence each, on the key's line in the file and after --set", () => {
  const text = ["---", "answer: 4", "lora_rank: -1", "lora_targets: [q_proj, qproj]", "lora_dropout: 1", "lora_alpha: 0", "---", "What is 2+2?", ""].join("\n");
  const d = parseExample(text, "x.rlvr.md").diagnostics.map((x) => `${x.line}: ${x.message}`);
  assert.deepEqual(d, [
    "3: `lora_rank` must be ≥ 0 (got -1)",
    "4: `lora_targets.1` must be one of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj (got \"qproj\"): did you mean `q_proj`?",
    "5: `lora_dropout` must be < 1 (got 1)",
    "6: `lora_alpha` must be > 0 (got 0)",
  ]);
  const word = parseExample("---\nanswer: 4\nlora_targets: attention\n---\nx\n", "x.rlvr.md").diagnostics.map((x) => `${x.line}: ${x.message}`);
  assert.deepEqual(word, ['3: `lora_targets` must be all-linear or a list of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj (got "attention")']);
  const empty = parseExample("---\nanswer: 4\nlora_targets: []\n---\nx\n", "x.rlvr.md").diagnostics.map((x) => x.message);
  assert.deepEqual(empty, ["`lora_targets` must have at least 1 item"]);
  const m = mergeSettings({ answer: "4" }, { sets: ["lora_rank=-1", "lora_targets=[q_proj,mlp]"] });
  assert.ok("errors" in m);
  assert.deepEqual(m.errors, [
    "--set lora_rank=-1: `lora_rank` must be ≥ 0 (got -1)",
    '--set lora_targets=[q_proj,mlp]: `lora_targets.1` must be one of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj (got "mlp")',
  ]);
  assert.deepEqual(merged({ answer: "4" }, { sets: ["lora_targets=[q_proj, v_proj]"] }).settings.lora_targets, ["q_proj", "v_proj"]);
});

const s15 = shapeFromConfig(KNOWN_CONFIGS["Qwen/Qwen2.5-Math-1.5B"]);
const lora = (over: Partial<Parameters<typeof loraProblems>[0]> = {}) => ({ lora_rank: 32, lora_alpha: 32, lora_targets: ALL_LINEAR as typeof ALL_LINEAR | (typeof LORA_TARGETS)[number][], lora_dropout: 0, optimizer_state: "auto", ...over });

test("a rank above a targeted layer's width is refused naming the layers; leaving them out makes it fine", () => {
  // Qwen2.5-1.5B: k_proj and v_proj map 1536 → 256 (2 KV heads × 128).
  assert.deepEqual(loraProblems(lora({ lora_rank: 300 }), s15), [
    { key: "lora_rank", message: "lora_rank 300 is larger than k_proj (width 256), v_proj (width 256) of this model: use lora_rank ≤ 256 or leave those layers out of lora_targets" },
  ]);
  assert.deepEqual(loraProblems(lora({ lora_rank: 256 }), s15), []);
  assert.deepEqual(loraProblems(lora({ lora_rank: 300, lora_targets: ["q_proj", "o_proj"] }), s15), []);
  assert.deepEqual(loraProblems(lora({ lora_rank: 2000 }), s15).map((p) => p.message), [
    "lora_rank 2000 is larger than q_proj (width 1536), k_proj (width 256), v_proj (width 256), o_proj (width 1536), gate_proj (width 1536), up_proj (width 1536), down_proj (width 1536) of this model: use lora_rank ≤ 256",
  ]);
  // Without the shape only what needs none is checked; full fine-tuning has nothing to check.
  assert.deepEqual(loraProblems(lora({ lora_rank: 300 })), []);
  assert.deepEqual(loraProblems(lora({ lora_rank: 0, optimizer_state: "compact" }), s15), []);
});

test("LoRA with the compact optimizer state is refused: adapters train in fp32 AdamW", () => {
  assert.deepEqual(loraProblems(lora({ optimizer_state: "compact" })).map((p) => p.key), ["optimizer_state"]);
  assert.deepEqual(loraProblems(lora({ optimizer_state: "fp32" })), []);
});

test("resolveConfig refuses a rank wider than the tiny model's k_proj (64) before anything loads", () => {
  const example = parseExample("---\nanswer: 4\npreset: cpu-demo\n---\nWhat is 2+2?\n", "/tmp/x/e.rlvr.md").example!;
  const r = resolveConfig({ example, runId: "r", projectRoot: process.cwd(), cwd: process.cwd(), sets: ["lora_rank=65"] });
  assert.deepEqual(r.errors, ["lora_rank 65 is larger than k_proj (width 64), v_proj (width 64) of this model: use lora_rank ≤ 64 or leave those layers out of lora_targets"]);
  const ok = resolveConfig({ example, runId: "r", projectRoot: process.cwd(), cwd: process.cwd(), sets: ["lora_rank=32"] });
  assert.equal(ok.config?.settings.lr, 1e-3);
  assert.equal(ok.config?.derived?.lr, "LoRA: 10 × the preset's lr 0.0001; set lr to choose another");
});

test("the engine's lora field: none for full fine-tuning, all-linear spelled out, each layer once in the model's order", () => {
  assert.equal(loraParams({ ...PRESETS.local }), undefined);
  assert.deepEqual(loraParams({ ...PRESETS.lora }), { rank: 32, alpha: 32, targets: [...LORA_TARGETS], dropout: 0 });
  assert.deepEqual(loraParams({ ...PRESETS.lora, lora_rank: 1, lora_alpha: 2, lora_dropout: 0.05, lora_targets: ["v_proj", "q_proj", "v_proj"] }), { rank: 1, alpha: 2, targets: ["q_proj", "v_proj"], dropout: 0.05 });
  // r·(in + out) (A is r × in, B is out × r) summed over the seven targets of 28 layers: (3072 + 1792 + 1792 + 3072 + 3 × 10496) = 41,216 per rank.
  assert.equal(adapterParams(s15, { lora_rank: 32, lora_targets: ALL_LINEAR }), 28 * 32 * 41_216);
  assert.equal(adapterParams(s15, { lora_rank: 0, lora_targets: ALL_LINEAR }), 0);
});

test("a config.json from before LoRA resumes as full fine-tuning (its preset's lora_rank 0)", () => {
  const settings: Record<string, unknown> = { ...PRESETS.local };
  for (const k of ["lora_rank", "lora_alpha", "lora_targets", "lora_dropout"]) delete settings[k];
  const cfg = { version: 1, run_id: "r", created: "x", example: { file: "/e.rlvr.md", problem: "p", answer: "4", verifier: { kind: "math" } }, preset: "local", settings, overrides: {} };
  const { problems, filled } = checkRunConfig(cfg);
  assert.deepEqual(problems, []);
  assert.deepEqual(filled, ["lora_rank", "lora_alpha", "lora_targets", "lora_dropout"]);
  assert.equal(settings.lora_rank, 0);
});

test("completion and hover document the LoRA keys: all-linear is offered, the names are listed, each preset's default shown", () => {
  const docs = keyDocs(schema as ExampleSchema, PRESETS as unknown as Record<string, Record<string, unknown>>);
  const targets = docs.find((d) => d.key === "lora_targets")!;
  assert.equal(targets.typeText, "all-linear or list of one of: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj");
  assert.deepEqual(targets.values, ["all-linear"]);
  const rank = docs.find((d) => d.key === "lora_rank")!;
  assert.equal(rank.typeText, "integer ≥ 0, ≤ 65536");
  assert.deepEqual(rank.defaults, { paper: "0", local: "0", lora: "32", "cpu-demo": "0" });
  for (const key of ["lora_alpha", "lora_dropout"]) assert.ok(docs.find((d) => d.key === key)?.description, key);
});

test("the dashboard's Config tab line names the training method and where a LoRA run's lr came from", () => {
  const example = parseExample("---\nanswer: 4\npreset: lora\n---\nWhat is 2+2?\n", "/tmp/x/e.rlvr.md").example!;
  const lora = resolveConfig({ example, runId: "r", projectRoot: process.cwd(), cwd: process.cwd() }).config!;
  assert.equal(trainingLine(lora), "LoRA rank 32, alpha 32 on all linear layers (dropout 0); lr 0.00001 (LoRA: 10 × the preset's lr 0.000001; set lr to choose another)");
  const full = resolveConfig({ example, runId: "r", projectRoot: process.cwd(), cwd: process.cwd(), sets: ["lora_rank=0"] }).config!;
  assert.equal(trainingLine(full), "full fine-tuning; lr 0.000001");
  assert.equal(trainingLine(undefined), undefined);
});
