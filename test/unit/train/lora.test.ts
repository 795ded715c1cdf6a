// A LoRA run through the controller and the fake engine: what `load` receives (the lora field, the
// 10× lr; on resume the checkpoint, whose engine_state.pt names the base model to load), and a
// resume refused with the reason when config.json's LoRA settings no longer match the checkpoint.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { LORA_TARGETS } from "../../../src/core/example/lora";
import type { TrainConfig } from "../../../src/core/example/config";
import { RunController } from "../../../src/core/train/controller";
import { ADAPTER_DIR, loraResumeMismatch, trainLoadParams } from "../../../src/core/train/loadParams";
import { boxedVerifier, config, fakeEngine, project } from "./helpers";

interface Load {
  method: string;
  params: { model: string; resume_state?: string; lora: unknown; reference_model: boolean; optimizer: { lr: number; optimizer_state: string } };
}

async function runOnce(cfg: TrainConfig, root: string, runDir: string, env: Record<string, string> = {}, resume = false) {
  const log = path.join(root, `requests-${Date.now()}-${Math.random()}.jsonl`);
  const out = await new RunController({ config: cfg, runDir, engine: fakeEngine({ FAKE_ENGINE_LOG: log, ...env }), createVerifier: boxedVerifier, projectRoot: root, resume }).run();
  let lines: string[] = [];
  try {
    lines = readFileSync(log, "utf8").split("\n").filter(Boolean);
  } catch {
    lines = [];
  }
  const loads = lines.map((l) => JSON.parse(l) as Load).filter((x) => x.method === "load");
  return { out, loads };
}

/** What the engine writes beside a LoRA checkpoint's merged weights (PEFT's adapter_config.json, the keys compared). */
function writeAdapter(dir: string, r: number, alpha = 32, targets: readonly string[] = LORA_TARGETS) {
  mkdirSync(path.join(dir, ADAPTER_DIR), { recursive: true });
  writeFileSync(path.join(dir, ADAPTER_DIR, "adapter_config.json"), JSON.stringify({ peft_type: "LORA", r, lora_alpha: alpha, target_modules: [...targets].reverse(), lora_dropout: 0 }));
}

test("a LoRA run loads with the lora field and 10 × the preset's lr; a full run without it", async () => {
  const { root, example } = project();
  const lora = await runOnce(config(root, example, ["lora_rank=4", "eval_every=0"]), root, path.join(root, "runs", "lora"));
  assert.equal(lora.out.status, "completed");
  assert.equal(lora.loads.length, 1);
  assert.deepEqual(lora.loads[0].params.lora, { rank: 4, alpha: 32, targets: [...LORA_TARGETS], dropout: 0 });
  assert.equal(lora.loads[0].params.optimizer.lr, 1e-3); // cpu-demo's 1e-4 × 10
  const full = await runOnce(config(root, example, ["eval_every=0"]), root, path.join(root, "runs", "full"));
  assert.equal("lora" in full.loads[0].params, false);
  assert.equal(full.loads[0].params.optimizer.lr, 1e-4);
});

test("resume loads the checkpoint as model and resume_state, with LoRA's field when the run has one", () => {
  const { root, example } = project();
  const ck = path.join(root, "runs", "r", "checkpoints", "step-2");
  const lora = trainLoadParams(config(root, example, ["lora_rank=4", "lora_alpha=8"]), ck);
  assert.deepEqual([lora.model, lora.resume_state, lora.lora], [ck, ck, { rank: 4, alpha: 8, targets: [...LORA_TARGETS], dropout: 0 }]);
  const full = trainLoadParams(config(root, example), ck);
  assert.deepEqual([full.model, full.resume_state, full.lora], [ck, ck, undefined]);
});

test("resuming with another rank, alpha or layers than the checkpoint's, or switching between LoRA and full, is refused with the reason", async () => {
  const { root, example } = project();
  const runDir = path.join(root, "runs", "r");
  const cfg = config(root, example, ["lora_rank=4", "steps=5", "checkpoint_every=1", "keep_checkpoints=3", "eval_every=0"]);
  const first = await runOnce(cfg, root, runDir, { FAKE_ENGINE_CRASH_AT_TRAIN: "4" });
  assert.equal(first.out.steps_done, 3);
  for (const step of [1, 2, 3]) writeAdapter(path.join(runDir, "checkpoints", `step-${step}`), 4);

  // config.json edited to another rank: refused before the engine loads anything, the reason named.
  const edited = structuredClone(cfg);
  edited.settings.lora_rank = 8;
  const refused = await runOnce(edited, root, runDir, {}, true);
  assert.equal(refused.out.status, "failed");
  assert.deepEqual(refused.loads, []);
  assert.equal(
    refused.out.error,
    "Checkpoint step-3 was trained with LoRA rank 4, alpha 32 on all linear layers, but config.json now says LoRA rank 8, alpha 32 on all linear layers (dropout 0)",
  );
  assert.match(refused.out.hint ?? "", /Put lora_rank, lora_alpha and lora_targets in the run's config\.json back/);

  // The same settings resume from the last checkpoint.
  const resumed = await runOnce(cfg, root, runDir, {}, true);
  assert.deepEqual(resumed.out, { status: "completed", steps_done: 5 });
  assert.deepEqual(resumed.loads.map((l) => [path.basename(l.params.model), path.basename(l.params.resume_state ?? ""), l.params.lora]), [["step-3", "step-3", { rank: 4, alpha: 32, targets: [...LORA_TARGETS], dropout: 0 }]]);
});

test("loraResumeMismatch: alpha, layers, and LoRA against full fine-tuning either way", () => {
  const { root, example } = project();
  const dir = path.join(root, "ck");
  mkdirSync(dir);
  const lora = config(root, example, ["lora_rank=4"]).settings;
  const full = config(root, example).settings;
  assert.equal(loraResumeMismatch(dir, full), undefined);
  assert.match(loraResumeMismatch(dir, lora) ?? "", /^Checkpoint ck was trained with full fine-tuning \(it has no adapter\/adapter_config\.json\), but config\.json now says LoRA rank 4/);
  writeAdapter(dir, 4);
  assert.equal(loraResumeMismatch(dir, lora), undefined);
  // PEFT may write all seven as "all-linear".
  writeFileSync(path.join(dir, ADAPTER_DIR, "adapter_config.json"), JSON.stringify({ r: 4, lora_alpha: 32, target_modules: "all-linear" }));
  assert.equal(loraResumeMismatch(dir, lora), undefined);
  writeAdapter(dir, 4);
  assert.match(loraResumeMismatch(dir, full) ?? "", /^Checkpoint ck was trained with LoRA rank 4, alpha 32 on .*, but config\.json now says full fine-tuning$/);
  assert.match(loraResumeMismatch(dir, { ...lora, lora_alpha: 64 }) ?? "", /alpha 64/);
  assert.match(loraResumeMismatch(dir, { ...lora, lora_targets: ["q_proj", "v_proj"] }) ?? "", /now says LoRA rank 4, alpha 32 on q_proj, v_proj/);
  writeAdapter(dir, 4, 32, ["v_proj", "q_proj"]);
  assert.match(loraResumeMismatch(dir, lora) ?? "", /^Checkpoint ck was trained with LoRA rank 4, alpha 32 on q_proj, v_proj, but config\.json now says LoRA rank 4, alpha 32 on all linear layers/);
  writeAdapter(dir, 4);
  // Dropout does not change the adapters' shape: a resume may change it.
  assert.equal(loraResumeMismatch(dir, { ...lora, lora_dropout: 0.1 }), undefined);
});
