// `oneshot train --devices N` and the several-machine flags: refusals before any run directory, the
// engine under the real torchrun (2 CPU processes; a fake oneshot_engine package whose rank 0 is the
// fake engine), the world size recorded, a killed rank named, and no engine process left behind.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { stopCommand } from "../../../src/cli/commands/stop";
import { createTrainCommand } from "../../../src/cli/commands/train";
import type { TrainConfig } from "../../../src/core/example/config";
import { observeRunStatus } from "../../../src/core/run/status";
import { alive, rankPids, TORCHRUN_PYTHON } from "../engine/torchrunHelpers";
import { boxedVerifier, eventsOf, project } from "../train/helpers";
import { captureCli, type CapturedCli } from "../cliContext";

const train = createTrainCommand({ createVerifier: boxedVerifier });
const skip = process.platform !== "linux";

function ctx(cwd: string, env: Record<string, string> = {}): CapturedCli {
  return captureCli({ installDir: path.resolve("test/unit/cli-train/fixtures/bin"), cwd, env: { ...process.env, NODE: process.execPath, ...env } });
}

/** A PATH whose nvidia-smi lists two H200s, as the real one answers the plan's query. */
function twoGpuPath(): string {
  const bin = mkdtempSync(path.join(tmpdir(), "oneshot-smi-"));
  writeFileSync(path.join(bin, "nvidia-smi"), "#!/bin/sh\nprintf 'NVIDIA H200, 143771, 143000\\nNVIDIA H200, 143771, 143000\\n'\n");
  chmodSync(path.join(bin, "nvidia-smi"), 0o755);
  return `${bin}${path.delimiter}${process.env.PATH}`;
}

const fake = ["--preset", "cpu-demo", "--python", TORCHRUN_PYTHON, "--set", "model=fake", "--set", "eval_every=0", "--set", "prompt_copies=2", "--set", "rollouts=2"];

test("bad --devices, machines or more devices than visible GPUs: one sentence, nothing created", async () => {
  const { root } = project();
  const refused = async (args: string[], message: RegExp, env: Record<string, string> = {}) => {
    await assert.rejects(train.run(["two.rlvr.md", ...args], ctx(root, env)), message);
    assert.equal(existsSync(path.join(root, ".oneshot")), false, args.join(" "));
  };
  await refused(["--devices", "0"], /--devices must be auto or a whole number of at least 1, not '0'$/);
  await refused(["--devices", "-2"], /--devices must be auto or a whole number of at least 1, not '-2'$/);
  await refused(["--nnodes", "2"], /--nnodes 2 needs --rdzv-endpoint HOST:PORT/);
  await refused(["--nnodes", "2", "--node-rank", "0", "--rdzv-endpoint", "h:1", "--node-rank", "5"], /--node-rank 5 is out of range: with --nnodes 2 it is 0 to 1$/);
  const gpus = { PATH: twoGpuPath() };
  await refused(["--devices", "3", "--set", "device=auto", ...fake.slice(2)], /devices 3 asks for more GPUs than this machine shows: 2 \(nvidia-smi\); use at most 2, or auto$/, gpus);
  await refused(["--devices", "2", "--set", "device=auto", ...fake.slice(2)], /devices 2 asks for more GPUs than this machine shows: 1 \(CUDA_VISIBLE_DEVICES=1\); use 1, or auto$/, { ...gpus, CUDA_VISIBLE_DEVICES: "1" });
  // LoRA runs on one engine process (the engine refuses it under torchrun): said before launch.
  await refused(["--devices", "2", "--set", "lora_rank=4", ...fake.slice(2)], /LoRA does not run under torchrun yet; use --devices 1$/);
  // The setting in the example's front matter is held to the same rule.
  writeFileSync(path.join(root, "four.rlvr.md"), "---\nanswer: 4\ndevices: 4\ndevice: auto\n---\nWhat is 2+2?\n");
  await assert.rejects(train.run(["four.rlvr.md", ...fake.slice(2)], ctx(root, gpus)), /devices 4 asks for more GPUs than this machine shows: 2/);
  assert.equal(existsSync(path.join(root, ".oneshot")), false);
  // A dry run says how many processes would train.
  const dry = ctx(root);
  assert.equal(await train.run(["two.rlvr.md", "--dry-run", "--devices", "2", ...fake], dry), 0, dry.err());
  assert.match(dry.out(), /\n {2}model {7}fake \(float32 on cpu, 2 processes\)\n/);
  // Another machine of the run takes no example.
  await assert.rejects(train.run(["two.rlvr.md", "--nnodes", "2", "--node-rank", "1", "--rdzv-endpoint", "h:1"], ctx(root)), /--node-rank 1 starts only this machine's engine ranks: give no example/);
});

test("--devices 2 on a machine without GPUs: two CPU processes under torchrun, the world size recorded, none left", { skip }, async () => {
  const { root } = project();
  const pids = mkdtempSync(path.join(tmpdir(), "oneshot-ranks-"));
  const c = ctx(root, { FAKE_RANK_PIDS: pids });
  const code = await train.run(["two.rlvr.md", "--devices", "2", "--steps", "2", "--run-dir", "r", ...fake], c);
  assert.equal(code, 0, c.err());
  assert.match(c.out(), /Training two\.rlvr\.md: fake on cpu × 2 processes/);
  const runDir = path.join(root, "r");
  const started = eventsOf(runDir).find((e) => e.type === "run_started");
  assert.ok(started?.type === "run_started" && started.world_size === 2, JSON.stringify(started));
  const config = JSON.parse(readFileSync(path.join(runDir, "config.json"), "utf8")) as TrainConfig;
  assert.equal(config.world_size, 2);
  assert.equal(config.settings.devices, 2);
  const ranks = await rankPids(pids);
  assert.equal(ranks.length, 2);
  assert.deepEqual(ranks.filter(alive), []);
});

test("kill -9 of rank 1 mid-run: the run fails naming rank 1, its last checkpoint intact, no process left", { skip }, async () => {
  const { root } = project();
  const pids = mkdtempSync(path.join(tmpdir(), "oneshot-ranks-"));
  const c = ctx(root, { FAKE_RANK_PIDS: pids, FAKE_ENGINE_DELAY_MS: "300" });
  const runDir = path.join(root, "r");
  const running = train.run(["two.rlvr.md", "--devices", "2", "--steps", "200", "--run-dir", "r", "--set", "checkpoint_every=1", ...fake], c);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !eventsOf(runDir).some((e) => e.type === "checkpoint")) await new Promise((r) => setTimeout(r, 50));
  const ranks = await rankPids(pids);
  const rank1 = Number(readFileSync(path.join(pids, "rank-1.pid"), "utf8"));
  const killedAt = Date.now();
  process.kill(rank1, "SIGKILL");
  assert.equal(await running, 1);
  assert.ok(Date.now() - killedAt < 10_000, `the run took ${Date.now() - killedAt} ms to end`);
  assert.match(c.err(), /Run failed after \d+\/200 steps: Engine rank 1 \(local rank 1 on \S+\) was killed by SIGKILL\nHint: /m);
  assert.equal(observeRunStatus(runDir), "failed");
  const last = eventsOf(runDir).at(-1);
  assert.ok(last?.type === "run_finished" && last.status === "failed" && /^Engine rank 1 /.test(last.error ?? ""), JSON.stringify(last));
  const checkpoint = eventsOf(runDir).filter((e) => e.type === "checkpoint").at(-1);
  assert.ok(checkpoint?.type === "checkpoint" && existsSync(path.join(runDir, checkpoint.path, "model.safetensors")));
  assert.deepEqual(ranks.filter(alive), []);
});

test("`oneshot stop` of a detached --devices 2 run checkpoints and ends every rank", { skip }, async () => {
  const { root } = project();
  const pids = mkdtempSync(path.join(tmpdir(), "oneshot-ranks-"));
  mkdirSync(pids, { recursive: true });
  const c = ctx(root, { FAKE_RANK_PIDS: pids, FAKE_ENGINE_DELAY_MS: "100" });
  assert.equal(await train.run(["two.rlvr.md", "--detach", "--devices", "2", "--steps", "2000", "--set", "checkpoint_every=0", ...fake], c), 0, c.err());
  const runDir = c.out().trim();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !eventsOf(runDir).some((e) => e.type === "step")) await new Promise((r) => setTimeout(r, 100));
  const ranks = await rankPids(pids);
  const s = ctx(root);
  assert.equal(await stopCommand.run([runDir, "--wait", "60"], s), 0);
  assert.match(s.out(), /Run stopped at step \d+; last checkpoint checkpoints\/step-\d+\.\n$/);
  const started = eventsOf(runDir).find((e) => e.type === "run_started");
  assert.ok(started?.type === "run_started" && started.world_size === 2, "the background child kept --devices 2");
  for (let i = 0; i < 40 && ranks.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(ranks.filter(alive), []);
});
