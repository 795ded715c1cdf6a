// The Log tab's feed: each `log` event and each byte of controller.log delivered once.
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { CONTROLLER_LOG_TAIL_BYTES, LogFeed } from "../../../src/core/monitor/logFeed";
import { RunModel } from "../../../src/core/monitor/reducer";
import type { RunEvent } from "../../../src/core/run/events";

const log = (t: number, message: string) => ({ v: 1, t, type: "log", level: "info", message, source: "controller" }) as RunEvent;

test("log events and controller.log text arrive once each; the first delta resets", () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "logfeed-")), "controller.log");
  const m = new RunModel();
  const feed = new LogFeed(file);
  const first = feed.next(m);
  assert.deepEqual(first, { reset: true, events: [], controller: "" }, "no log file yet");
  m.apply([log(1, "Training e.rlvr.md"), log(2, "second")]);
  writeFileSync(file, "step 1/2\n");
  const d = feed.next(m);
  assert.equal(d.reset, false);
  assert.deepEqual(d.events.map((e) => (e as { message: string }).message), ["Training e.rlvr.md", "second"]);
  assert.equal(d.controller, "step 1/2\n");
  assert.deepEqual(feed.next(m), { reset: false, events: [], controller: "" });
  m.apply([log(3, "third")]);
  appendFileSync(file, "step 2/2\n");
  const e = feed.next(m);
  assert.deepEqual(e.events.map((x) => (x as { message: string }).message), ["third"]);
  assert.equal(e.controller, "step 2/2\n");

  // A restarted feed (a reloaded webview) sends everything again.
  feed.restart();
  const again = feed.next(m);
  assert.equal(again.reset, true);
  assert.equal(again.events.length, 3);
  assert.equal(again.controller, "step 1/2\nstep 2/2\n");

  // A model that was reset (the log rewritten) starts over too.
  m.reset();
  m.apply([log(9, "new")]);
  const rewound = feed.next(m);
  assert.equal(rewound.reset, true);
  assert.deepEqual(rewound.events.map((x) => (x as { message: string }).message), ["new"]);
});

test("a long controller.log starts at a line inside its last 64 KiB", () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "logfeed-")), "controller.log");
  const lines = Array.from({ length: 4000 }, (_, i) => `line ${i} ${"x".repeat(40)}`);
  writeFileSync(file, lines.join("\n") + "\n");
  const d = new LogFeed(file).next(new RunModel());
  assert.ok(d.controller.length <= CONTROLLER_LOG_TAIL_BYTES);
  assert.match(d.controller, /^line \d+ x+\n/);
  assert.ok(d.controller.endsWith(`line 3999 ${"x".repeat(40)}\n`));
});
