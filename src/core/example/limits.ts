// Limits that span several settings (schema.json bounds each key alone). There is no memory
// planner yet, so these refuse only what cannot be meant: a step of more rollouts than a large
// GPU node generates in one go, or a problem far too long to fit max_prompt_tokens, which
// tokenising would take minutes and gigabytes to find out.
import type { TrainSettings } from "./config";

/** prompt_copies × rollouts: 16× the paper's 1,024 rollouts per step. */
export const MAX_ROLLOUTS_PER_STEP = 16_384;

/**
 * Characters per token above which a prompt is refused before tokenising: real text averages
 * about 4, and only long runs of one repeated character reach 16.
 */
export const MAX_CHARS_PER_TOKEN = 32;

type LimitSettings = Pick<TrainSettings, "prompt_copies" | "rollouts" | "max_prompt_tokens" | "system_prompt" | "prompt_template" | "prompt_suffix">;

/** One sentence per exceeded limit; empty when the settings are within them. */
export function limitProblems(s: LimitSettings, problem: string): string[] {
  const out: string[] = [];
  const batch = s.prompt_copies * s.rollouts;
  if (batch > MAX_ROLLOUTS_PER_STEP) {
    out.push(
      `prompt_copies × rollouts is ${fmt(batch)} rollouts per step, more than the ${fmt(MAX_ROLLOUTS_PER_STEP)} accepted (the paper uses 128 × 8 = 1,024): lower prompt_copies or rollouts`,
    );
  }
  const chars = problem.length + s.prompt_suffix.length + s.system_prompt.length + (s.prompt_template?.length ?? 0);
  const limit = s.max_prompt_tokens * MAX_CHARS_PER_TOKEN;
  if (chars > limit) {
    out.push(
      `The problem and system prompt are ${fmt(chars)} characters long; with max_prompt_tokens ${fmt(s.max_prompt_tokens)} at most ${fmt(limit)} are accepted (${MAX_CHARS_PER_TOKEN} per token): shorten the problem or raise max_prompt_tokens`,
    );
  }
  return out;
}

const fmt = (n: number) => n.toLocaleString("en-US");
