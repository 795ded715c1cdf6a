import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, writeFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { EventTail, readLines } from "../../../src/core/monitor/tail";
import { RunGenerator } from "../../../bench/dashboard/genlog";

const tmpFile = () => path.join(mkdtempSync(path.join(tmpdir(), "tail-")), "events.jsonl");
const lines = (events: object[]) => events.map((e) => JSON.stringify(e) + "\n").join("");

test("rollout lines are indexed by step without being parsed, and read back from their offsets", () => {
  const file = tmpFile();
  const gen = new RunGenerator("r", { rolloutsPerStep: 4 });
  writeFileSync(file, lines([...gen.start(), ...gen.nextStep(), ...gen.nextStep()]));
  const chunk = new EventTail(file).read();
  assert.deepEqual(chunk.rolloutLines.map((r) => r.step), [1, 2]);
  assert.ok(chunk.events.every((e) => e.type !== "rollouts"));
  assert.deepEqual(chunk.events.filter((e) => e.type === "step").map((e) => (e as { step: number }).step), [1, 2]);
  const [ev] = readLines(file, [chunk.rolloutLines[1]]);
  assert.equal(ev.type, "rollouts");
  assert.equal((ev as { rollouts: unknown[] }).rollouts.length, 4);
});

test("a rollouts line in another key order is still indexed (by a full parse)", () => {
  const file = tmpFile();
  writeFileSync(file, JSON.stringify({ type: "rollouts", step: 7, v: 1, t: 2, prompt: "", answer: "", total: 0, rollouts: [] }) + "\n");
  assert.deepEqual(new EventTail(file).read().rolloutLines.map((r) => r.step), [7]);
});

test("the tail reads only what was appended, waits for a torn line, and resets when the file is replaced", () => {
  const file = tmpFile();
  const tail = new EventTail(file);
  assert.deepEqual(tail.read(), { events: [], rolloutLines: [], skipped: 0, reset: false });
  appendFileSync(file, '{"v":1,"t":1,"type":"log","level":"info","message":"a"}\n{"v":1,"t":2,"type":"log","le');
  assert.equal(tail.read().events.length, 1);
  assert.equal(tail.read().events.length, 0);
  appendFileSync(file, 'vel":"info","message":"b"}\nnot json\n');
  const second = tail.read();
  assert.equal((second.events[0] as { message: string }).message, "b");
  assert.equal(second.skipped, 1);
  const other = file + ".new";
  writeFileSync(other, '{"v":1,"t":3,"type":"log","level":"info","message":"c"}\n');
  renameSync(other, file);
  const third = tail.read();
  assert.equal(third.reset, true);
  assert.equal((third.events[0] as { message: string }).message, "c");
});

test("offsets stay exact across multi-byte text and read chunk boundaries", () => {
  const file = tmpFile();
  const gen = new RunGenerator("r", { rolloutsPerStep: 2 });
  const big = { v: 1, t: 1, type: "log", level: "info", message: "∑ réponse ".repeat(600_000) };
  writeFileSync(file, lines([big, ...gen.nextStep(), big, ...gen.nextStep()]));
  const chunk = new EventTail(file).read();
  const evs = readLines(file, chunk.rolloutLines);
  assert.deepEqual(evs.map((e) => (e as { step: number }).step), [1, 2]);
  assert.equal(chunk.events.filter((e) => e.type === "log").length, 2);
});
