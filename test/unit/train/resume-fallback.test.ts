// Resume with a damaged last checkpoint: the newest intact earlier one is used, and the user is told.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { RunController } from "../../../src/core/train/controller";
import type { ProgressSink } from "../../../src/core/train/progress";
import { checkpointDamage } from "../../../src/core/train/resumePoint";
import type { RunStartedEvent } from "../../../src/core/run/events";
import { boxedVerifier, config, eventsOf, fakeEngine, project } from "./helpers";

/** A run stopped by an engine crash at its 4th step, with resumable checkpoints at steps 1–3. */
async function crashedRun() {
  const { root, example } = project();
  const runDir = path.join(root, "runs", "r");
  const cfg = config(root, example, ["steps=5", "checkpoint_every=1", "keep_checkpoints=3", "eval_every=0"]);
  const first = await new RunController({ config: cfg, runDir, engine: fakeEngine({ FAKE_ENGINE_CRASH_AT_TRAIN: "4" }), createVerifier: boxedVerifier, projectRoot: root }).run();
  assert.equal(first.steps_done, 3);
  return { root, runDir, cfg, ck: (step: number, file: string) => path.join(runDir, "checkpoints", `step-${step}`, file) };
}

function terminal(): { sink: ProgressSink; lines: string[] } {
  const lines: string[] = [];
  const sink: ProgressSink = { step: () => {}, eval: () => {}, checkpoint: () => {}, phase: () => {}, log: (level, m) => lines.push(`${level}: ${m}`), close: () => {} };
  return { sink, lines };
}

async function resume(r: Awaited<ReturnType<typeof crashedRun>>, env: Record<string, string> = {}) {
  const log = path.join(r.root, `requests-${Date.now()}.jsonl`);
  const t = terminal();
  const out = await new RunController({ config: r.cfg, runDir: r.runDir, engine: fakeEngine({ FAKE_ENGINE_LOG: log, ...env }), createVerifier: boxedVerifier, projectRoot: r.root, resume: true, progress: t.sink }).run();
  const loads = readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { method: string; params: { model: string; resume_state?: string } }).filter((x) => x.method === "load");
  const started = eventsOf(r.runDir).filter((e): e is RunStartedEvent => e.type === "run_started").at(-1)!;
  const warnings = eventsOf(r.runDir).filter((e) => e.type === "log" && e.level === "warn").map((e) => (e.type === "log" ? e.message : ""));
  return { out, loads, started, warnings, terminal: t.lines };
}

test("a truncated state file in the last checkpoint: resume falls back to the one before, and says so", async () => {
  const r = await crashedRun();
  truncateSync(r.ck(3, "engine_state.pt"), 0);
  const res = await resume(r);
  assert.deepEqual(res.out, { status: "completed", steps_done: 5 });
  assert.equal(res.started.start_step, 2);
  assert.deepEqual(res.loads.map((l) => l.params.resume_state), [path.join(r.runDir, "checkpoints", "step-2")]);
  const said = "Checkpoint checkpoints/step-3 is damaged (engine_state.pt is empty); resuming from the earlier checkpoints/step-2 instead.";
  assert.deepEqual(res.warnings, [said]);
  assert.ok(res.terminal.includes(`warn: ${said}`), res.terminal.join("\n"));
});

test("missing weights, and a checkpoint the engine reports as BadCheckpoint, are passed over too", async () => {
  const r = await crashedRun();
  rmSync(r.ck(3, "model.safetensors"));
  const res = await resume(r, { FAKE_ENGINE_BAD_CHECKPOINT: "step-2" });
  assert.deepEqual(res.out, { status: "completed", steps_done: 5 });
  assert.equal(res.started.start_step, 1);
  // step-3 never reaches the engine (the cheap check catches it); step-2 is refused by the engine.
  assert.deepEqual(res.loads.map((l) => path.basename(l.params.resume_state ?? "")), ["step-2", "step-1"]);
  assert.equal(res.warnings.length, 2);
  assert.match(res.warnings[0], /^Checkpoint checkpoints\/step-3 is damaged \(it has no \*\.safetensors weights\); resuming from the earlier checkpoints\/step-2 instead\.$/);
  assert.match(res.warnings[1], /^Checkpoint checkpoints\/step-2 is damaged \(resume state .* cannot be read: PytorchStreamReader.*\); resuming from the earlier checkpoints\/step-1 instead\.$/);
});

test("with every checkpoint damaged the run starts over from the base model, and says so", async () => {
  const r = await crashedRun();
  for (const step of [1, 2, 3]) writeFileSync(r.ck(step, "model.safetensors"), Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123]));
  const res = await resume(r);
  assert.deepEqual(res.out, { status: "completed", steps_done: 5 });
  assert.equal(res.started.start_step, 0);
  assert.deepEqual(res.loads.map((l) => [l.params.model, l.params.resume_state]), [["fake-model", undefined]]);
  assert.match(res.warnings.at(-1)!, /step-1 is damaged \(model\.safetensors is truncated\); no earlier checkpoint is left, so the run starts over from the base model\./);
});

test("checkpointDamage: intact, empty config, truncated and sharded checkpoints", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "oneshot-ck-"));
  const tensors = (bytes: number) => {
    const header = Buffer.from(JSON.stringify({ w: { dtype: "F32", shape: [bytes / 4], data_offsets: [0, bytes] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    return Buffer.concat([len, header, Buffer.alloc(bytes)]);
  };
  writeFileSync(path.join(dir, "config.json"), "{}");
  writeFileSync(path.join(dir, "engine_state.pt"), "state");
  writeFileSync(path.join(dir, "model.safetensors"), tensors(64));
  assert.equal(checkpointDamage(dir), undefined);
  writeFileSync(path.join(dir, "model.safetensors"), tensors(64).subarray(0, 60));
  assert.equal(checkpointDamage(dir), "model.safetensors is truncated");
  writeFileSync(path.join(dir, "model.safetensors"), tensors(64));
  writeFileSync(path.join(dir, "config.json"), "");
  assert.equal(checkpointDamage(dir), "config.json is empty");
  writeFileSync(path.join(dir, "config.json"), "{}");
  writeFileSync(path.join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: { a: "model.safetensors", b: "model-00002-of-00002.safetensors" } }));
  assert.equal(checkpointDamage(dir), "the shard model-00002-of-00002.safetensors is missing");
  assert.equal(checkpointDamage(path.join(dir, "nope")), "its folder cannot be read");
  mkdirSync(path.join(dir, "empty"));
  assert.equal(checkpointDamage(path.join(dir, "empty")), "it has no *.safetensors weights");
});
