// Writes a realistic finished run directory: 200 steps whose training reward saturates by step
// ~60 while MATH500 (greedy) keeps rising, the five other benchmarks every 40 steps, per-problem
// results at step 0 and 200, summary.json, status and pid — what the controller leaves behind.
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { writeResults } from "../../../src/core/bench/results";
import { EventLogWriter } from "../../../src/core/run/eventLog";

type Curve = (step: number, from: number, to: number, rate: number) => number;

/** A `step` event with plausible metrics around `reward`. */
export function stepEvent(step: number, total: number, reward: number, curve: Curve = (_s, _from, to) => to) {
  return {
    type: "step" as const,
    step,
    total_steps: total,
    reward_mean: reward,
    reward_std: Math.sqrt(reward * (1 - reward)),
    accuracy: reward,
    zero_variance_groups: Math.round(128 * reward),
    groups: 128,
    entropy: curve(step, 0.45, 0.3, 50),
    kl: 0.0005 * step,
    pg_loss: -0.01,
    loss: -0.01,
    grad_norm: 0.3,
    clip_fraction: 0.01,
    lr: 1e-6,
    response_len_mean: curve(step, 900, 520, 40),
    response_len_max: 3072,
    truncated_fraction: curve(step, 0.08, 0.01, 30),
    reflection_rate: curve(step, 1.2, 3.5, 90),
    time_rollout_s: 40,
    time_reward_s: 0.5,
    time_train_s: 20,
    rollout_tokens_per_s: 25000,
  };
}

export function writeFixtureRun(dir: string, opts: { model?: string; steps?: number } = {}): string {
  const model = opts.model ?? "Qwen/Qwen2.5-Math-1.5B";
  const total = opts.steps ?? 200;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "config.json"), JSON.stringify({ model, example: "examples/pi1.rlvr.md", preset: "paper", steps: total }));
  const log = new EventLogWriter(path.join(dir, "events.jsonl"));
  log.append({
    type: "run_started",
    run_id: path.basename(dir),
    example: "examples/pi1.rlvr.md",
    model,
    preset: "paper",
    total_steps: total,
    start_step: 0,
    resumed: false,
    pid: 1,
    engine: { device: "cuda:0 (NVIDIA H100 80GB HBM3)", dtype: "bfloat16", params: 1_543_714_304 },
  });
  const curve = (step: number, from: number, to: number, rate: number) => to - (to - from) * Math.exp(-step / rate);
  const evalAt = (step: number, benchmark: string, metric: string, value: number, n: number, results_file?: string) =>
    log.append({
      type: "eval",
      step,
      benchmark,
      metric,
      value,
      n,
      ...(results_file ? { results_file } : {}),
      // MATH500's full evaluations (step 0 and the last) break down by subject, as the real one does.
      ...(results_file && benchmark === "math500"
        ? { breakdown: { Algebra: { value: step ? 0.9 : 0.5, n: 124 }, Geometry: { value: step ? 0.4 : 0.25, n: 41 } } }
        : {}),
      time_s: 30,
    });
  const others: [string, string, number, number, number][] = [
    ["aime24", "avg@8", 30, 0.067, 0.133],
    ["aime25", "avg@8", 30, 0.033, 0.067],
    ["amc23", "avg@8", 40, 0.2, 0.4],
    ["minerva", "acc", 272, 0.088, 0.25],
    ["olympiadbench", "acc", 675, 0.2, 0.33],
  ];
  const math500 = (step: number) => Math.round(500 * curve(step, 0.36, 0.72, 80)) / 500;
  const results = (step: number) =>
    Array.from({ length: 10 }, (_, i) => {
      // Problems 0-3 always right, 4-6 flip to right by the end, 7 flips to wrong, 8-9 never.
      const right = i < 4 || (step > 0 && i >= 4 && i <= 6) || (step === 0 && i === 7);
      return { id: `test/p${i}.json`, problem: `p${i}`, answer: "1", samples: 1, correct: right ? 1 : 0, score: right ? 1 : 0, responses: [] };
    });
  for (let step = 0; step <= total; step++) {
    if (step > 0) {
      const reward = Math.min(1, curve(step, 0.3, 1.02, 20));
      log.append(stepEvent(step, total, reward, curve));
    }
    if (step % 20 === 0) {
      const file = step === 0 || step === total ? `evals/math500/step-${step}.jsonl` : undefined;
      if (file) writeResults(path.join(dir, file), results(step));
      evalAt(step, "math500", "acc", math500(step), 500, file);
    }
    if (step % 40 === 0) for (const [name, metric, n, a, b] of others) evalAt(step, name, metric, curve(step, a, b, 60), n);
  }
  log.append({ type: "run_finished", status: "completed", steps_done: total });
  log.close();
  const final = math500(total);
  writeFileSync(
    path.join(dir, "summary.json"),
    JSON.stringify({
      status: "completed",
      steps: total,
      total_steps: total,
      benchmarks: { math500: { metric: "acc", n: 500, initial: 0.36, best: final, best_step: total, final, final_step: total } },
    }),
  );
  writeFileSync(path.join(dir, "status"), "completed\n");
  return dir;
}
