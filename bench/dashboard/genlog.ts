// Generates realistic run directories for the dashboard's tests and its scale benchmark: training
// reward saturates within ~100 steps while benchmark accuracy keeps rising (post-saturation
// generalisation), entropy drifts down under the entropy bonus, reflection words grow, and each
// step records its rollouts (LaTeX, \boxed answers, some truncated). Deterministic per seed.
//
//   npx tsx bench/dashboard/genlog.ts --out DIR [--steps 2000] [--rollouts 50] [--total N]
//        [--status completed|running|failed|stopped|interrupted] [--live MS]
// `--live MS` writes the status `running` with this process's pid and appends a step every MS.
import { mkdirSync, openSync, writeFileSync, writeSync, closeSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { RolloutRecord, RunEvent, RunEventInput } from "../../src/core/run/events";
import { SCHEMA_VERSION } from "../../src/core/run/events";
import { runFiles } from "../../src/core/run/layout";
import { seededRandom } from "../../src/core/try/sampling";

export interface GenOptions {
  steps: number;
  /** Steps the run is configured for (defaults to `steps`). */
  totalSteps?: number;
  rolloutsPerStep: number;
  evalEvery: number;
  checkpointEvery: number;
  seed: number;
  startTime: number;
  /** Seconds between steps in the generated timestamps. */
  stepSeconds: number;
  benchmarks: readonly { name: string; metric: string; n: number; from: number; to: number }[];
}

export const DEFAULT_GEN: GenOptions = {
  steps: 200,
  rolloutsPerStep: 16,
  evalEvery: 20,
  checkpointEvery: 100,
  seed: 1,
  startTime: Date.UTC(2026, 0, 1),
  stepSeconds: 12,
  benchmarks: [
    { name: "math500", metric: "acc", n: 500, from: 0.36, to: 0.73 },
    { name: "aime24", metric: "avg@8", n: 30, from: 0.067, to: 0.167 },
  ],
};

export const PROMPT =
  "The pressure $P$ exerted by wind on a sail varies jointly as the area $A$ of the sail and the cube of the wind's velocity $V$. When the velocity is $8$ miles per hour, the pressure on a sail of $2$ square feet is $4$ pounds. Find the wind velocity when the pressure on $4$ square feet of sail is $32$ pounds.";
export const ANSWER = "12.8";

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** π1's training prompt under the paper preset, as Qwen2.5-Math's chat template renders it. */
const PI1_PROMPT =
  "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n<|im_start|>user\n" +
  "The pressure \\( P \\) exerted by wind on a sail varies jointly as the area \\( A \\) of the sail and the cube of the wind's velocity \\( V \\). " +
  "When the velocity is \\( 8 \\) miles per hour, the pressure on a sail of \\( 2 \\) square feet is \\( 4 \\) pounds. " +
  "Find the wind velocity when the pressure on \\( 4 \\) square feet of sail is \\( 32 \\) pounds. " +
  "Let's think step by step and output the final answer within \\boxed{}.<|im_end|>\n<|im_start|>assistant\n";

/** Produces the events of a run step by step (run_started first, run_finished on request). */
export class RunGenerator {
  private rnd: () => number;
  readonly o: GenOptions;
  step = 0;

  constructor(
    readonly runId: string,
    opts: Partial<GenOptions> = {},
  ) {
    this.o = { ...DEFAULT_GEN, ...opts };
    this.rnd = seededRandom(this.o.seed);
  }

  private noise(scale: number): number {
    return (this.rnd() + this.rnd() + this.rnd() - 1.5) * scale;
  }

  private time(step: number): number {
    return this.o.startTime + step * this.o.stepSeconds * 1000 + 5000;
  }

  private ev(t: number, e: RunEventInput): RunEvent {
    return { v: SCHEMA_VERSION, t, ...e } as RunEvent;
  }

  config(): Record<string, unknown> {
    return {
      run_id: this.runId,
      example: "examples/pi1.rlvr.md",
      preset: "paper",
      model: "Qwen/Qwen2.5-Math-1.5B",
      steps: this.o.totalSteps ?? this.o.steps,
      rollouts: { batch_prompts: 128, per_prompt: 8, temperature: 0.6, max_tokens: 3072 },
      optim: { lr: 1e-6, weight_decay: 0.01, grad_clip: 1.0 },
      loss: { clip: 0.2, kl: { type: "low_var_kl", coef: 0.001 }, entropy_coef: 0.001, agg: "token-mean" },
      eval: { every: this.o.evalEvery, benchmarks: this.o.benchmarks.map((b) => b.name) },
    };
  }

  start(pid = 0): RunEvent[] {
    const out: RunEvent[] = [
      this.ev(this.o.startTime, {
        type: "run_started",
        run_id: this.runId,
        example: "examples/pi1.rlvr.md",
        model: "Qwen/Qwen2.5-Math-1.5B",
        preset: "paper",
        total_steps: this.o.totalSteps ?? this.o.steps,
        start_step: 0,
        resumed: false,
        pid,
        engine: { device: "NVIDIA H100 80GB HBM3", dtype: "bfloat16", params: 1_543_714_304 },
        prompt: { text: PI1_PROMPT, tokens: 139 },
      }),
    ];
    out.push(...this.evals(0));
    return out;
  }

  private evals(step: number): RunEvent[] {
    const progress = 1 - Math.exp(-step / 600);
    return this.o.benchmarks.map((b) =>
      this.ev(this.time(step) + 2000, {
        type: "eval",
        step,
        benchmark: b.name,
        metric: b.metric,
        value: clamp01(b.from + (b.to - b.from) * progress + (step ? this.noise(0.02) : 0)),
        n: b.n,
        time_s: 40,
      }),
    );
  }

  /** The events of the next step: its metrics, its rollouts, then any eval or checkpoint. */
  nextStep(): RunEvent[] {
    const s = ++this.step;
    const total = this.o.totalSteps ?? this.o.steps;
    const reward = clamp01(1 - 0.92 * Math.exp(-s / 35) + this.noise(0.05));
    const n = this.o.rolloutsPerStep;
    const reflection = 0.6 + 2.6 * (1 - Math.exp(-s / 500)) + this.noise(0.3);
    const rollouts = this.rollouts(s, reward, n, reflection);
    const correct = rollouts.filter((r) => r.correct).length;
    const lenMean = rollouts.reduce((a, r) => a + r.tokens, 0) / n;
    const out: RunEvent[] = [
      this.ev(this.time(s), {
        type: "step",
        step: s,
        total_steps: total,
        reward_mean: correct / n,
        reward_std: Math.sqrt((correct / n) * (1 - correct / n)),
        accuracy: correct / n,
        zero_variance_groups: Math.round(128 * clamp01(reward * reward)),
        groups: 128,
        entropy: Math.max(0.05, 0.55 * Math.exp(-s / 900) + 0.12 + this.noise(0.03)),
        kl: 0.012 * (1 - Math.exp(-s / 400)) + Math.abs(this.noise(0.0008)),
        pg_loss: this.noise(0.02),
        loss: this.noise(0.02) + 0.001,
        grad_norm: Math.abs(0.3 + this.noise(0.15)),
        clip_fraction: Math.abs(0.002 + this.noise(0.002)),
        lr: 1e-6,
        response_len_mean: lenMean,
        response_len_max: Math.max(...rollouts.map((r) => r.tokens)),
        truncated_fraction: rollouts.filter((r) => r.finish_reason === "length").length / n,
        reflection_rate: Math.max(0, reflection),
        time_rollout_s: 7.5 + this.noise(1),
        time_reward_s: 0.2 + Math.abs(this.noise(0.05)),
        time_train_s: 3.8 + this.noise(0.3),
        rollout_tokens_per_s: 2400 + this.noise(200),
        peak_mem_gb: 61.2 + this.noise(0.5),
      }),
      this.ev(this.time(s) + 1, { type: "rollouts", step: s, prompt: PROMPT, answer: ANSWER, total: 1024, rollouts }),
    ];
    if (s % this.o.evalEvery === 0) out.push(...this.evals(s));
    if (s % this.o.checkpointEvery === 0 || s === total)
      out.push(
        this.ev(this.time(s) + 3000, {
          type: "checkpoint",
          step: s,
          path: `checkpoints/step-${s}`,
          reason: s === total ? "final" : "interval",
        }),
      );
    return out;
  }

  finish(status: "completed" | "stopped" | "failed"): RunEvent {
    return this.ev(this.time(this.step) + 4000, {
      type: "run_finished",
      status,
      steps_done: this.step,
      ...(status === "failed" ? { error: "The engine ran out of GPU memory.", hint: "Lower rollouts.per_prompt." } : {}),
    });
  }

  private rollouts(step: number, p: number, n: number, reflection: number): RolloutRecord[] {
    const out: RolloutRecord[] = [];
    for (let i = 0; i < n; i++) {
      const correct = this.rnd() < p;
      const truncated = !correct && this.rnd() < 0.15;
      const reflect = this.rnd() < reflection / 4;
      const wrong = ["6.4", "16", "\\frac{64}{5}\\sqrt{2}", "8", "25.6"][Math.floor(this.rnd() * 5)];
      const extracted = truncated ? null : correct ? (this.rnd() < 0.3 ? "\\frac{64}{5}" : "12.8") : wrong;
      const text = this.text(step, i, extracted, reflect, truncated);
      out.push({
        index: i,
        group: Math.floor(i / 8),
        text,
        reward: correct ? 1 : 0,
        correct,
        extracted,
        advantage: correct ? 1 - p : -p,
        tokens: truncated ? 3072 : Math.round(text.length / 3.2 + 350 + step * 0.15 + this.rnd() * 200),
        finish_reason: truncated ? "length" : "stop",
        ...(correct ? {} : { reason: extracted === null ? "No \\boxed{} answer found." : `${extracted} ≠ 12.8` }),
      });
    }
    return out;
  }

  private text(step: number, i: number, answer: string | null, reflect: boolean, truncated: boolean): string {
    const parts = [
      `Step ${step}, sample ${i}. We have $P = k A V^3$ for some constant $k$.`,
      "Using $P = 4$, $A = 2$ and $V = 8$: $$4 = k \\cdot 2 \\cdot 8^3 = 1024k,$$ so $k = \\frac{1}{256}$.",
      "Now with $P = 32$ and $A = 4$: \\[32 = \\frac{1}{256} \\cdot 4 \\cdot V^3 \\implies V^3 = 2048.\\]",
    ];
    if (reflect) parts.push("Wait, let me recheck the constant: $\\frac{4}{2 \\cdot 512} = \\frac{1}{256}$. Yes, that holds.");
    const filler = Math.floor(this.rnd() * 6);
    for (let k = 0; k < filler; k++)
      parts.push(`Let me verify by estimating: $12^3 = 1728$ and $13^3 = 2197$, so $V$ lies between $12$ and $13$ (check ${k + 1}).`);
    if (truncated) parts.push("So $V = \\sqrt[3]{2048} = 8\\sqrt[3]{4}$, and $\\sqrt[3]{4} \\approx 1.5874$, which gives");
    else parts.push(`Therefore $V = \\sqrt[3]{2048} \\approx 12.7$, so the answer is $\\boxed{${answer}}$.`);
    return parts.join("\n\n");
  }
}

/** Writes a whole run directory: config.json, events.jsonl, status, pid, checkpoint folders. */
export function writeRun(
  dir: string,
  opts: Partial<GenOptions> & { status?: "completed" | "running" | "failed" | "stopped" | "interrupted"; pid?: number } = {},
): RunGenerator {
  mkdirSync(dir, { recursive: true });
  const gen = new RunGenerator(path.basename(dir), opts);
  const f = runFiles(dir);
  writeFileSync(f.config, JSON.stringify(gen.config(), null, 2));
  const fd = openSync(f.events, "w");
  let buf: string[] = [];
  let bytes = 0;
  const flush = () => {
    writeSync(fd, buf.join(""));
    buf = [];
    bytes = 0;
  };
  const put = (events: RunEvent[]) => {
    for (const e of events) {
      const line = JSON.stringify(e) + "\n";
      buf.push(line);
      bytes += line.length;
    }
    if (bytes > 8 << 20) flush();
  };
  const status = opts.status ?? "completed";
  put(gen.start(opts.pid ?? 0));
  for (let s = 0; s < gen.o.steps; s++) put(gen.nextStep());
  if (status === "completed" || status === "failed" || status === "stopped") put([gen.finish(status)]);
  flush();
  closeSync(fd);
  // An interrupted run is one whose status says running but whose process is gone.
  writeFileSync(f.status, status === "interrupted" ? "running" : status);
  writeFileSync(f.pid, String(opts.pid ?? (status === "running" ? process.pid : 999_999_999)));
  for (let s = gen.o.checkpointEvery; s <= gen.o.steps; s += gen.o.checkpointEvery)
    mkdirSync(path.join(f.checkpoints, `step-${s}`), { recursive: true });
  return gen;
}

/**
 * Fills a checkpoint folder with the smallest files the resume check (src/core/train/resumePoint.ts)
 * takes for intact: config.json, the engine state and one well-formed safetensors file.
 */
export function writeIntactCheckpoint(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const header = Buffer.from(JSON.stringify({ w: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }));
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(path.join(dir, "model.safetensors"), Buffer.concat([size, header, Buffer.alloc(4)]));
  writeFileSync(path.join(dir, "config.json"), "{}");
  writeFileSync(path.join(dir, "engine_state.pt"), "state");
}

/** Appends the next `count` steps to a run written by `writeRun`. */
export function appendSteps(dir: string, gen: RunGenerator, count: number): void {
  const fd = openSync(runFiles(dir).events, "a");
  try {
    for (let i = 0; i < count; i++) writeSync(fd, gen.nextStep().map((e) => JSON.stringify(e) + "\n").join(""));
  } finally {
    closeSync(fd);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: "string" },
      steps: { type: "string", default: "200" },
      total: { type: "string" },
      rollouts: { type: "string", default: "16" },
      status: { type: "string", default: "completed" },
      seed: { type: "string", default: "1" },
      live: { type: "string" },
    },
  });
  if (!values.out) throw new Error("--out DIR is required");
  const steps = Number(values.steps);
  const live = values.live ? Number(values.live) : 0;
  const total = Number(values.total ?? (live ? steps + 1000 : steps));
  const t0 = performance.now();
  const gen = writeRun(values.out, {
    steps,
    totalSteps: total,
    rolloutsPerStep: Number(values.rollouts),
    seed: Number(values.seed),
    status: live ? "running" : (values.status as "completed"),
    startTime: live ? Date.now() - steps * DEFAULT_GEN.stepSeconds * 1000 : DEFAULT_GEN.startTime,
    pid: live ? process.pid : undefined,
  });
  console.log(`wrote ${values.out} (${steps} steps) in ${Math.round(performance.now() - t0)} ms`);
  if (!live) return;
  const f = runFiles(values.out);
  const stop = (status: "stopped" | "completed") => {
    const fd = openSync(f.events, "a");
    writeSync(fd, JSON.stringify(gen.finish(status)) + "\n");
    closeSync(fd);
    writeFileSync(f.status, status);
    process.exit(0);
  };
  process.on("SIGTERM", () => stop("stopped"));
  process.on("SIGINT", () => stop("stopped"));
  const timer = setInterval(() => {
    appendSteps(values.out!, gen, 1);
    if (gen.step >= total) {
      clearInterval(timer);
      stop("completed");
    }
  }, live);
}

// Run as a script, not when imported (a CommonJS bundle, e.g. the integration tests, has no URL).
const self = import.meta.url ? fileURLToPath(import.meta.url) : "";
if (self && process.argv[1] && path.resolve(process.argv[1]) === self) {
  main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
