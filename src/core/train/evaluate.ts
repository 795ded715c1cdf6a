// Minimal held-out evaluation: greedy generation over a benchmark's problems, graded by the same
// verifier as training, with a per-skill breakdown and per-problem results in the run directory
// (evals/<benchmark>/step-N.jsonl). Metric "acc" = fraction correct with one greedy sample.
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { EngineMethod, EngineMethods } from "../engine/protocol";
import type { EvalEvent, RunEventInput } from "../run/events";
import type { Verifier } from "../verifier/api";
import type { Benchmark } from "./benchmarks";

export interface EngineRpc {
  request<M extends EngineMethod>(method: M, params: EngineMethods[M][0]): Promise<EngineMethods[M][1]>;
}

export interface PreparedBenchmark {
  benchmark: Benchmark;
  /** Formatted prompt of each problem (format_prompt is called once per run, not per eval). */
  prompts: string[];
}

export interface EvalSettings {
  system_prompt: string;
  prompt_template: string | null;
  max_response_tokens: number;
  eval_batch_size: number;
  stop: string[];
  seed: number;
}

export async function prepareBenchmark(engine: EngineRpc, benchmark: Benchmark, s: EvalSettings): Promise<PreparedBenchmark> {
  const prompts: string[] = [];
  for (const p of benchmark.problems) {
    const r = await engine.request("format_prompt", { messages: chatMessages(s.system_prompt, p.problem), ...(s.prompt_template ? { template: s.prompt_template } : {}) });
    prompts.push(r.text);
  }
  return { benchmark, prompts };
}

export function chatMessages(system: string, problem: string) {
  return [...(system ? [{ role: "system" as const, content: system }] : []), { role: "user" as const, content: problem }];
}

export interface EvaluateOptions {
  engine: EngineRpc;
  verifier: Verifier;
  bench: PreparedBenchmark;
  settings: EvalSettings;
  step: number;
  runDir: string;
  /** Checked between batches: an aborted evaluation returns undefined. */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export async function evaluate(o: EvaluateOptions): Promise<RunEventInput<EvalEvent> | undefined> {
  const started = Date.now();
  const { problems } = o.bench.benchmark;
  const rows: Record<string, unknown>[] = [];
  const bySkill = new Map<string, { correct: number; n: number }>();
  let correct = 0;
  for (let start = 0; start < problems.length; start += o.settings.eval_batch_size) {
    if (o.signal?.aborted) return undefined;
    const end = Math.min(problems.length, start + o.settings.eval_batch_size);
    const gen = await o.engine.request("generate", {
      prompts: o.bench.prompts.slice(start, end),
      n: 1,
      // Greedy decoding, as the paper evaluates MATH500.
      temperature: 0,
      top_p: 1,
      top_k: 0,
      max_new_tokens: o.settings.max_response_tokens,
      stop: o.settings.stop,
      seed: o.settings.seed,
      keep_for_training: false,
    });
    const graded = await o.verifier.gradeMany(gen.outputs.map((out) => ({ response: out.text, answer: problems[start + out.prompt_index].answer })));
    gen.outputs.forEach((out, k) => {
      const i = start + out.prompt_index;
      const p = problems[i];
      const g = graded[k];
      if (g.correct) correct++;
      const skill = p.skill ?? "all";
      const s = bySkill.get(skill) ?? { correct: 0, n: 0 };
      s.n++;
      if (g.correct) s.correct++;
      bySkill.set(skill, s);
      rows.push({
        index: i,
        ...(p.id ? { id: p.id } : {}),
        ...(p.skill ? { skill: p.skill } : {}),
        problem: p.problem,
        answer: p.answer,
        response: out.text,
        extracted: g.extracted,
        correct: g.correct,
        reward: g.reward,
        reason: g.reason,
        tokens: out.tokens,
        finish_reason: out.finish_reason,
      });
    });
    o.onProgress?.(end, problems.length);
  }
  const name = o.bench.benchmark.name;
  const rel = path.join("evals", safeName(name), `step-${o.step}.jsonl`);
  mkdirSync(path.dirname(path.join(o.runDir, rel)), { recursive: true });
  writeFileSync(path.join(o.runDir, rel), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const hasSkills = problems.some((p) => p.skill !== undefined);
  return {
    type: "eval",
    step: o.step,
    benchmark: name,
    metric: "acc",
    value: problems.length ? correct / problems.length : 0,
    n: problems.length,
    ...(hasSkills ? { breakdown: Object.fromEntries([...bySkill].sort().map(([k, v]) => [k, { value: v.correct / v.n, n: v.n }])) } : {}),
    results_file: rel.split(path.sep).join("/"),
    time_s: (Date.now() - started) / 1000,
  };
}

const safeName = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, "_");
