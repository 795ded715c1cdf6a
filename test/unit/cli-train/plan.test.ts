// `oneshot train` plans a GPU run before anything is created: a plan that does not fit is refused
// (exit 4, no run directory); one that fits is kept in config.json and run_started, and its
// --gpu-memory cap reaches the engine.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { main } from "../../../src/cli/main";
import { KNOWN_CONFIGS, PLAN_REFUSED_EXIT_CODE } from "../../../src/core/plan/index";
import { eventsOf, project } from "../train/helpers";
import { captureCli } from "../cliContext";

const FAKE_PYTHON = path.resolve("test/unit/engine/fixtures/fake-python");
const env = (root: string) => ({ ...process.env, NODE: process.execPath, HF_HUB_CACHE: path.join(root, "hf") });

test("a plan that does not fit the --gpu-memory card is refused before the run directory exists (exit 4)", async () => {
  const { root } = project();
  // A folder of Qwen2.5-1.5B's shape (the pre-flight wants a model on the machine; device cpu needs no GPU here).
  const model = path.join(root, "qwen-1.5b");
  mkdirSync(model);
  writeFileSync(path.join(model, "config.json"), JSON.stringify(KNOWN_CONFIGS["Qwen/Qwen2.5-1.5B"]));
  writeFileSync(path.join(model, "model.safetensors"), "");
  const c = captureCli({ cwd: root, env: env(root) });
  // The paper preset with verl's micro-batches (16 rows, every layer checkpointed), which 24 GB cannot hold.
  const verl = ["--set", "micro_batch_size=16", "--set", "gradient_checkpointing=true"];
  const code = await main(["train", "two.rlvr.md", "--preset", "paper", "--gpu-memory", "24", "--python", FAKE_PYTHON, "--set", `model=${model}`, "--set", "device=cpu", "--set", "eval_every=0", ...verl], c);
  assert.equal(code, PLAN_REFUSED_EXIT_CODE, c.err());
  assert.match(c.err(), /^oneshot train: \S+qwen-1\.5b does not fit in 24 GB: the step needs about [\d.]+ GB at its peak \(training phase\); .* would fit in 24 GB\. See `oneshot plan` for the estimate per phase\.\n$/);
  assert.equal(existsSync(path.join(root, ".oneshot")), false, "a run directory was left behind");
});

test("a plan that fits is recorded in config.json and run_started, and the engine gets the cap", async () => {
  const { root } = project();
  const model = path.join(root, "tiny");
  mkdirSync(model);
  writeFileSync(path.join(model, "config.json"), JSON.stringify({ model_type: "llama", hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 128, vocab_size: 512 }));
  writeFileSync(path.join(model, "model.safetensors"), "");
  const c = captureCli({ cwd: root, env: env(root) });
  const args = ["train", "two.rlvr.md", "--preset", "cpu-demo", "--gpu-memory", "8", "--python", FAKE_PYTHON, "--set", `model=${model}`, "--set", "prompt_copies=2", "--set", "rollouts=2", "--set", "eval_every=0", "--set", "checkpoint_every=0", "--steps", "1"];
  assert.equal(await main(args, c), 0, c.err());
  assert.match(c.out(), /^Plan on an 8 GB card: peak [\d.]+ GB of 8 GB \(fits\) · fp32 optimizer state, all rollouts at once · ~[\d.]+ s\/step\nRun directory: /);
  const runDir = path.join(root, ".oneshot", "runs", readdirSync(path.join(root, ".oneshot", "runs"))[0]);
  const config = JSON.parse(readFileSync(path.join(runDir, "config.json"), "utf8")) as { plan: { gpu_memory_gb: number; fits: boolean; peak_gb: number; resolved: { optimizer_state: string } } };
  assert.equal(config.plan.gpu_memory_gb, 8);
  assert.equal(config.plan.fits, true);
  assert.equal(config.plan.resolved.optimizer_state, "fp32");
  const started = eventsOf(runDir).find((e) => e.type === "run_started") as { plan?: unknown; engine?: { options?: { memory_limit_gb: number | null } } };
  assert.deepEqual(started.plan, config.plan);
  assert.equal(started.engine?.options?.memory_limit_gb, 8);
});

test("--resume takes the run directory alone: --gpu-memory is refused with it", async () => {
  const { root } = project();
  const c = captureCli({ cwd: root, env: env(root) });
  assert.equal(await main(["train", "--resume", "somewhere", "--gpu-memory", "8", "--python", FAKE_PYTHON], c), 2);
  assert.match(c.err(), /--resume takes the run directory alone/);
});
