// Grading rows while the engine still generates (rolloutGrader.ts, generate's stream_outputs):
// against a fake engine stream, the rewards are those of grading the result at the end, rows graded
// early are not graded again, and a stop during the rollout phase leaves no verifier work behind.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import type { GenerateOutput } from "../../../src/core/engine/protocol";
import type { RunEvent } from "../../../src/core/run/events";
import { RolloutGrader } from "../../../src/core/train/rolloutGrader";
import { RunController } from "../../../src/core/train/controller";
import type { Verifier } from "../../../src/core/verifier/api";
import { boxedVerifier, config, eventsOf, fakeEngine, project } from "./helpers";

/** The boxed verifier, recording each gradeMany call's responses and how many calls are running. */
function recording(delayMs = 0) {
  const base = boxedVerifier();
  const calls: string[][] = [];
  let running = 0;
  let onCall = () => {};
  const verifier: Verifier = {
    grade: base.grade,
    gradeMany: async (items) => {
      calls.push(items.map((i) => i.response));
      running++;
      onCall();
      try {
        if (delayMs) await sleep(delayMs);
        return await base.gradeMany(items);
      } finally {
        running--;
      }
    },
    dispose: async () => {},
  };
  return { verifier, calls, running: () => running, onFirstCall: (f: () => void) => (onCall = f) };
}

/** What a step's rewards decide: the step's reward figures and its logged rollouts, without times. */
function rewardsOf(events: RunEvent[]): unknown[] {
  return events.flatMap((e): unknown[] => {
    if (e.type === "step") return [{ step: e.step, reward_mean: e.reward_mean, reward_std: e.reward_std, accuracy: e.accuracy, zero: e.zero_variance_groups }];
    if (e.type === "rollouts") return [{ step: e.step, rollouts: e.rollouts }];
    return [];
  });
}

async function train(env: Record<string, string>, sets: string[], verifier: Verifier) {
  const { root, example } = project();
  const runDir = path.join(root, "runs", "r");
  let created = 0;
  // The first verifier is the example's; evaluations make their own (the built-in math one).
  const createVerifier = () => (created++ === 0 ? verifier : boxedVerifier());
  const controller = new RunController({ config: config(root, example, sets), runDir, engine: fakeEngine(env), createVerifier, projectRoot: root });
  return { controller, runDir, root, outcome: controller.run() };
}

// 2 copies x 4 rollouts: rows 0-5 and 7 end with "stop" (streamed), row 6 with "length" (result only).
const SETS = ["steps=2", "rollouts=4", "eval_every=0", "log_rollouts=8"];

test("rows streamed during generate are graded then, only the rest after, with the rewards of grading at the end", async () => {
  const atEnd = recording();
  const a = await train({ FAKE_ENGINE_NO_STREAM: "1" }, SETS, atEnd.verifier);
  assert.equal((await a.outcome).status, "completed");
  assert.deepEqual(atEnd.calls.map((c) => c.length), [8, 8]);

  const streamed = recording();
  const b = await train({}, SETS, streamed.verifier);
  assert.equal((await b.outcome).status, "completed");
  assert.deepEqual(rewardsOf(eventsOf(b.runDir)), rewardsOf(eventsOf(a.runDir)));
  // Each step: the streamed rows in one or more calls during generate, then row 6 alone.
  const texts = (step: number) => eventsOf(b.runDir).flatMap((e) => (e.type === "rollouts" && e.step === step ? e.rollouts.map((r) => r.text) : []));
  let at = 0;
  for (const step of [1, 2]) {
    const rows = texts(step);
    const calls: string[][] = [];
    for (let n = 0; n < 8; at++) {
      calls.push(streamed.calls[at]!);
      n += streamed.calls[at]!.length;
    }
    assert.deepEqual(calls.at(-1), [rows[6]], `step ${step}: only the row that was not streamed is graded at the end`);
    assert.deepEqual(calls.flat().sort(), [...rows].sort(), `step ${step}: every row graded once`);
  }
  assert.equal(at, streamed.calls.length);
});

test("a streamed row whose text differs from the result's is graded again from the result", async () => {
  const atEnd = recording();
  const a = await train({ FAKE_ENGINE_NO_STREAM: "1" }, SETS, atEnd.verifier);
  await a.outcome;
  const wrong = recording();
  const b = await train({ FAKE_ENGINE_STREAM_WRONG: "1" }, SETS, wrong.verifier);
  assert.equal((await b.outcome).status, "completed");
  assert.deepEqual(rewardsOf(eventsOf(b.runDir)), rewardsOf(eventsOf(a.runDir)));
  assert.ok(wrong.calls.flat().includes("\\boxed{999}"), "the wrong text was graded during generate");
  const rows = eventsOf(b.runDir).flatMap((e) => (e.type === "rollouts" && e.step === 1 ? e.rollouts.map((r) => r.text) : []));
  // Step 1's 7 streamed rows, then the call after generate: row 0 again and row 6.
  let at = 0;
  for (let n = 0; n < 7; at++) n += wrong.calls[at]!.length;
  assert.deepEqual(wrong.calls[at], [rows[0], rows[6]]);
});

test("generate's rows are streamed for training only: evaluations ask for none", async () => {
  const log = path.join(project().root, "requests.jsonl");
  const run = await train({ FAKE_ENGINE_LOG: log }, ["steps=2", "eval_every=2"], recording().verifier);
  assert.equal((await run.outcome).status, "completed");
  const generates = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { method: string; params: { keep_for_training: boolean; stream_outputs?: boolean } })
    .filter((r) => r.method === "generate");
  assert.ok(generates.some((g) => !g.params.keep_for_training));
  for (const g of generates) assert.equal(g.params.stream_outputs, g.params.keep_for_training ? true : undefined);
});

test("a stop during the rollout phase drops the rows not yet graded and waits for the batch being graded", async () => {
  const slow = recording(300);
  const run = await train({ FAKE_ENGINE_STREAM_DELAY_MS: "150" }, ["steps=3", "rollouts=4", "eval_every=0"], slow.verifier);
  slow.onFirstCall(() => run.controller.stop());
  const outcome = await run.outcome;
  assert.deepEqual(outcome, { status: "stopped", steps_done: 0 });
  assert.equal(slow.running(), 0, "a verifier call outlived the run");
  await sleep(400);
  assert.equal(slow.calls.length, 1, "rows were graded after the stop");
});

test("the grader's rewards are grading the outputs in order, whatever the stream sent", async () => {
  const outputs: GenerateOutput[] = ["\\boxed{4}", "\\boxed{5}", "no box", "\\boxed{4}"].map((text, i) => ({ prompt_index: i >> 1, text, tokens: 3, finish_reason: "stop" }));
  const rec = recording();
  const grader = new RolloutGrader(rec.verifier, "4");
  grader.add([{ index: 3, ...outputs[3]! }, { index: 9, ...outputs[0]! }]); // an index past the outputs
  await sleep(0);
  grader.add([{ index: 1, ...outputs[1]!, text: "\\boxed{4}" }]); // not the result's text
  await sleep(0);
  assert.equal(rec.calls.length, 2);
  const graded = await grader.finish(outputs);
  assert.deepEqual(graded, await boxedVerifier().gradeMany(outputs.map((o) => ({ response: o.text, answer: "4" }))));
  assert.deepEqual(rec.calls.at(-1), [outputs[0]!.text, outputs[1]!.text, outputs[2]!.text]);
  grader.add([{ index: 2, ...outputs[2]! }]);
  assert.equal(rec.calls.length, 3, "a finished grader takes no more rows");
});
