import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { dashboardHtml } from "../../../src/core/monitor/dashboardHtml";
import { RunRegistry } from "../../../src/core/monitor/registry";
import { DashboardSession } from "../../../src/core/monitor/session";
import type { ExtensionToWebview } from "../../../src/protocol/messages";
import { appendSteps, writeRun } from "../../../bench/dashboard/genlog";

function setup() {
  const root = mkdtempSync(path.join(tmpdir(), "session-"));
  const dir = path.join(root, "a");
  const gen = writeRun(dir, { steps: 10, totalSteps: 30, rolloutsPerStep: 6, status: "running" });
  writeRun(path.join(root, "b"), { steps: 5, seed: 2 });
  const registry = new RunRegistry();
  registry.setRoots([root]);
  const sent: ExtensionToWebview[] = [];
  const calls: string[] = [];
  const session = new DashboardSession(
    registry,
    dir,
    {
      send: (m) => sent.push(m),
      command: (c, run) => calls.push(`${c}:${run.id}`),
      export: (f) => calls.push(`export:${f}`),
      error: (m) => calls.push(`error:${m}`),
    },
    10_000,
  );
  return { root, dir, gen, registry, sent, calls, session };
}

test("nothing is sent before the handshake; `ready` gets the whole state, rounded for the wire", () => {
  const { session, sent, registry, dir } = setup();
  registry.refresh(dir);
  assert.equal(sent.length, 0);
  session.handle({ type: "ready" });
  const init = sent[0];
  assert.equal(init.type, "init");
  if (init.type !== "init") return;
  assert.equal(init.series.reset, true);
  assert.equal(init.series.steps.length, 10);
  assert.deepEqual(init.rolloutSteps, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(init.run.status, "running");
  assert.deepEqual(init.runs.map((r) => r.runId).sort(), ["a", "b"]);
  const raw = registry.get(dir)!.model.metrics.entropy[0]!;
  assert.equal(init.series.metrics.entropy[0], Number(raw.toPrecision(6)));
  assert.equal((init.config as { loss: { entropy_coef: number } }).loss.entropy_coef, 0.001);
  // The Config tab's training prompt: as run_started recorded it, chat template applied.
  assert.match(init.trainingPrompt ?? "", /^<\|im_start\|>system\n[\s\S]*sail[\s\S]* Let's think step by step and output the final answer within \\boxed\{\}\.<\|im_end\|>\n<\|im_start\|>assistant\n$/);
  session.dispose();
});

test("appends become one coalesced update with only the new steps and rollout steps", () => {
  const { session, sent, registry, dir, gen } = setup();
  session.handle({ type: "ready" });
  appendSteps(dir, gen, 2);
  registry.refresh(dir);
  appendSteps(dir, gen, 1);
  registry.refresh(dir);
  session.flush();
  const updates = sent.filter((m) => m.type === "update");
  assert.equal(updates.length, 1);
  const u = updates[0];
  if (u.type !== "update") return;
  assert.deepEqual(u.series.steps, [11, 12, 13]);
  assert.deepEqual(u.rolloutSteps, [11, 12, 13]);
  assert.equal(u.run.headline.step, 13);
  session.dispose();
});

test("rollout pages are served on request, capped in size; a missing step answers null", () => {
  const { session, sent } = setup();
  session.handle({ type: "requestRollouts", requestId: 7, step: 4, filter: "all", offset: 2, limit: 1000 });
  session.handle({ type: "requestRollouts", requestId: 8, step: 99, filter: "all", offset: 0, limit: 5 });
  const [a, b] = sent;
  assert.ok(a.type === "rollouts" && a.requestId === 7 && a.page?.rollouts.length === 4 && a.page.offset === 2);
  assert.ok(b.type === "rollouts" && b.requestId === 8 && b.page === null);
  session.dispose();
});

test("an overlay run streams alongside; commands and exports go to the host", () => {
  const { session, sent, calls, root } = setup();
  session.handle({ type: "ready" });
  session.handle({ type: "setOverlay", runDir: path.join(root, "b") });
  const o = sent.find((m) => m.type === "overlay");
  assert.ok(o && o.type === "overlay" && o.runId === "b" && o.series?.steps.length === 5);
  session.handle({ type: "setOverlay", runDir: null });
  assert.deepEqual(sent.at(-1), { type: "overlay", runId: null, series: null });
  session.handle({ type: "command", command: "stop" });
  session.handle({ type: "export", format: "csv" });
  session.handle({ type: "error", message: "boom" });
  assert.deepEqual(calls, ["stop:a", "export:csv", "error:Dashboard script error: boom"]);
  session.handle({ type: "rendered", points: 10 });
  assert.equal(session.renderedPoints, 10);
  session.handle({ type: "ready" });
  assert.equal(session.handshakes, 2);
  assert.equal(session.renderedPoints, 0);
  session.dispose();
});

test("the page's CSP allows only nonce'd scripts and local styles, never eval or inline code", () => {
  const html = dashboardHtml({ cspSource: "https://x.vscode-cdn.net", nonce: "abc", scriptUri: "s.js", styleUri: "s.css" });
  const csp = /content="([^"]+)"/.exec(html)![1];
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc'/);
  assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline/);
  assert.equal([...html.matchAll(/<script /g)].length, [...html.matchAll(/<script nonce="abc" src=/g)].length);
});

test("the Results tab gets the before/after table when it asks, and again only when an evaluation lands", () => {
  const root = mkdtempSync(path.join(tmpdir(), "session-"));
  const dir = path.join(root, "a");
  const gen = writeRun(dir, { steps: 10, totalSteps: 30, rolloutsPerStep: 2, evalEvery: 5, status: "running" });
  const registry = new RunRegistry();
  registry.setRoots([root]);
  const sent: ExtensionToWebview[] = [];
  const host = { send: (m: ExtensionToWebview) => sent.push(m), command: () => {}, export: () => {}, error: () => {} };
  const session = new DashboardSession(registry, dir, host, 10_000);
  session.handle({ type: "ready" });
  assert.equal(sent.filter((m) => m.type === "results").length, 0, "nothing before the tab asks");
  session.handle({ type: "requestResults" });
  const first = sent.findLast((m) => m.type === "results");
  assert.ok(first?.type === "results" && first.results);
  assert.equal(first.results.firstStep, 0);
  assert.equal(first.results.lastStep, 10);
  assert.deepEqual(first.results.rows.map((r) => r.benchmark), ["math500", "aime24"]);
  appendSteps(dir, gen, 2);
  registry.refresh(dir);
  session.flush();
  assert.equal(sent.filter((m) => m.type === "results").length, 1, "no new evaluation: not sent again");
  appendSteps(dir, gen, 3);
  registry.refresh(dir);
  session.flush();
  const second = sent.findLast((m) => m.type === "results");
  assert.equal(sent.filter((m) => m.type === "results").length, 2);
  assert.ok(second?.type === "results" && second.results?.lastStep === 15);
  session.dispose();
});
