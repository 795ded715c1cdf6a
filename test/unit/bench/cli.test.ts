import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import type { CliContext } from "../../../src/cli/command";
import { createEvalCommand } from "../../../src/cli/commands/eval";
import { createRankCommand } from "../../../src/cli/commands/rank";
import type { OpenSession } from "../../../src/cli/evalSession";
import { mathVerifier, scriptedBackend } from "./fakes";
import { tmp, writeJsonl } from "./fixtures";

function ctx(cwd: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = "";
  stdout.on("data", (d) => (o += d));
  const c: CliContext = { installDir: path.resolve("src/cli"), stdout, stderr, cwd, env: { ONESHOT_CACHE_DIR: path.join(cwd, "cache") } };
  return { c, out: () => o };
}

/** A model folder on disk (for the fingerprint) and a session whose "model" solves problems by a rule. */
function setup(solve: (problem: string, sample: number) => string) {
  const dir = tmp("cli-");
  const model = path.join(dir, "my-model");
  mkdirSync(model);
  writeFileSync(path.join(model, "config.json"), "{}");
  writeFileSync(path.join(model, "model.safetensors"), "w");
  writeJsonl(
    path.join(dir, "set.jsonl"),
    ["always", "never", "half", "rarely"].map((id) => ({ id, problem: id, answer: "1", skill: id === "never" ? "hard" : "easy" })),
  );
  let opened = 0;
  const open: OpenSession = async (o) => {
    opened++;
    assert.equal(o.model, model);
    const { backend } = scriptedBackend(solve);
    return { backend, verifier: mathVerifier, device: "cpu", close: async () => {} };
  };
  return { dir, model, open, opened: () => opened };
}

const solvedBy: Record<string, number> = { always: 8, never: 0, half: 4, rarely: 1 };
const rule = (problem: string, s: number) => (s < solvedBy[problem]! ? "1" : "2");

test("oneshot eval scores a file benchmark, writes per-problem JSONL and summary.json, and reuses the cache", async () => {
  const s = setup(rule);
  const cmd = createEvalCommand(s.open);
  const first = ctx(s.dir);
  assert.equal(await cmd.run(["my-model", "--bench", "set.jsonl"], first.c), 0);
  // Greedy is sample 0: always, half and rarely right.
  assert.match(first.out(), /^benchmark\s+metric\s+n\s+score\s+time\nset\s+acc\s+4\s+75\.0%\s+\d+\.\d s\nPer-problem results: \.oneshot\/evals\/my-model\n$/);
  const out = path.join(s.dir, ".oneshot", "evals", "my-model");
  const lines = readFileSync(path.join(out, "set.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => [l.id, l.correct]), [["always", 1], ["never", 0], ["half", 1], ["rarely", 1]]);
  const summary = JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8"));
  assert.equal(summary.benchmarks.set.value, 0.75);
  assert.equal(summary.device, "cpu");
  assert.equal(s.opened(), 1);

  const again = ctx(s.dir);
  assert.equal(await cmd.run(["my-model", "--bench", "set.jsonl"], again.c), 0);
  assert.match(again.out(), /set\s+acc\s+4\s+75\.0%\s+cached/);
  assert.equal(s.opened(), 1, "a wholly cached evaluation never starts the engine");

  const avg = ctx(s.dir);
  assert.equal(await cmd.run(["my-model", "--bench", "set.jsonl", "--samples", "8", "--json"], avg.c), 0);
  const j = JSON.parse(avg.out());
  assert.equal(j.benchmarks.set.metric, "avg@8");
  assert.equal(j.benchmarks.set.value, (8 + 0 + 4 + 1) / 32);
});

test("oneshot eval without --bench on another model, or on a missing one, is a usage error", async () => {
  const s = setup(rule);
  const cmd = createEvalCommand(s.open);
  await assert.rejects(cmd.run(["my-model"], ctx(s.dir).c), /name at least one benchmark with --bench/);
  await assert.rejects(cmd.run(["nowhere", "--bench", "x"], ctx(s.dir).c), /model 'nowhere' is neither a folder nor a hub id/);
});

test("oneshot rank puts sometimes-solved problems first and writes the ranking as JSONL", async () => {
  const s = setup(rule);
  const { c, out } = ctx(s.dir);
  assert.equal(await createRankCommand(s.open).run(["set.jsonl", "--model", "my-model", "--k", "8"], c), 0);
  const ranked = readFileSync(path.join(s.dir, "set.ranked.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(ranked.map((r) => r.id), ["half", "rarely", "never", "always"]);
  assert.deepEqual(ranked.map((r) => `${r.correct}/${r.k}`), ["4/8", "1/8", "0/8", "8/8"]);
  assert.match(out(), /^rank\s+id\s+solved\s+p\(1-p\)\s+problem\n1\s+half\s+4\/8\s+0\.250\s+half\n/);
  assert.match(out(), /2 of 4 problems are sometimes solved \(p\(1-p\) > 0\)\. Ranking: set\.ranked\.jsonl\n$/);
  assert.ok(existsSync(path.join(s.dir, "set.ranked.jsonl")));
});
