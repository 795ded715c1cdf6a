// The training prompt carries prompt_suffix after the problem; evaluation prompts never do. The
// fake engine logs every format_prompt request it gets, in order.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { PAPER_PROMPT_SUFFIX, PRESETS } from "../../../src/core/example/presets";
import { RunController } from "../../../src/core/train/controller";
import { boxedVerifier, config, eventsOf, fakeEngine, project } from "./helpers";

interface Logged {
  method: string;
  params: { messages?: { role: string; content: string }[] };
}

test("prompt_suffix reaches the training prompt's user turn and no evaluation prompt", async () => {
  const { root, example } = project();
  const runDir = path.join(root, "runs", "suffix");
  const log = path.join(root, "engine-calls.jsonl");
  const cfg = config(root, example, [`prompt_suffix=${PAPER_PROMPT_SUFFIX}`, "steps=1", "eval_every=1"]);
  assert.equal(cfg.settings.prompt_suffix, PAPER_PROMPT_SUFFIX); // --set keeps the leading space
  const out = await new RunController({ config: cfg, runDir, engine: fakeEngine({ FAKE_ENGINE_LOG: log }), createVerifier: boxedVerifier, projectRoot: root }).run();
  assert.equal(out.status, "completed");

  const calls = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Logged).filter((c) => c.method === "format_prompt");
  const [training, ...evaluation] = calls.map((c) => c.params.messages!);
  assert.deepEqual(training, [
    { role: "system", content: cfg.settings.system_prompt },
    { role: "user", content: `What is 2+2?${PAPER_PROMPT_SUFFIX}` },
  ]);
  // the tiny benchmark's 4 problems (evaluation prompts are cached per problem after the first evaluation)
  assert.ok(evaluation.length >= 4);
  for (const messages of evaluation) {
    const user = messages.find((m) => m.role === "user")!.content;
    assert.ok(!user.includes("Let's think"), `an evaluation prompt got the suffix: ${user}`);
    assert.match(user, /^\d[+*]\d\?$/);
  }
  // what the model saw is recorded with run_started (the dashboard's Config tab shows it)
  const started = eventsOf(runDir).find((e) => e.type === "run_started");
  assert.ok(started?.type === "run_started" && started.prompt?.text.includes(`What is 2+2?${PAPER_PROMPT_SUFFIX}`));
});

test("only the paper preset appends the paper's instruction", () => {
  assert.equal(PRESETS.paper.prompt_suffix, " Let's think step by step and output the final answer within \\boxed{}.");
  assert.equal(PRESETS.local.prompt_suffix, "");
  assert.equal(PRESETS["cpu-demo"].prompt_suffix, "");
});

test("a config.json written before prompt_suffix existed keeps training on the bare problem", async () => {
  const { checkRunConfig } = await import("../../../src/core/example/configCheck");
  const { root, example } = project();
  const old = structuredClone(config(root, example)) as unknown as { preset: string; settings: Record<string, unknown> };
  old.preset = "paper";
  delete old.settings.prompt_suffix;
  const { problems, filled } = checkRunConfig(old);
  assert.deepEqual(problems, []);
  assert.ok(filled.includes("prompt_suffix"));
  assert.equal(old.settings.prompt_suffix, ""); // not the paper preset's suffix: that run never had it
});

test("a verl row's trailing instruction, removed by the dataset reader, is exactly what the paper preset appends again", async () => {
  const { stripTrailingInstruction } = await import("../../../src/core/bench/rowShape");
  const problem = "Find the wind velocity when the pressure on \\( 4 \\) square feet of sail is \\( 32 \\) pounds.";
  assert.equal(stripTrailingInstruction(problem + PAPER_PROMPT_SUFFIX), problem);
});
