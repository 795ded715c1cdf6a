import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { main } from "../../../src/cli/main";
import { writeFixtureRun } from "./fixtureRun";
import { captureCli } from "../cliContext";

function ctx(cwd: string) {
  const c = captureCli({ cwd, env: {} });
  return { c, out: c.out, err: c.err };
}

test("oneshot report RUN-ID finds the run under .oneshot/runs and writes both files", async () => {
  const ws = mkdtempSync(path.join(tmpdir(), "ws-"));
  const run = writeFixtureRun(path.join(ws, ".oneshot", "runs", "20260101-120000-pi1"));
  const { c, out } = ctx(ws);
  assert.equal(await main(["report", "20260101-120000-pi1"], c), 0);
  assert.equal(out(), "Wrote .oneshot/runs/20260101-120000-pi1/report.md and .oneshot/runs/20260101-120000-pi1/report.html (6 benchmarks, 200 steps)\n");
  assert.ok(existsSync(path.join(run, "report.html")));
  assert.ok(existsSync(path.join(run, "report-assets", "benchmarks.svg")));
});

test("oneshot report on something that is not a run says so in one line", async () => {
  const ws = mkdtempSync(path.join(tmpdir(), "ws-"));
  const { c, err } = ctx(ws);
  assert.equal(await main(["report", "nope"], c), 1);
  assert.match(err(), /^oneshot report: no run 'nope': it is neither a directory nor a run id under .*\.oneshot\/runs\n$/);
  assert.equal(await main(["report", "."], c), 1);
  assert.match(err(), /is not a run directory \(it has no events\.jsonl\)\n$/);
});
