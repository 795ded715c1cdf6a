// Scoring a model on a benchmark: format each problem with the system prompt, generate
// `samples` responses per problem in batches, grade each with the one verifier, and keep every
// response so one can see which problems flipped between checkpoints.
import type { FinishReason } from "../engine/protocol";
import type { Verifier } from "../verifier/api";
import type { GenerationBackend } from "./backend";
import { benchmarkSampling } from "./engineParams";
import type { BenchProblem, EvalSettings } from "./types";

export interface ResponseRecord {
  text: string;
  extracted: string | null;
  correct: boolean;
  tokens: number;
  finish_reason: FinishReason;
  reason?: string;
}

/** One line of a per-problem results JSONL. */
export interface ProblemResult {
  id: string;
  problem: string;
  answer: string;
  skill?: string;
  samples: number;
  correct: number;
  /** Fraction of samples graded correct: the problem's contribution to acc / avg@k. */
  score: number;
  responses: ResponseRecord[];
}

export interface RunOptions {
  backend: GenerationBackend;
  verifier: Verifier;
  /** An explicit prompt template (`{problem}`/`{system}`) instead of the model's chat template. */
  prompt_template?: string;
  /** Stop strings for generation. */
  stop?: string[];
  /**
   * Formatted prompts by problem id, filled on first use: evaluation during training formats
   * each problem once per run, not once per evaluation.
   */
  promptCache?: Map<string, string>;
  /** Problems per generate call (each brings `samples` sequences); default from the settings' batch_size. */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export function chatMessages(system: string, problem: string) {
  return [...(system ? [{ role: "system" as const, content: system }] : []), { role: "user" as const, content: problem }];
}

export async function formatPrompts(
  backend: GenerationBackend,
  problems: BenchProblem[],
  systemPrompt: string,
  o: Pick<RunOptions, "prompt_template" | "promptCache"> = {},
): Promise<string[]> {
  const out: string[] = [];
  for (const p of problems) {
    let text = o.promptCache?.get(p.id);
    if (text === undefined) {
      text = (await backend.formatPrompt({ messages: chatMessages(systemPrompt, p.problem), ...(o.prompt_template ? { prompt_template: o.prompt_template } : {}) })).text;
      o.promptCache?.set(p.id, text);
    }
    out.push(text);
  }
  return out;
}

export async function scoreProblems(problems: BenchProblem[], settings: EvalSettings, o: RunOptions): Promise<ProblemResult[]> {
  const batch = Math.max(1, o.batchSize ?? Math.floor(settings.batch_size / settings.samples));
  const results: ProblemResult[] = [];
  o.onProgress?.(0, problems.length);
  for (let start = 0; start < problems.length; start += batch) {
    o.signal?.throwIfAborted();
    const chunk = problems.slice(start, start + batch);
    const prompts = await formatPrompts(o.backend, chunk, settings.system_prompt, o);
    const gen = await o.backend.generate({
      prompts,
      ...benchmarkSampling(settings),
      top_k: 0,
      stop: o.stop ?? [],
      seed: settings.seed + start,
      keep_for_training: false,
    });
    const byPrompt = chunk.map(() => [] as typeof gen.outputs);
    for (const out of gen.outputs) byPrompt[out.prompt_index]?.push(out);
    const graded = await o.verifier.gradeMany(
      chunk.flatMap((p, i) => byPrompt[i]!.map((out) => ({ response: out.text, answer: p.answer }))),
    );
    let g = 0;
    chunk.forEach((p, i) => {
      const responses: ResponseRecord[] = byPrompt[i]!.map((out) => {
        const v = graded[g++]!;
        return { text: out.text, extracted: v.extracted, correct: v.correct, tokens: out.tokens, finish_reason: out.finish_reason, reason: v.reason };
      });
      const correct = responses.filter((r) => r.correct).length;
      results.push({
        id: p.id,
        problem: p.problem,
        answer: p.answer,
        ...(p.skill ? { skill: p.skill } : {}),
        samples: responses.length,
        correct,
        score: responses.length ? correct / responses.length : 0,
        responses,
      });
    });
    o.onProgress?.(results.length, problems.length);
  }
  return results;
}
