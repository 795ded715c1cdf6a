import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import type { StepEvent } from "../../../src/core/run/events";
import { createProgress, formatDuration } from "../../../src/core/train/progress";

const step = { v: 1, t: 0, type: "step", step: 3, total_steps: 30, reward_mean: 0.625, accuracy: 0.62, response_len_mean: 41.2, rollout_tokens_per_s: 812.4, time_rollout_s: 2, time_reward_s: 0.1, time_train_s: 1 } as StepEvent;

function stream(isTTY: boolean) {
  const s = Object.assign(new PassThrough(), { isTTY, columns: 200 });
  let text = "";
  s.on("data", (d) => (text += d));
  return { s, text: () => text };
}

test("on a TTY one line is redrawn in place, with log lines above it", () => {
  const { s, text } = stream(true);
  const p = createProgress(s);
  p.step(step, 95);
  p.phase("generating");
  p.log("warn", "slow");
  p.close();
  const t = text();
  assert.ok(t.startsWith("\r\x1b[2Kstep 3/30  reward 0.625  acc 0.62  len 41  812 tok/s  3.1s/step  ETA 1m35s"));
  assert.match(t, /\[generating\]/);
  assert.ok(t.includes("\r\x1b[2Kwarn: slow\n\r\x1b[2Kstep 3/30"));
  assert.ok(t.endsWith("\n"));
});

test("without a TTY each step is a plain timestamped line and phases are silent", () => {
  const { s, text } = stream(false);
  const p = createProgress(s);
  p.step(step, undefined);
  p.phase("generating");
  p.close();
  assert.match(text(), /^\d{4}-\d\d-\d\dT[\d:.]+Z step 3\/30 {2}reward 0\.625 {2}acc 0\.62 {2}len 41 {2}812 tok\/s {2}3\.1s\/step\n$/);
});

test("durations read naturally", () => {
  assert.deepEqual([formatDuration(5), formatDuration(95), formatDuration(3725), formatDuration(Number.NaN)], ["5s", "1m35s", "1h02m", "?"]);
});
