// Overlap benchmark: how long a training step waits for its rewards after `generate` returns, when
// the controller grades the whole result then (as before stream_outputs) and when it grades the rows
// the engine streamed while the others decoded (src/core/train/rolloutGrader.ts). Both modes run the
// same seeded generate through the real engine and the same custom verifier in its sandbox, which
// spends --verifier-ms of CPU per call; the rewards must be equal. Writes bench/results/overlap-<date>.json.
//   node esbuild.mjs && node --import tsx bench/overlap/run.ts [--reps 5] [--verifier-ms 40] [--model DIR]
//     [--copies 4] [--rollouts 8] [--max-tokens 96] [--wave N] [--out FILE]
// Defaults are the cpu-demo preset's rollout shape on its built-in model.
import { execSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { EngineClient } from "../../src/core/engine/client";
import { engineLaunch } from "../../src/core/engine/launch";
import type { GenerateParams, StreamedOutput } from "../../src/core/engine/protocol";
import { venvPython } from "../../src/core/engine/pythonEnv";
import { RolloutGrader } from "../../src/core/train/rolloutGrader";
import { createVerifier } from "../../src/core/verifier/index";

const { values } = parseArgs({
  options: {
    reps: { type: "string", default: "5" },
    "verifier-ms": { type: "string", default: "40" },
    model: { type: "string", default: "examples/models/tiny-math" },
    copies: { type: "string", default: "4" },
    rollouts: { type: "string", default: "8" },
    "max-tokens": { type: "string", default: "96" },
    wave: { type: "string" },
    out: { type: "string" },
  },
});
const verifierMs = Number(values["verifier-ms"]);
const SOURCE = `export default (response, answer, { extract, equal }) => {
  const end = Date.now() + ${verifierMs};
  while (Date.now() < end) {}
  const got = extract(response);
  return got !== null && equal(got, answer) ? 1 : 0;
};`;
const ANSWER = "11";

let grader: RolloutGrader | undefined;
let streamedRows = 0;
const engine = EngineClient.start(engineLaunch(venvPython(path.resolve(".venv")), path.resolve("engine")), {
  onNotification: (n) => {
    if (n.method !== "outputs" || !grader) return;
    streamedRows += n.params.outputs.length;
    grader.add(n.params.outputs as StreamedOutput[]);
  },
});
const verifier = createVerifier({ kind: "custom", source: SOURCE }, { timeoutMs: 2000, sandboxPath: path.resolve("dist/verifier-sandbox.cjs") });

async function main() {
  const loaded = await engine.request("load", { model: path.resolve(values.model!), dtype: "float32", device: "auto", seed: 0, train: false, reference_model: false, gradient_checkpointing: false });
  const prompt = await engine.request("format_prompt", { messages: [{ role: "user", content: "Solve for $x$: $7x + 18 = 95$." }] });
  const params = (seed: number, stream: boolean): GenerateParams => ({
    prompts: Array.from({ length: Number(values.copies) }, () => prompt.text),
    rollouts: Number(values.rollouts),
    temperature: 1,
    top_p: 1,
    top_k: 0,
    max_response_tokens: Number(values["max-tokens"]),
    stop: [],
    seed,
    keep_for_training: false,
    ...(values.wave ? { rollout_wave_size: Number(values.wave) } : {}),
    ...(stream ? { stream_outputs: true } : {}),
  });
  await verifier.grade("\\boxed{11}", ANSWER); // the sandbox's start is not a step's
  const reps: Rep[] = [];
  for (let rep = 0; rep < Number(values.reps); rep++) {
    const seed = 1000 + rep;
    // Before: the whole result graded after generate.
    const before = await engine.request("generate", params(seed, false));
    let t = performance.now();
    const all = await verifier.gradeMany(before.outputs.map((o) => ({ response: o.text, answer: ANSWER })));
    const waitBefore = (performance.now() - t) / 1000;
    // After: rows graded as they come, the rest after generate.
    grader = new RolloutGrader(verifier, ANSWER);
    streamedRows = 0;
    const after = await engine.request("generate", params(seed, true));
    const early = { streamed: streamedRows, graded: grader.gradedEarly };
    t = performance.now();
    const streamed = await grader.finish(after.outputs);
    const waitAfter = (performance.now() - t) / 1000;
    grader = undefined;
    const same = JSON.stringify(after.outputs) === JSON.stringify(before.outputs) && JSON.stringify(streamed) === JSON.stringify(all);
    reps.push({ seed, generate_before_s: +before.time_s.toFixed(3), generate_s: +after.time_s.toFixed(3), rows: after.outputs.length, streamed_rows: early.streamed, graded_during_generate: early.graded, reward_wait_before_s: +waitBefore.toFixed(3), reward_wait_after_s: +waitAfter.toFixed(3), same_outputs_and_rewards: same });
    console.log(JSON.stringify(reps.at(-1)));
  }
  const mean = (k: "reward_wait_before_s" | "reward_wait_after_s") => +(reps.reduce((s, r) => s + r[k], 0) / reps.length).toFixed(3);
  const result = {
    benchmark: "overlap",
    date: new Date().toISOString(),
    device: { engine: loaded.device, cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, node: process.version },
    load_average_at_start: os.loadavg().map((x) => +x.toFixed(2)),
    command: `node --import tsx bench/overlap/run.ts ${process.argv.slice(2).join(" ")}`.trim(),
    commit: commit(),
    setup: { model: values.model, copies: Number(values.copies), rollouts: Number(values.rollouts), max_response_tokens: Number(values["max-tokens"]), rollout_wave_size: values.wave ? Number(values.wave) : null, temperature: 1, verifier_ms_per_call: verifierMs },
    reward_wait_before_s: mean("reward_wait_before_s"),
    reward_wait_after_s: mean("reward_wait_after_s"),
    all_equal: reps.every((r) => r.same_outputs_and_rewards),
    reps,
  };
  const out = values.out ?? `bench/results/overlap-${result.date.slice(0, 10)}.json`;
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  console.log(`reward wait after generate: ${result.reward_wait_before_s} s before, ${result.reward_wait_after_s} s with streamed rows (${out})`);
}

interface Rep {
  seed: number;
  /** The engine's generate time without the stream, and with it (what streaming costs the decode). */
  generate_before_s: number;
  generate_s: number;
  rows: number;
  /** Rows the engine sent before its result. */
  streamed_rows: number;
  /** Of them, those whose grades were ready when generate returned (the batch in flight is not). */
  graded_during_generate: number;
  reward_wait_before_s: number;
  reward_wait_after_s: number;
  same_outputs_and_rewards: boolean;
}

function commit(): string {
  try {
    const dirty = execSync("git status --porcelain -- src engine bench/overlap", { encoding: "utf8" }).trim() ? "+dirty" : "";
    return execSync("git rev-parse HEAD", { encoding: "utf8" }).trim() + dirty;
  } catch {
    return "unknown";
  }
}

main()
  .catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  })
  .finally(async () => {
    await verifier.dispose();
    await engine.stop();
  });
