// `oneshot train --dry-run` on the shipped π1 example with the paper preset: the checks of a new
// run, the settings, and the training prompt rendered by a Qwen2.5-Math-shaped chat template found
// in a Hugging Face cache, on CPU, with nothing written and no Python.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { createTrainCommand } from "../../../src/cli/commands/train";
import { createVerifier } from "../../../src/core/verifier/index";
import { validate } from "../../../src/core/example/validate";
import { loadExample } from "../../../src/core/example/index";
import { captureCli } from "../cliContext";

const train = createTrainCommand({ createVerifier });
const PI1 = path.resolve("examples/pi1.rlvr.md");
const TINY = path.resolve("examples/models/tiny-math");

// Qwen2.5-Math's chat template (tools branch cut): its default system prompt is the paper's
// evaluation prompt; engine/tests/test_tokenizer.py renders the same template in the engine.
const QWEN25_MATH =
  "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}" +
  "{%- else %}{{- '<|im_start|>system\\nPlease reason step by step, and put your final answer within \\\\boxed{}.<|im_end|>\\n' }}{%- endif %}\n" +
  "{%- for message in messages %}\n" +
  '    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant") %}\n' +
  "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n" +
  "    {%- endif %}\n" +
  "{%- endfor %}\n" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}\n";

/** A hub cache holding Qwen/Qwen2.5-Math-1.5B's tokenizer files (the tiny model's vocabulary, Qwen2.5-Math's template). */
function hubCache(): string {
  const cache = mkdtempSync(path.join(tmpdir(), "hf-hub-"));
  const repo = path.join(cache, "models--Qwen--Qwen2.5-Math-1.5B");
  const snap = path.join(repo, "snapshots", "abc123");
  mkdirSync(snap, { recursive: true });
  mkdirSync(path.join(repo, "refs"));
  writeFileSync(path.join(repo, "refs", "main"), "abc123\n");
  copyFileSync(path.join(TINY, "tokenizer.json"), path.join(snap, "tokenizer.json"));
  writeFileSync(path.join(snap, "tokenizer_config.json"), JSON.stringify({ eos_token: "<|im_end|>", chat_template: QWEN25_MATH }));
  return cache;
}

test("examples/pi1.rlvr.md is valid: the paper's π1 on the paper preset, answer 12.8", () => {
  const parsed = loadExample(PI1);
  assert.deepEqual(parsed.diagnostics, []);
  assert.equal(parsed.example?.frontMatter.preset, "paper");
  assert.equal(parsed.example?.frontMatter.answer, "12.8");
  assert.match(parsed.example!.problem, /^The pressure \\\( P \\\) exerted by wind on a sail .* Find the wind velocity when the pressure on \\\( 4 \\\) square feet of sail is \\\( 32 \\\) pounds\.$/);
  assert.deepEqual(validate({ ...parsed.example!.frontMatter }), []);
});

test("train --dry-run --preset paper on π1 prints the paper's training prompt as Qwen2.5-Math renders it, and writes nothing", async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), "dry-"));
  const c = captureCli({ cwd, env: { ...process.env, HF_HUB_CACHE: hubCache(), ONESHOT_PYTHON: "/nonexistent/python" } });
  const code = await train.run([PI1, "--preset", "paper", "--dry-run"], c);
  assert.equal(code, 0, c.err());
  const out = c.out();
  assert.match(out, /the verifier gives the reference answer reward 1/);
  assert.match(out, /model {7}Qwen\/Qwen2\.5-Math-1\.5B/);
  assert.match(out, /2000 × 128 prompt copies × 8 rollouts = 1024 rollouts per step, up to 3072 tokens each/);
  const expected =
    "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n<|im_start|>user\n" +
    loadExample(PI1).example!.problem +
    " Let's think step by step and output the final answer within \\boxed{}.<|im_end|>\n<|im_start|>assistant\n";
  assert.ok(out.includes(`the model's chat template):\n${expected}`), out);
  assert.deepEqual(readdirSync(cwd), []); // no .oneshot/runs
});

test("train --dry-run without the model on the machine shows the messages the engine will render", async () => {
  const cwd = mkdtempSync(path.join(tmpdir(), "dry-"));
  const c = captureCli({ cwd, env: { ...process.env, HF_HUB_CACHE: path.join(cwd, "no-cache") } });
  assert.equal(await train.run([PI1, "--preset", "paper", "--dry-run"], c), 0, c.err());
  assert.match(c.out(), /is not on this machine, so the engine renders these messages/);
  assert.match(c.out(), /\n {2}user: The pressure .* pounds\. Let's think step by step and output the final answer within \\boxed\{\}\.\n/);
  assert.equal(existsSync(path.join(cwd, ".oneshot")), false);
});

test("train --dry-run refuses --resume and --detach in one sentence", async () => {
  const c = captureCli();
  await assert.rejects(train.run([PI1, "--dry-run", "--detach"], c), /--dry-run checks a new run/);
});
