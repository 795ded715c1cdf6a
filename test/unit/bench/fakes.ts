// Scripted stand-ins for the engine and the verifier, so evaluation logic is tested without a model.
import type { GenerationBackend } from "../../../src/core/bench/backend";
import { lastBoxed } from "../../../src/core/bench/answers";
import type { GenerateParams, GenerateResult } from "../../../src/core/engine/protocol";
import type { Verifier, VerifyResult } from "../../../src/core/verifier/api";

/**
 * A "model" whose answer to a prompt is decided by `answer(problem, sampleIndex)`: the prompt is
 * "<system>|<problem>", so tests can also check the system prompt arrives.
 */
export function scriptedBackend(answer: (problem: string, sample: number, p: GenerateParams) => string) {
  const calls: GenerateParams[] = [];
  const backend: GenerationBackend = {
    async formatPrompt({ messages }) {
      const system = messages.find((m) => m.role === "system")?.content ?? "";
      const user = messages.find((m) => m.role === "user")!.content;
      return { text: `${system}|${user}`, tokens: 1 };
    },
    async generate(p): Promise<GenerateResult> {
      calls.push(p);
      const outputs = p.prompts.flatMap((prompt, i) =>
        Array.from({ length: p.n }, (_, s) => {
          const text = `Reasoning… so the answer is $\\boxed{${answer(prompt.split("|")[1]!, s, p)}}$.`;
          return { prompt_index: i, text, tokens: 12, finish_reason: "stop" as const };
        }),
      );
      return { outputs, time_s: 0.01, generated_tokens: outputs.length * 12, tokens_per_s: 1000 };
    },
  };
  return { backend, calls };
}

/** Exact match of the last \boxed{} against the reference; enough to test the plumbing. */
export const exactVerifier: Verifier = {
  async grade(response, answer): Promise<VerifyResult> {
    const extracted = lastBoxed(response);
    const correct = extracted === answer;
    return { correct, reward: correct ? 1 : 0, extracted, reason: correct ? "equal" : "different" };
  },
  async gradeMany(items) {
    return Promise.all(items.map((i) => exactVerifier.grade(i.response, i.answer)));
  },
  async dispose() {},
};
