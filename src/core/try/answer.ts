// One answer from one model: the evaluation prompt (system prompt + the model's chat template, or
// the run's template), generation, the extracted final answer and, with a reference, the verdict.
import { PAPER_SYSTEM_PROMPT } from "../bench/presets";
import { chatMessages } from "../bench/runner";
import { extractAnswer } from "../verifier/extract";
import type { Verifier } from "../verifier/api";
import type { GenerateOptions, GenerateOutput, TryModel } from "./onnxModel";
import type { TryTarget } from "./target";

export interface TryAnswer extends GenerateOutput {
  prompt: string;
  extracted: string | null;
  /** Present when a reference answer was given. */
  verdict?: { correct: boolean; reason: string };
}

export interface AnswerOptions extends Omit<GenerateOptions, "stop"> {
  problem: string;
  reference?: string;
  systemPrompt?: string;
  verifier: Verifier;
}

export function tryPrompt(model: TryModel, target: TryTarget, problem: string, systemPrompt = PAPER_SYSTEM_PROMPT): string {
  return model.tokenizer.formatPrompt(chatMessages(systemPrompt, problem), target.template);
}

export async function answer(model: TryModel, target: TryTarget, o: AnswerOptions): Promise<TryAnswer> {
  const prompt = tryPrompt(model, target, o.problem, o.systemPrompt);
  // Only the generation options: a model in a worker thread receives them by structured clone,
  // which refuses the verifier's functions.
  const { problem: _problem, reference: _reference, systemPrompt: _systemPrompt, verifier, ...generation } = o;
  const out = await model.generate(prompt, { ...generation, stop: target.stop });
  const result: TryAnswer = { ...out, prompt, extracted: extractAnswer(out.text) };
  if (o.reference !== undefined && o.reference.trim()) {
    const v = await verifier.grade(out.text, o.reference);
    result.extracted = v.extracted;
    result.verdict = { correct: v.correct, reason: v.reason };
  }
  return result;
}
