// What `oneshot train` refuses before a run starts, and that a refusal leaves no run directory.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as esbuild from "esbuild";
import { createTrainCommand } from "../../../src/cli/commands/train";
import type { UserError } from "../../../src/cli/command";
import { main } from "../../../src/cli/main";
import { VERIFIER_REFUSED_EXIT_CODE } from "../../../src/core/train/verifierGate";
import { createVerifier } from "../../../src/core/verifier/index";
import { boxedVerifier, project } from "../train/helpers";
import { captureCli, type CapturedCli } from "../cliContext";

const FAKE_PYTHON = path.resolve("test/unit/engine/fixtures/fake-python");
const train = createTrainCommand({ createVerifier: boxedVerifier });
let sandboxDir = "";

before(async () => {
  sandboxDir = path.join(tmpdir(), `oneshot-preflight-sandbox-${process.pid}`);
  await esbuild.build({ entryPoints: ["src/core/verifier/sandbox/child.ts"], bundle: true, platform: "node", format: "cjs", outfile: path.join(sandboxDir, "verifier-sandbox.cjs"), logLevel: "silent" });
});
after(() => rmSync(sandboxDir, { recursive: true, force: true }));

function ctx(cwd: string): CapturedCli {
  return captureCli({ cwd, env: { ...process.env, NODE: process.execPath, ONESHOT_VERIFIER_SANDBOX: path.join(sandboxDir, "verifier-sandbox.cjs") } });
}

const quick = ["--preset", "cpu-demo", "--python", FAKE_PYTHON, "--set", "model=fake", "--set", "prompt_copies=2", "--set", "rollouts=2", "--set", "eval_every=0", "--set", "checkpoint_every=0", "--steps", "2"];
const nothingCreated = (root: string) => assert.equal(existsSync(path.join(root, ".oneshot")), false, "a run directory was left behind");

test("a custom verifier with a syntax error is refused at its file:line before any run directory exists", async () => {
  const { root } = project();
  writeFileSync(path.join(root, "syn.rlvr.md"), "---\nanswer: 4\n---\nWhat is 2+2?\n\n```verifier\nexport default (response, answer) => {\n  return response.includes(answer) ? 1 : 0\n  }}\n```\n");
  const real = createTrainCommand({ createVerifier });
  await assert.rejects(real.run(["syn.rlvr.md", ...quick], ctx(root)), (e: Error) => {
    assert.match(e.message, /^syn\.rlvr\.md:9:\d+: Verifier JavaScript: .*Unexpected token/);
    assert.match(e.message, /train anyway with --skip-verifier-check/);
    return true;
  });
  nothingCreated(root);
});

test("a verifier that rejects the reference is refused at the answer's line; --skip-verifier-check trains and warns about the all-zero steps", async () => {
  const { root } = project();
  writeFileSync(path.join(root, "boom.rlvr.md"), "---\ntitle: t\nanswer: 4\n---\nWhat is 2+2?\n\n```verifier\nexport default () => { throw new Error('boom') }\n```\n");
  const real = createTrainCommand({ createVerifier });
  await assert.rejects(real.run(["boom.rlvr.md", ...quick], ctx(root)), (e: Error) => {
    assert.match(e.message, /^boom\.rlvr\.md:3:1: The verifier gives the reference answer an error, not 1: training would have nothing to learn from\..*boom/);
    // Its own exit code: the editor's Train tells this refusal apart to offer "Train anyway".
    assert.equal((e as UserError).exitCode, VERIFIER_REFUSED_EXIT_CODE);
    return true;
  });
  nothingCreated(root);

  const c = ctx(root);
  const code = await real.run(["boom.rlvr.md", ...quick, "--skip-verifier-check"], c);
  assert.equal(code, 0, c.err());
  const warnings = c.out().split("\n").filter((l) => l.includes("every reward was 0"));
  assert.equal(warnings.length, 1, c.out());
  assert.match(warnings[0], /warn: Step 1: every reward was 0 and all 4 rollouts failed with the same verifier error \(.*boom.*\)/);
  const runDir = path.join(root, ".oneshot", "runs", readdirSync(path.join(root, ".oneshot", "runs"))[0]);
  const logged = readFileSync(path.join(runDir, "events.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { type: string; level?: string; message?: string });
  assert.ok(logged.some((e) => e.type === "log" && e.level === "warn" && /every reward was 0/.test(e.message ?? "")));
});

test("a built-in verifier that accepts the reference passes the check", async () => {
  const { root } = project();
  const c = ctx(root);
  assert.equal(await createTrainCommand({ createVerifier }).run(["two.rlvr.md", ...quick, "--run-dir", "r"], c), 0, c.err());
});

test("--steps -3 says --steps must be ≥ 1", async () => {
  const { root } = project();
  const c = captureCli({ cwd: root, env: { ...process.env, ONESHOT_PYTHON: FAKE_PYTHON } });
  assert.equal(await main(["train", "two.rlvr.md", "--steps", "-3"], c), 2);
  assert.match(c.err(), /^oneshot train: --steps must be ≥ 1 \(got -3\)\. Run/);
  const d = captureCli({ cwd: root, env: { ...process.env, ONESHOT_PYTHON: FAKE_PYTHON } });
  assert.equal(await main(["train", "two.rlvr.md", "--steps", "1e12"], d), 2);
  assert.match(d.err(), /--steps must be ≤ 100000 \(got 1000000000000\)/);
  nothingCreated(root);
});

test("--run-dir: a file, a path under /dev/null, /proc and a non-empty directory are one sentence each, at once", async () => {
  const { root } = project();
  writeFileSync(path.join(root, "afile"), "x");
  mkdirSync(path.join(root, "full"));
  writeFileSync(path.join(root, "full", "notes.txt"), "mine");
  const cases: [string, RegExp][] = [
    ["afile", /afile exists and is not a directory: give a new or empty directory$/],
    ["/dev/null/x", /^cannot create \/dev\/null\/x: \/dev\/null is not a directory$/],
    ["full", /full is not empty: give a new or empty directory$/],
  ];
  if (process.platform === "linux") cases.push(["/proc/nope/run", /^cannot create \/proc\/nope: /]);
  for (const [dir, message] of cases) {
    const started = Date.now();
    await assert.rejects(train.run(["two.rlvr.md", ...quick, "--run-dir", dir], ctx(root)), (e: Error) => {
      assert.equal(e.name, "UserError", e.stack);
      assert.match(e.message, message);
      return true;
    });
    assert.ok(Date.now() - started < 5000, `${dir} took ${Date.now() - started} ms`);
  }
  assert.deepEqual(readdirSync(path.join(root, "full")), ["notes.txt"]);
});

test("a missing model folder, a bad model config, a context shorter than max_response_tokens and a missing benchmark file leave no run directory", async () => {
  const { root } = project();
  mkdirSync(path.join(root, "gpt"));
  writeFileSync(path.join(root, "gpt", "config.json"), '{"model_type": "gpt2"}');
  mkdirSync(path.join(root, "short"));
  writeFileSync(path.join(root, "short", "config.json"), '{"model_type": "qwen2", "max_position_embeddings": 2048}');
  writeFileSync(path.join(root, "short", "model.safetensors"), "");
  const cases: [string[], RegExp][] = [
    [["--set", "model=./short", "--set", "max_response_tokens=3072"], /max_response_tokens is 3,072, but the model's context is 2,048 tokens \(max_position_embeddings in .*short\/config\.json\): lower max_response_tokens below 2,048$/],
    [["--set", `model=${path.join(root, "nowhere")}`], /model: the folder .*nowhere does not exist$/],
    [["--set", "model=./gpt"], /model: .*gpt\/config\.json has model_type "gpt2"; the engine runs qwen2, llama, qwen3$/],
    [["--set", "eval_every=1", "--set", "eval_benchmarks=[missing.jsonl]"], /eval_benchmarks: the benchmark file .*missing\.jsonl does not exist$/],
  ];
  for (const [sets, message] of cases) {
    await assert.rejects(train.run(["two.rlvr.md", ...quick, ...sets], ctx(root)), (e: Error) => {
      assert.match(e.message, message);
      return true;
    });
    await assert.rejects(train.run(["two.rlvr.md", ...quick, ...sets, "--run-dir", "given"], ctx(root)), message);
  }
  nothingCreated(root);
  assert.equal(existsSync(path.join(root, "given")), false);
});

test("device: cuda on a machine without a GPU is refused before a run directory exists", { skip: ["/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg", "/dev/kfd"].some(existsSync) && "this machine has a GPU" }, async () => {
  const { root } = project();
  await assert.rejects(train.run(["two.rlvr.md", ...quick, "--set", "device=cuda"], ctx(root)), /device is cuda, but this machine shows no GPU \(no \/dev\/nvidia\* device\): use device auto or cpu/);
  nothingCreated(root);
});

test("a problem far too long for max_prompt_tokens is refused before the engine starts", async () => {
  const { root } = project();
  writeFileSync(path.join(root, "long.rlvr.md"), `---\nanswer: 4\n---\n${"What is 2+2? ".repeat(100_000)}\n`);
  await assert.rejects(train.run(["long.rlvr.md", ...quick], ctx(root)), /The problem and system prompt are 1,30\d,\d{3} characters long; with max_prompt_tokens 256 at most 8,192 are accepted/);
  nothingCreated(root);
});

test("--resume validates a hand-edited config.json with the example schema", async () => {
  const { root } = project();
  const c = ctx(root);
  assert.equal(await train.run(["two.rlvr.md", ...quick, "--run-dir", "r", "--set", "checkpoint_every=1"], c), 0, c.err());
  writeFileSync(path.join(root, "r", "status"), "stopped\n");
  const file = path.join(root, "r", "config.json");
  const config = JSON.parse(readFileSync(file, "utf8")) as { settings: Record<string, unknown> };
  config.settings.steps = "ten";
  writeFileSync(file, JSON.stringify(config));
  const r = captureCli({ cwd: root, env: { ...process.env, ONESHOT_PYTHON: FAKE_PYTHON } });
  assert.equal(await main(["train", "--resume", "r"], r), 1);
  assert.equal(r.err(), `oneshot train: ${file}: \`settings.steps\` must be a whole number (got "ten")\n`);
  config.settings.prompt_copies = 100000;
  config.settings.steps = 3;
  writeFileSync(file, JSON.stringify(config));
  await assert.rejects(train.run(["--resume", "r", "--python", FAKE_PYTHON], ctx(root)), /config\.json: `settings\.prompt_copies` must be ≤ 4096 \(got 100000\)$/);

  // A config.json from before a setting existed resumes with its preset's value, and says so.
  config.settings.prompt_copies = 2;
  delete config.settings.log_rollouts;
  writeFileSync(file, JSON.stringify(config));
  const ok = ctx(root);
  assert.equal(await train.run(["--resume", "r", "--python", FAKE_PYTHON], ok), 0, ok.err());
  assert.equal(ok.err(), `note: ${file} has no log_rollouts; the run uses its preset's value\n`);
  assert.match(ok.out(), /Run completed: 3\/3 steps/);
});

test("a hub model: offline and not cached is refused with the command that fetches it and leaves no run directory; once cached it trains", async () => {
  const { root } = project();
  const cache = path.join(root, "hf-cache");
  const env = { ...process.env, HF_HUB_OFFLINE: "1", HF_HUB_CACHE: cache, NODE: process.execPath };
  const offline = captureCli({ cwd: root, env });
  await assert.rejects(train.run(["two.rlvr.md", ...quick, "--set", "model=Org/Tiny"], offline), (e: Error) => {
    assert.equal(e.message, `model: Org/Tiny is not in the Hugging Face cache (${cache}) and HF_HUB_OFFLINE is set: download it first with \`hf download Org/Tiny\` (the engine's environment has the hf command), or set model to a local folder`);
    return true;
  });
  nothingCreated(root);
  const snapshot = path.join(cache, "models--Org--Tiny", "snapshots", "0123abc");
  mkdirSync(snapshot, { recursive: true });
  writeFileSync(path.join(snapshot, "config.json"), "{}");
  const cached = captureCli({ cwd: root, env });
  assert.equal(await train.run(["two.rlvr.md", ...quick, "--set", "model=Org/Tiny"], cached), 0, cached.err());
});

test("a GPU preset (bfloat16 on device auto) on a machine without a GPU is refused before a run directory exists", { skip: ["/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg", "/dev/kfd"].some(existsSync) && "this machine has a GPU" }, async () => {
  const { root } = project();
  await assert.rejects(
    train.run(["two.rlvr.md", ...quick, "--preset", "local"], ctx(root)),
    /dtype bfloat16 with device auto needs a GPU, but this machine shows no GPU \(no \/dev\/nvidia\* device\): train with preset cpu-demo, or set device: cpu and dtype: float32 to train this model on the CPU$/,
  );
  nothingCreated(root);
});

test("--python naming a file that does not exist is refused in one sentence", async () => {
  const { root } = project();
  await assert.rejects(train.run(["two.rlvr.md", "--preset", "cpu-demo", "--python", "./no/python"], ctx(root)), /--python names .*no\/python, which does not exist: give the Python of the engine's environment/);
  nothingCreated(root);
});
