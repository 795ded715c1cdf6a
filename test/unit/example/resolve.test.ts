import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { parseExample } from "../../../src/core/example/parse";
import { PRESETS } from "../../../src/core/example/presets";
import { resolveConfig } from "../../../src/core/example/resolve";

const root = mkdtempSync(path.join(tmpdir(), "oneshot-resolve-"));
mkdirSync(path.join(root, "examples", "models", "tiny-math"), { recursive: true });
mkdirSync(path.join(root, "work", "my-model"), { recursive: true });

function example(front: string, body = "What is 2+2?") {
  const r = parseExample(`---\n${front}\n---\n${body}\n`, path.join(root, "work", "two.rlvr.md"));
  assert.ok(r.example, JSON.stringify(r.diagnostics));
  return r.example;
}
const base = { runId: "r1", projectRoot: root, cwd: root, now: new Date(0) };

test("precedence: preset < front matter < --set, with the source of each override", () => {
  const r = resolveConfig({ ...base, example: example("answer: 4\npreset: paper\nsteps: 50\nlr: 2e-6"), sets: ["steps=7", "kl_type=k2"] });
  assert.deepEqual(r.errors, []);
  const c = r.config!;
  assert.equal(c.preset, "paper");
  assert.equal(c.settings.steps, 7);
  assert.equal(c.settings.lr, 2e-6);
  assert.equal(c.settings.kl_type, "k2");
  assert.equal(c.settings.temperature, 0.6);
  assert.deepEqual(c.overrides, { steps: "--set", lr: "example", kl_type: "--set" });
  assert.equal(c.example.answer, "4");
  assert.deepEqual(c.example.verifier, { kind: "math" });
});

test("--preset wins over the front matter's preset; the default applies when none is named", () => {
  const ex = example("answer: 4\npreset: paper");
  assert.equal(resolveConfig({ ...base, example: ex, preset: "cpu-demo" }).config?.preset, "cpu-demo");
  assert.equal(resolveConfig({ ...base, example: example("answer: 4"), defaultPreset: "paper" }).config?.preset, "paper");
  assert.match(resolveConfig({ ...base, example: ex, preset: "huge" }).errors[0], /Unknown preset 'huge': valid presets are paper, local, lora, cpu-demo/);
});

test("the paper preset is the paper's recipe", () => {
  const p = PRESETS.paper;
  assert.deepEqual(
    [p.prompt_copies, p.rollouts, p.temperature, p.max_response_tokens, p.lr, p.weight_decay, p.grad_clip, p.clip_ratio_low, p.clip_ratio_high, p.kl_type, p.kl_coef, p.entropy_coef, p.loss_agg, p.steps, p.eval_every, p.mini_batches, p.optimizer_state],
    [128, 8, 0.6, 3072, 1e-6, 0.01, 1, 0.2, 0.2, "low_var_kl", 0.001, 0.001, "token-mean", 2000, 20, 1, "auto"],
  );
});

test("models: preset paths resolve against the project root, example paths against the file, hub ids stay", () => {
  assert.equal(resolveConfig({ ...base, example: example("answer: 4\npreset: cpu-demo") }).config?.settings.model, path.join(root, "examples/models/tiny-math"));
  assert.equal(resolveConfig({ ...base, example: example("answer: 4\nmodel: my-model") }).config?.settings.model, path.join(root, "work/my-model"));
  assert.equal(resolveConfig({ ...base, example: example("answer: 4\nmodel: Qwen/Qwen2.5-Math-1.5B") }).config?.settings.model, "Qwen/Qwen2.5-Math-1.5B");
});

test("bad --set items say what is valid", () => {
  const r = resolveConfig({ ...base, example: example("answer: 4"), sets: ["stepz=3", "steps=-1", "loss_agg=mean", "noequals"] });
  assert.equal(r.errors.length, 4);
  assert.match(r.errors[0], /--set stepz: not a setting \(did you mean steps\?\)/);
  assert.match(r.errors[1], /--set steps=-1: `steps` must be ≥ 1 \(got -1\)/);
  assert.match(r.errors[2], /must be one of token-mean, seq-mean-token-mean, seq-mean-token-sum/);
  assert.match(r.errors[3], /write it as key=value/);
});

test("--set parses lists and nulls, and keeps text settings verbatim", () => {
  const r = resolveConfig({ ...base, example: example("answer: 4"), sets: ["eval_benchmarks=[a, b.jsonl]", "eval_subset=null", "system_prompt=yes", "stop=['</s>']"] });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.config!.settings.eval_benchmarks, ["a", "b.jsonl"]);
  assert.equal(r.config!.settings.eval_subset, null);
  assert.equal(r.config!.settings.system_prompt, "yes");
  assert.deepEqual(r.config!.settings.stop, ["</s>"]);
});

test("a verifier block makes the verifier custom unless the front matter names one", () => {
  const r = resolveConfig({ ...base, example: example("answer: 4", "Q\n```verifier\nreturn 1;\n```") });
  assert.deepEqual(r.config?.example.verifier, { kind: "custom", source: "return 1;" });
  const n = resolveConfig({ ...base, example: example("answer: 4\nverifier: numeric") });
  assert.deepEqual(n.config?.example.verifier, { kind: "numeric" });
});

test("micro_batch_size never exceeds the rollouts of a step", () => {
  const r = resolveConfig({ ...base, example: example("answer: 4\nprompt_copies: 2\nrollouts: 2\nmicro_batch_size: 64") });
  assert.equal(r.config?.settings.micro_batch_size, 4);
});

test("schema.json and the presets declare the same settings", async () => {
  const { KNOWN_KEYS } = await import("../../../src/core/example/validate");
  const meta = ["answer", "verifier", "preset", "title", "source", "tags"];
  assert.deepEqual([...KNOWN_KEYS].filter((k) => !meta.includes(k)).sort(), Object.keys(PRESETS.paper).sort());
  for (const p of Object.values(PRESETS)) assert.deepEqual(Object.keys(p).sort(), Object.keys(PRESETS.paper).sort());
});

test("too many rollouts per step are refused before anything runs", () => {
  const r = resolveConfig({ ...base, example: example("answer: 4"), sets: ["prompt_copies=4096", "rollouts=8"] });
  assert.deepEqual(r.errors, ["prompt_copies × rollouts is 32,768 rollouts per step, more than the 16,384 accepted (the paper uses 128 × 8 = 1,024): lower prompt_copies or rollouts"]);
});

test("a problem far longer than max_prompt_tokens is refused by its length, before tokenising", () => {
  const r = resolveConfig({ ...base, example: example("answer: 4\nsystem_prompt: ''", "x".repeat(40_000)), sets: ["max_prompt_tokens=1024"] });
  assert.deepEqual(r.errors, [
    "The problem and system prompt are 40,000 characters long; with max_prompt_tokens 1,024 at most 32,768 are accepted (32 per token): shorten the problem or raise max_prompt_tokens",
  ]);
  assert.deepEqual(resolveConfig({ ...base, example: example("answer: 4", "x".repeat(20_000)), sets: ["max_prompt_tokens=1024"] }).errors, []);
});
