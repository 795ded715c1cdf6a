// Shared fixtures for controller tests: a project root with a small benchmark, a resolved config,
// the fake engine launch, and a boxed-answer verifier standing in for the real one.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { EngineLaunch } from "../../../src/core/engine/client";
import { parseExample } from "../../../src/core/example/parse";
import { resolveConfig } from "../../../src/core/example/resolve";
import type { TrainConfig } from "../../../src/core/example/config";
import { readEvents } from "../../../src/core/run/eventLog";
import type { RunEvent } from "../../../src/core/run/events";
import type { Verifier } from "../../../src/core/verifier/api";

export const FAKE_ENGINE = path.resolve("test/unit/engine/fixtures/fake-engine.mjs");

export function project(): { root: string; example: string } {
  const root = mkdtempSync(path.join(tmpdir(), "oneshot-train-"));
  mkdirSync(path.join(root, "examples", "bench"), { recursive: true });
  const lines = [
    { problem: "2+2?", answer: "4", skill: "add" },
    { problem: "3+1?", answer: "4", skill: "add" },
    { problem: "2+3?", answer: "5", skill: "add" },
    { problem: "2*2?", answer: "4", skill: "mul" },
  ];
  writeFileSync(path.join(root, "examples", "bench", "tiny.jsonl"), lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const example = path.join(root, "two.rlvr.md");
  writeFileSync(example, "---\nanswer: 4\n---\nWhat is 2+2?\n");
  return { root, example };
}

export function config(root: string, example: string, sets: string[] = []): TrainConfig {
  const parsed = parseExample(`---\nanswer: 4\n---\nWhat is 2+2?\n`, example);
  const r = resolveConfig({
    example: parsed.example!,
    runId: "test-run",
    projectRoot: root,
    cwd: root,
    preset: "cpu-demo",
    sets: ["model=fake-model", "steps=3", "prompt_copies=2", "rollouts=3", "eval_every=2", "eval_benchmarks=[tiny]", "checkpoint_every=2", "keep_checkpoints=1", "log_rollouts=4", ...sets],
  });
  if (!r.config) throw new Error(r.errors.join("\n"));
  return r.config;
}

export const fakeEngine = (env: Record<string, string> = {}): EngineLaunch => ({ command: process.execPath, args: [FAKE_ENGINE], env: { ...process.env, ...env } });

export function boxedVerifier(): Verifier {
  const grade = async (response: string, answer: string) => {
    const m = /\\boxed\{([^}]*)\}/.exec(response);
    const extracted = m ? m[1] : null;
    const correct = extracted === answer;
    return { correct, reward: correct ? 1 : 0, extracted, reason: correct ? "equal" : "not equal" };
  };
  return {
    grade,
    gradeMany: (items) => Promise.all(items.map((i) => grade(i.response, i.answer))),
    dispose: async () => {},
  };
}

export const eventsOf = (runDir: string): RunEvent[] => readEvents(path.join(runDir, "events.jsonl")).events;
export const typesOf = (events: RunEvent[]) => events.map((e) => e.type);
