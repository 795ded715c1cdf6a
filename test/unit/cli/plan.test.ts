// `oneshot plan`: its text, its JSON (read by bench/memory.py), its exit codes and bad input.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { main } from "../../../src/cli/main";
import { PLAN_REFUSED_EXIT_CODE } from "../../../src/core/plan/index";
import { captureCli, type CapturedCli } from "../cliContext";

function project(): { root: string; c: () => CapturedCli } {
  const root = mkdtempSync(path.join(tmpdir(), "oneshot-plan-"));
  writeFileSync(path.join(root, "pipe.rlvr.md"), "---\nanswer: '\\frac{7}{2}'\n---\nA pipe fills $\\frac{2}{7}$ of a tank per hour. How many hours does it take to fill the tank?\n");
  // An empty Hugging Face cache: the presets' model comes from the built-in table, whatever this machine holds.
  const env = { ...process.env, HF_HUB_CACHE: path.join(root, "hf") };
  return { root, c: () => captureCli({ cwd: root, env }) };
}

test("oneshot plan --json: the local preset on a 24 GB card fits with the compact state (exit 0)", async () => {
  const { c } = project();
  const cli = c();
  assert.equal(await main(["plan", "pipe.rlvr.md", "--gpu-memory", "24", "--json"], cli), 0, cli.err());
  const plan = JSON.parse(cli.out()) as Record<string, unknown> & { phases: Record<string, Record<string, number>>; resolved: Record<string, unknown>; peak_gb: number; card: { memory_gb: number } };
  assert.equal(plan.version, 1);
  assert.deepEqual(Object.keys(plan.phases), ["rollout", "training", "optimizer_step"]);
  for (const p of Object.values(plan.phases)) assert.ok(p.total > 0 && p.weights > 0);
  assert.deepEqual(plan.resolved, { optimizer_state: "compact", rollout_wave_size: 64, micro_batch_size: 2, checkpoint_layers: 28 });
  assert.equal(plan.fits, true);
  assert.ok(plan.peak_gb <= 22);
  assert.equal(plan.card.memory_gb, 24);
  assert.ok((plan.step_time_s as number) > 0);
  assert.equal(plan.refusal, null);
  assert.deepEqual((plan.model as { name: string }).name, "Qwen/Qwen2.5-Math-1.5B");
});

// The paper preset with verl's micro-batches (16 rows, every layer checkpointed), which 24 GB cannot hold.
const VERL = ["--set", "micro_batch_size=16", "--set", "gradient_checkpointing=true"];

test("oneshot plan: the paper preset (verl's micro-batches) on 24 GB prints the plan and the refusal, exit 4", async () => {
  const { c } = project();
  const cli = c();
  assert.equal(await main(["plan", "pipe.rlvr.md", "--preset", "paper", "--gpu-memory", "24", ...VERL], cli), PLAN_REFUSED_EXIT_CODE);
  const out = cli.out().trimEnd().split("\n");
  assert.match(out[0], /^Plan for Qwen\/Qwen2\.5-Math-1\.5B \(1\.54B parameters; shape from built-in table/);
  assert.ok(out.some((l) => /^Training phase: \d/.test(l)));
  assert.ok(out.some((l) => /^Peak: .* of 24 GB: does not fit$/.test(l)));
  assert.match(out[out.length - 1], /^Qwen\/Qwen2\.5-Math-1\.5B does not fit in 24 GB: .*max_response_tokens [\d,]+.* would fit in 24 GB\.$/);
  // --set reaches the plan: a shorter response fits.
  const fits = c();
  assert.equal(await main(["plan", "pipe.rlvr.md", "--preset", "paper", "--gpu-memory", "24", ...VERL, "--set", "max_response_tokens=1024"], fits), 0, fits.out());
});

test("oneshot plan: bad input is one sentence with its exit code", async () => {
  const { c } = project();
  let cli = c();
  assert.equal(await main(["plan", "pipe.rlvr.md", "--gpu-memory", "lots"], cli), 2);
  assert.equal(cli.err(), "oneshot plan: --gpu-memory must be a positive number of gigabytes (e.g. 24), not 'lots'. Run `oneshot plan --help` for usage.\n");
  cli = c();
  assert.equal(await main(["plan", "pipe.rlvr.md", "--gpu-memory", "-4"], cli), 2);
  cli = c();
  assert.equal(await main(["plan", "pipe.rlvr.md", "--set", "model=acme/unknown-model"], cli), 1);
  assert.match(cli.err(), /^oneshot plan: the plan needs acme\/unknown-model's config\.json, which is not on this machine: fetch it with `hf download acme\/unknown-model config\.json`/);
  cli = c();
  assert.equal(await main(["plan", "missing.rlvr.md"], cli), 1);
  assert.match(cli.err(), /^oneshot plan: the example file has an error:\n {2}missing\.rlvr\.md:1:1: Cannot read the example file/);
  cli = c();
  assert.equal(await main(["plan"], cli), 2);
  cli = c();
  assert.equal(await main(["--help"], cli), 0);
  assert.match(cli.out(), /\n {2}plan +Estimate a run's GPU memory and step time before it starts\n/);
});

test("oneshot plan --set lora_rank=32: the local preset's 1.5B step fits a 12 GB card with fp32 adapters; a too-wide rank is one sentence", async () => {
  const { c } = project();
  const cli = c();
  assert.equal(await main(["plan", "pipe.rlvr.md", "--set", "lora_rank=32", "--gpu-memory", "12", "--json"], cli), 0, cli.err());
  const plan = JSON.parse(cli.out()) as { lora?: { rank: number; adapter_params: number }; fits: boolean; peak_gb: number; phases: Record<string, Record<string, number>> };
  assert.deepEqual(plan.lora, { rank: 32, adapter_params: 36_929_536 });
  assert.equal(plan.fits, true);
  assert.ok(plan.peak_gb < 12);
  assert.equal(plan.phases.training.reference, 0);
  const text = c();
  assert.equal(await main(["plan", "pipe.rlvr.md", "--preset", "lora", "--gpu-memory", "12"], text), 0, text.err());
  assert.match(text.out(), /^LoRA rank 32: 36\.9M adapter parameters train in fp32; the base weights stay frozen in bfloat16$/m);
  const wide = c();
  assert.equal(await main(["plan", "pipe.rlvr.md", "--set", "lora_rank=512"], wide), 1);
  assert.equal(wide.err().trim(), "oneshot plan: lora_rank 512 is larger than k_proj (width 256), v_proj (width 256) of this model: use lora_rank ≤ 256 or leave those layers out of lora_targets");
});

test("oneshot plan --devices 8: the paper preset planned per process, its state sharded eight ways", async () => {
  const { c } = project();
  const cli = c();
  assert.equal(await main(["plan", "pipe.rlvr.md", "--preset", "paper", "--gpu-memory", "80", "--devices", "8", "--json"], cli), 0, cli.err());
  const plan = JSON.parse(cli.out()) as { ranks: number; rollouts: number; resolved: { optimizer_state: string } };
  assert.equal(plan.ranks, 8);
  assert.equal(plan.rollouts, 128);
  assert.equal(plan.resolved.optimizer_state, "fp32");
  const two = c();
  assert.equal(await main(["plan", "pipe.rlvr.md", "--preset", "paper", "--gpu-memory", "80", "--devices", "4", "--nnodes", "2"], two), 0, two.err());
  assert.match(two.out(), /\n8 processes \(FSDP2\), one GPU each: the memory below is one process's, with 128 of the rollouts\n/);
  const bad = c();
  assert.equal(await main(["plan", "pipe.rlvr.md", "--devices", "0"], bad), 2);
  assert.match(bad.err(), /--devices must be auto or a whole number of at least 1, not '0'/);
});
