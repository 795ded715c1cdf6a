// Messages between the extension and the "Try the Model" webview, one union per direction. The
// webview speaks first (`ready`); the extension answers with `init` (models and problems), then
// streams each answer as `delta`s between `start` and `done` for each side.

/** The tuned model (a run's checkpoint or a model folder) and, optionally, the run's base model. */
export type TrySide = "model" | "base";

export interface TryModelChoice {
  id: string;
  label: string;
  description: string;
  /** Whether a base model is known to compare with (runs and their checkpoints). */
  hasBase: boolean;
}

export interface TryProblemChoice {
  id: string;
  /** Where it comes from: "example", or a benchmark's name. */
  source: string;
  problem: string;
  answer?: string;
}

export interface TryAnswerView {
  text: string;
  extracted: string | null;
  verdict?: { correct: boolean; reason: string };
  tokens: number;
  finishReason: "stop" | "length" | "stop_string" | "aborted";
  firstTokenMs: number;
  tokensPerSecond: number;
}

export interface TryRequest {
  type: "ask";
  model: string;
  compare: boolean;
  problem: string;
  answer?: string;
  /** 0 = greedy. */
  temperature: number;
  maxTokens: number;
}

/** Webview → extension. */
export type TryViewToExtension =
  | { type: "ready" }
  | { type: "selectModel"; model: string }
  | TryRequest
  | { type: "stop" }
  | { type: "error"; message: string };

/** Extension → webview. */
export type ExtensionToTryView =
  | { type: "init"; models: TryModelChoice[]; selected?: string; defaults: { temperature: number; maxTokens: number } }
  | { type: "problems"; model: string; problems: TryProblemChoice[] }
  | { type: "start"; side: TrySide; label: string }
  | { type: "status"; side: TrySide; message: string }
  | { type: "delta"; side: TrySide; text: string }
  | { type: "done"; side: TrySide; answer: TryAnswerView }
  | { type: "failed"; side?: TrySide; message: string }
  | { type: "idle" };
