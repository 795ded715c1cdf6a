import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveOptimizerState } from "../../../src/core/train/optimizerState";

test("auto resolves to fp32 masters (until the memory planner decides); explicit states pass through", () => {
  assert.equal(resolveOptimizerState({ optimizer_state: "auto" }), "fp32");
  assert.equal(resolveOptimizerState({ optimizer_state: "fp32" }), "fp32");
  assert.equal(resolveOptimizerState({ optimizer_state: "compact" }), "compact");
});
