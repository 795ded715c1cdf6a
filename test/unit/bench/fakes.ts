// A scripted stand-in for the engine, so evaluation logic is tested without a model, and the real verifier.
import type { GenerationBackend } from "../../../src/core/bench/backend";
import type { GenerateParams, GenerateResult } from "../../../src/core/engine/protocol";
import { createVerifier } from "../../../src/core/verifier/index";

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
        Array.from({ length: p.rollouts }, (_, s) => {
          const text = `Reasoning… so the answer is $\\boxed{${answer(prompt.split("|")[1]!, s, p)}}$.`;
          return { prompt_index: i, text, tokens: 12, finish_reason: "stop" as const };
        }),
      );
      return { outputs, time_s: 0.01, generated_tokens: outputs.length * 12, tokens_per_s: 1000, peak_mem_gb: 0 };
    },
  };
  return { backend, calls };
}

/** The product's one verifier, as training and `oneshot eval` use it. */
export const mathVerifier = createVerifier({ kind: "math" });
