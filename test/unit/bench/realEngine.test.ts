// The benchmark commands against the real engine and the built-in tiny model on CPU: the numbers
// `oneshot eval` prints are the ones a cpu-demo run records, and `oneshot rank` orders the
// synthetic problems by how often the model solves them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import type { CliContext } from "../../../src/cli/command";
import { createTrainCommand } from "../../../src/cli/commands/train";
import { main } from "../../../src/cli/main";
import type { RunSummary } from "../../../src/core/run/events";
import { createVerifier } from "../../../src/core/verifier/index";
import { tmp } from "./fixtures";

const work = tmp("bench-real-");
const env = { ...process.env, OMP_NUM_THREADS: "1", ONESHOT_CACHE_DIR: path.join(work, "cache") };

function ctx(): { c: CliContext; text: () => string } {
  const out = new PassThrough();
  const err = new PassThrough();
  let text = "";
  out.on("data", (d) => (text += d));
  err.on("data", (d) => (text += d));
  return { c: { installDir: path.resolve("src/cli"), stdout: out, stderr: err, cwd: path.resolve("."), env }, text: () => text };
}

test("oneshot eval on the built-in model reproduces a cpu-demo run's step-0 and final accuracies", async () => {
  const runDir = path.join(work, "run");
  const train = ctx();
  const args = ["examples/equations.rlvr.md", "--preset", "cpu-demo", "--steps", "1", "--set", "eval_every=1", "--run-dir", runDir];
  assert.equal(await createTrainCommand({ createVerifier }).run(args, train.c), 0, train.text());
  const summary = JSON.parse(readFileSync(path.join(runDir, "summary.json"), "utf8")) as RunSummary;
  const synthetic = summary.benchmarks.synthetic!;
  assert.equal(synthetic.n, 320);

  for (const [model, expected] of [
    ["examples/models/tiny-math", synthetic.initial],
    [runDir, synthetic.final],
  ] as const) {
    const e = ctx();
    // --no-cache: scored afresh, not read back from the run's step-0 entry.
    assert.equal(await main(["eval", model, "--no-cache", "--json", "--out", path.join(work, "eval", path.basename(model))], e.c), 0, e.text());
    const got = JSON.parse(e.text()) as { benchmarks: Record<string, { value: number; n: number }> };
    assert.equal(got.benchmarks.synthetic!.n, 320);
    assert.equal(got.benchmarks.synthetic!.value, expected, model);
  }
});

test("oneshot rank on the synthetic set puts problems the model sometimes solves above ones it always or never solves", async () => {
  const out = path.join(work, "ranked.jsonl");
  const r = ctx();
  assert.equal(await main(["rank", "synthetic", "--model", "examples/models/tiny-math", "--k", "8", "--limit", "40", "--out", out], r.c), 0, r.text());
  const ranked = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { rank: number; correct: number; k: number; score: number });
  assert.equal(ranked.length, 40);
  const sometimes = ranked.filter((x) => x.correct > 0 && x.correct < x.k);
  const alwaysOrNever = ranked.filter((x) => x.correct === 0 || x.correct === x.k);
  assert.ok(sometimes.length > 0 && alwaysOrNever.length > 0, "the tiny model solves some problems sometimes and others always or never");
  assert.ok(Math.max(...sometimes.map((x) => x.rank)) < Math.min(...alwaysOrNever.map((x) => x.rank)));
});
