import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { EventLogWriter, readEvents } from "../../../src/core/run/eventLog";

const tmp = () => path.join(mkdtempSync(path.join(tmpdir(), "evlog-")), "events.jsonl");

test("a torn last line is skipped until it is complete, then read from the returned offset", () => {
  const file = tmp();
  const w = new EventLogWriter(file);
  w.append({ type: "log", level: "info", message: "one" });
  appendFileSync(file, '{"v":1,"t":5,"type":"log","level":"info","mes');
  const first = readEvents(file);
  assert.deepEqual(first.events.map((e) => e.type), ["log"]);
  assert.equal(first.skipped, 0);
  appendFileSync(file, 'sage":"two"}\n');
  const second = readEvents(file, first.nextOffset);
  assert.equal(second.events.length, 1);
  assert.equal((second.events[0] as { message: string }).message, "two");
  w.close();
});

test("unknown event types and corrupt lines are counted and skipped, not fatal", () => {
  const file = tmp();
  appendFileSync(file, '{"v":1,"t":1,"type":"from_the_future"}\nnot json\n{"v":1,"t":2,"type":"log","level":"warn","message":"ok"}\n');
  const r = readEvents(file);
  assert.equal(r.events.length, 1);
  assert.equal(r.skipped, 2);
});

test("multi-byte text across read chunks survives intact", () => {
  const file = tmp();
  const w = new EventLogWriter(file);
  const long = "∑ réponse ".repeat(200_000);
  w.append({ type: "log", level: "info", message: long });
  w.close();
  const r = readEvents(file);
  assert.equal((r.events[0] as { message: string }).message, long);
});

test("a missing log reads as empty at the same offset", () => {
  assert.deepEqual(readEvents("/nonexistent/events.jsonl", 7), { events: [], nextOffset: 7, skipped: 0 });
});

test("a writer reopening a log with a torn last line (a killed controller) starts on a fresh line", () => {
  const file = tmp();
  appendFileSync(file, '{"v":1,"t":1,"type":"log","level":"info","message":"a"}\n{"v":1,"t":2,"type":"st');
  const w = new EventLogWriter(file);
  w.append({ type: "log", level: "info", message: "after" });
  w.close();
  const r = readEvents(file);
  assert.deepEqual(r.events.map((e) => (e as { message: string }).message), ["a", "after"]);
  assert.equal(r.skipped, 1);
});
