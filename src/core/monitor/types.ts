// Shapes shared by the monitor's Node side and the webview (browser-safe: no imports).
import type { RolloutRecord } from "../run/events";

/** Where one `rollouts` line lies in the file. */
export interface RolloutLineRef {
  step: number;
  offset: number;
  length: number;
}

export type RolloutFilter = "all" | "correct" | "incorrect";

export interface RolloutPage {
  step: number;
  prompt: string;
  answer: string;
  /** Rollouts the step produced (the log may record a sample of them). */
  produced: number;
  recorded: number;
  correct: number;
  filter: RolloutFilter;
  /** Rollouts of the step that pass the filter. */
  matching: number;
  offset: number;
  rollouts: RolloutRecord[];
}
