import assert from "node:assert/strict";
import { test } from "node:test";
import { chatTurns } from "../../../src/core/monitor/chatTurns";

test("a ChatML prompt becomes its system and user turns, without markers or the open assistant turn", () => {
  const prompt =
    "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n" +
    "<|im_start|>user\nSolve for $x$: $7x + 18 = 95$.<|im_end|>\n<|im_start|>assistant\n";
  assert.deepEqual(chatTurns(prompt), [
    { role: "system", content: "Please reason step by step, and put your final answer within \\boxed{}." },
    { role: "user", content: "Solve for $x$: $7x + 18 = 95$." },
  ]);
});

test("Llama 3 headers are read too; a plain prompt has no turns", () => {
  const prompt =
    "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>" +
    "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
  assert.deepEqual(chatTurns(prompt), [
    { role: "system", content: "Be brief." },
    { role: "user", content: "What is 2+2?" },
  ]);
  assert.equal(chatTurns("Question: What is 2+2?\nAnswer:"), undefined);
});
