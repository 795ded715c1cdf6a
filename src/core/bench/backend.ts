// The narrow slice of the engine that evaluation and ranking need: prompt formatting and
// generation. The engine client satisfies it; tests pass a scripted stand-in.
import type { FormatPromptParams, FormatPromptResult, GenerateParams, GenerateResult } from "../engine/protocol";

export interface GenerationBackend {
  formatPrompt(params: FormatPromptParams): Promise<FormatPromptResult>;
  generate(params: GenerateParams): Promise<GenerateResult>;
}
