/// <reference lib="dom" />
// The dashboard's finer points in a real browser (issue 18): KL off, whole-number step ticks,
// one line when reward and accuracy coincide, the peak-memory chart, the compared run's colours
// and legend, the Results tab, and the rollout prompt shown as a conversation.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { RunRegistry } from "../../src/core/monitor/registry";
import { writeRun } from "../../bench/dashboard/genlog";
import { writeFixtureRun } from "../unit/report/fixtureRun";
import { openDashboard, startHarness, type Harness, type OpenDashboard } from "./harness";

const ARTIFACTS = path.resolve(import.meta.dirname, "../../test-artifacts");
let h: Harness;
let root: string;
let registry: RunRegistry;

/** Rewrites each event of a run's log (the generator writes the paper's 0/1 reward, memory, plain prompts). */
function editEvents(dir: string, edit: (e: Record<string, unknown>) => void): void {
  const file = path.join(dir, "events.jsonl");
  const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
  writeFileSync(file, lines.map((l) => { const e = JSON.parse(l) as Record<string, unknown>; edit(e); return JSON.stringify(e); }).join("\n") + "\n");
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  root = mkdtempSync(path.join(tmpdir(), "dash-polish-"));
  // A short CPU run without KL: 3 steps, no memory recorded, kl_coef 0, a chat-template prompt.
  const cpu = path.join(root, "cpu-short");
  writeRun(cpu, { steps: 3, rolloutsPerStep: 4, evalEvery: 3 });
  writeFileSync(path.join(cpu, "config.json"), JSON.stringify({ settings: { kl_coef: 0, model: "examples/models/tiny-math" } }));
  editEvents(cpu, (e) => {
    if (e.type === "step") delete e.peak_mem_gb;
    if (e.type === "rollouts")
      e.prompt = "<|im_start|>system\nPlease reason step by step.<|im_end|>\n<|im_start|>user\nSolve $7x + 18 = 95$.<|im_end|>\n<|im_start|>assistant\n";
  });
  // Partial credit: the reward differs from the accuracy.
  const partial = path.join(root, "partial-credit");
  writeRun(partial, { steps: 40, rolloutsPerStep: 4 });
  editEvents(partial, (e) => {
    if (e.type === "step") e.reward_mean = 0.5 * (e.accuracy as number) + 0.25;
  });
  writeRun(path.join(root, "gpu-long"), { steps: 60, rolloutsPerStep: 4, seed: 3 });
  writeRun(path.join(root, "gpu-other"), { steps: 60, rolloutsPerStep: 4, seed: 9 });
  writeFixtureRun(path.join(root, "reported"), { steps: 40 });
  registry = new RunRegistry();
  registry.setRoots([root]);
  h = await startHarness();
});

after(async () => {
  await h?.close();
});

async function done(d: OpenDashboard): Promise<void> {
  const violations = await d.page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
  assert.deepEqual(violations, [], "no CSP violations");
  assert.deepEqual(d.commands.filter((c) => c.startsWith("error:")), [], "no script errors");
  assert.deepEqual(d.errors, [], "no uncaught page errors");
  await d.page.close();
  d.session.dispose();
}

const legend = (d: OpenDashboard, chart: string) => d.page.locator(`[data-chart="${chart}"] .u-legend`).innerText();

test("KL off and no memory recorded: notes instead of flat charts; the steps axis ticks at whole steps", async () => {
  const d = await openDashboard(h, registry, path.join(root, "cpu-short"), { height: 1800 });
  await d.page.waitForSelector('.chart-grid[data-drawn-points="3"]');
  await d.page.waitForSelector('[data-chart="kl"][data-off="true"]');
  assert.match(await d.page.locator('[data-chart="kl"] .chart-note').innerText(), /KL off: kl_coef is 0/);
  assert.equal(await d.page.locator('[data-chart="kl"] canvas').count(), 0);
  assert.match(await d.page.locator('[data-chart="memory"] .chart-note').innerText(), /No peak memory recorded/);
  const ticks = (await d.page.locator('[data-chart="reward"] .chart-box').getAttribute("data-x-ticks"))!.split(",").map(Number);
  assert.ok(ticks.length >= 2, `ticks: ${ticks.join()}`);
  assert.ok(ticks.every((t) => Number.isInteger(t)), `whole-step ticks only: ${ticks.join()}`);
  await d.page.screenshot({ path: path.join(ARTIFACTS, "dashboard-kl-off.png"), fullPage: true });
  await done(d);
});

test("reward and accuracy: one line when they coincide (0/1 rewards), both when they differ", async () => {
  const same = await openDashboard(h, registry, path.join(root, "gpu-long"), { height: 1800 });
  await same.page.waitForSelector('.chart-grid[data-drawn-points="60"]');
  const one = await legend(same, "reward");
  assert.match(one, /train reward = accuracy/);
  assert.doesNotMatch(one, /train accuracy/);
  await done(same);
  const partial = await openDashboard(h, registry, path.join(root, "partial-credit"), { height: 1800 });
  await partial.page.waitForSelector('.chart-grid[data-drawn-points="40"]');
  const two = await legend(partial, "reward");
  assert.match(two, /train accuracy/);
  assert.match(two, /train reward(?! =)/);
  await done(partial);
});

test("peak GPU memory is charted; a compared run is dashed in contrasting colours, with a legend", async () => {
  const d = await openDashboard(h, registry, path.join(root, "gpu-long"), { height: 1800 });
  await d.page.waitForSelector('.chart-grid[data-drawn-points="60"]');
  await d.page.waitForSelector('[data-chart="memory"] canvas');
  assert.match(await legend(d, "memory"), /peak memory/);
  await d.page.evaluate((dir) => {
    const s = document.querySelector(".toolbar vscode-single-select") as HTMLElement & { value: string };
    s.value = dir;
    s.dispatchEvent(new Event("change"));
  }, path.join(root, "gpu-other"));
  await d.page.waitForFunction(() => document.querySelector('[data-chart="reward"] .u-legend')?.textContent?.includes("gpu-other: train reward"));
  const colors = await d.page.evaluate(() =>
    Array.from(document.querySelectorAll('[data-chart="reward"] .u-legend .u-series')).map((s) => [
      s.querySelector(".u-label")?.textContent ?? "",
      getComputedStyle(s.querySelector(".u-marker")!).borderColor,
    ]),
  );
  const mine = colors.find(([l]) => l === "train reward = accuracy")?.[1];
  const theirs = colors.find(([l]) => l === "gpu-other: train reward = accuracy")?.[1];
  assert.ok(mine && theirs, JSON.stringify(colors));
  assert.notEqual(mine, theirs, "the compared run's line has its own colour");
  assert.match(await d.page.locator(".compare-legend").innerText(), /this run.*gpu-other \(dashed/s);
  await d.page.screenshot({ path: path.join(ARTIFACTS, "dashboard-compare-legend.png"), fullPage: true });
  await done(d);
});

test("the Results tab shows before/after per benchmark and sub-skill and the flipped problems; Open Report posts", async () => {
  const d = await openDashboard(h, registry, path.join(root, "reported"), { height: 1200 });
  await d.page.waitForSelector(".chart-grid[data-points]");
  await d.page.locator("vscode-tab-header[data-tab=results]").click();
  await d.page.waitForSelector(".results-table");
  const table = await d.page.locator(".results-table").innerText();
  assert.match(table, /Step 0\s+Step 40/);
  assert.match(table, /math500\s+all\s+500\s+36\.0%/);
  assert.match(table, /Algebra\s+124\s+50\.0%\s+90\.0%\s+\+40\.0 pts/);
  assert.match(await d.page.locator('.flips[data-benchmark="math500"]').innerText(), /Now right \(3\): test\/p4\.json, test\/p5\.json, test\/p6\.json/);
  await d.page.locator(".results vscode-button", { hasText: "Open Report" }).click();
  await d.settled();
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(d.commands.includes("report"));
  assert.equal(await d.page.locator(".run-header vscode-button", { hasText: "Open Report" }).isVisible(), true, "a finished run offers its report");
  await d.page.screenshot({ path: path.join(ARTIFACTS, "dashboard-results.png"), fullPage: true });
  await done(d);
});

test("the rollout prompt shows as the conversation (system, user), the raw text one click away", async () => {
  const d = await openDashboard(h, registry, path.join(root, "cpu-short"));
  await d.page.locator("vscode-tab-header[data-tab=rollouts]").click();
  await d.page.waitForSelector('.rv-turn[data-role="user"]');
  assert.deepEqual(await d.page.locator(".rv-turn .rv-role").allInnerTexts(), ["system", "user"].map((r) => r.replace(/^./, (c) => c.toUpperCase())));
  assert.match(await d.page.locator('.rv-turn[data-role="user"]').innerText(), /Solve/);
  assert.doesNotMatch(await d.page.locator(".rv-turn").first().innerText(), /im_start/);
  await d.page.locator(".rv-raw summary").click();
  assert.match(await d.page.locator(".rv-raw pre").innerText(), /<\|im_start\|>user/);
  await done(d);
});
