// Pages of one step's rollouts, read on request from the lines the tail indexed. The dashboard
// asks for a page at a time, so a 100k-rollout run never crosses the webview boundary whole.
import type { RolloutRecord, RolloutsEvent } from "../run/events";
import { readLines } from "./tail";
import type { RolloutFilter, RolloutPage } from "../../protocol/messages";
import type { RolloutLineRef } from "./types";

export type { RolloutFilter, RolloutPage };

interface StepRecords {
  prompt: string;
  answer: string;
  produced: number;
  rollouts: RolloutRecord[];
}

/** Reads a step's records once and keeps the last few steps, as a user pages within a step. */
export class RolloutReader {
  private cache = new Map<string, StepRecords>();

  constructor(
    private readonly file: string,
    private readonly capacity = 4,
  ) {}

  page(step: number, refs: readonly RolloutLineRef[], filter: RolloutFilter, offset: number, limit: number): RolloutPage {
    const recs = this.load(step, refs);
    const correct = recs.rollouts.reduce((n, r) => n + (r.correct ? 1 : 0), 0);
    const matching =
      filter === "all" ? recs.rollouts : recs.rollouts.filter((r) => (filter === "correct" ? r.correct : !r.correct));
    const start = Math.max(0, Math.min(offset, matching.length));
    return {
      step,
      prompt: recs.prompt,
      answer: recs.answer,
      produced: recs.produced,
      recorded: recs.rollouts.length,
      correct,
      filter,
      matching: matching.length,
      offset: start,
      rollouts: matching.slice(start, start + Math.max(1, limit)),
    };
  }

  clear(): void {
    this.cache.clear();
  }

  private load(step: number, refs: readonly RolloutLineRef[]): StepRecords {
    const key = `${step}:${refs.map((r) => r.offset).join(",")}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const events = readLines(this.file, refs).filter((e): e is RolloutsEvent => e.type === "rollouts");
    const recs: StepRecords = {
      prompt: events[0]?.prompt ?? "",
      answer: events[0]?.answer ?? "",
      produced: events.reduce((n, e) => n + (e.total ?? e.rollouts.length), 0),
      rollouts: events.flatMap((e) => e.rollouts),
    };
    this.cache.set(key, recs);
    while (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
    return recs;
  }
}
