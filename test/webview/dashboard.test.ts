/// <reference lib="dom" />
// The dashboard in a real browser: charts and the rollout viewer render from the protocol's
// messages, live appends arrive, comparison and reload work, and nothing trips the CSP.
// Screenshots (light and dark) go to test-artifacts/.
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { RunRegistry } from "../../src/core/monitor/registry";
import { appendSteps, writeIntactCheckpoint, writeRun, type RunGenerator } from "../../bench/dashboard/genlog";
import { openDashboard, startHarness, type Harness, type OpenDashboard } from "./harness";

const ARTIFACTS = path.resolve(import.meta.dirname, "../../test-artifacts");
let h: Harness;
let root: string;
let live: string;
let gen: RunGenerator;
let registry: RunRegistry;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  root = mkdtempSync(path.join(tmpdir(), "dash-"));
  live = path.join(root, "pi1-live");
  gen = writeRun(live, { steps: 120, totalSteps: 400, rolloutsPerStep: 48, status: "running", startTime: Date.now() - 3_600_000 });
  writeRun(path.join(root, "pi1-baseline"), { steps: 400, rolloutsPerStep: 4, seed: 7, startTime: 0, evalEvery: 40 });
  registry = new RunRegistry();
  registry.setRoots([root]);
  h = await startHarness();
});

after(async () => {
  await h?.close();
});

async function noErrors(d: OpenDashboard): Promise<void> {
  const violations = await d.page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
  assert.deepEqual(violations, [], "no CSP violations");
  assert.deepEqual(d.commands.filter((c) => c.startsWith("error:")), [], "no script errors");
  assert.deepEqual(d.errors, [], "no uncaught page errors");
}

const points = (d: OpenDashboard) => d.page.locator(".chart-grid").getAttribute("data-points");

test("charts off screen are drawn once scrolled into view", async () => {
  const d = await openDashboard(h, registry, live, { theme: "dark", height: 700 });
  await d.page.waitForSelector(".chart-grid[data-drawn-points]");
  const drawn = () => d.page.locator(".chart-card canvas").count();
  const before = await drawn();
  assert.ok(before < 9, `only the charts on screen are drawn first (${before})`);
  await d.page.locator('[data-chart="grad"]').scrollIntoViewIfNeeded();
  await d.page.waitForFunction(() => document.querySelector('[data-chart="grad"] canvas') !== null);
  await noErrors(d);
  await d.page.close();
  d.session.dispose();
});

test("charts render every series from init, under the strict CSP", async () => {
  // Tall enough that every chart is on screen (off-screen charts are drawn when scrolled to).
  const d = await openDashboard(h, registry, live, { theme: "dark", height: 1700 });
  await d.page.waitForSelector('.chart-grid[data-drawn-points="120"]');
  assert.equal(d.sent[0].type, "init");
  assert.equal(await d.page.locator(".chart-card canvas").count(), 9);
  const legend = await d.page.locator('[data-chart="reward"] .u-legend').innerText();
  assert.match(legend, /train reward/);
  assert.match(legend, /math500 acc/);
  assert.match(legend, /aime24 avg@8/);
  assert.match(await d.page.locator(".run-header").innerText(), /step 120 \/ 400/);
  assert.equal(await d.page.locator(".run-header vscode-button", { hasText: "Stop" }).isVisible(), true);
  assert.equal(await d.page.locator(".run-header vscode-button", { hasText: "Resume" }).isVisible(), false);
  await d.page.screenshot({ path: path.join(ARTIFACTS, "dashboard-charts-dark.png"), fullPage: true });
  await noErrors(d);
  await d.page.close();
  d.session.dispose();
});

test("live appends reach the charts and the rollout slider; the header actions post stop and try", async () => {
  const d = await openDashboard(h, registry, live, { theme: "light", height: 1700 });
  await d.page.waitForSelector('.chart-grid[data-drawn-points="120"]');
  appendSteps(live, gen, 5);
  registry.refresh(live);
  await d.page.waitForSelector('.chart-grid[data-drawn-points="125"]');
  assert.ok(d.sent.some((m) => m.type === "update" && m.rolloutSteps.join() === "121,122,123,124,125"));
  await d.page.locator(".run-header vscode-button", { hasText: "Stop" }).click();
  await d.page.waitForFunction(() => true);
  await d.settled();
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(d.commands.includes("stop"));
  await d.page.locator(".run-header vscode-button", { hasText: "Try the Model" }).click();
  await d.settled();
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(d.commands.includes("try"), "the header opens Try the Model on this run");
  await d.page.screenshot({ path: path.join(ARTIFACTS, "dashboard-charts-light.png"), fullPage: true });
  await noErrors(d);
  await d.page.close();
  d.session.dispose();
});

test("the rollout viewer pages a step's rollouts, renders LaTeX, filters and moves between steps", async () => {
  for (const theme of ["dark", "light"] as const) {
    const d = await openDashboard(h, registry, live, { theme });
    await d.page.waitForSelector(".chart-grid[data-points]");
    await d.page.locator("vscode-tab-header[data-tab=rollouts]").click();
    const last = String(registry.get(live)!.model.rolloutSteps().at(-1));
    await d.page.waitForSelector(`.rv-list[data-step="${last}"][data-count="20"]`);
    assert.equal(await d.page.locator("article.rollout").count(), 20);
    assert.ok((await d.page.locator("article.rollout .katex").count()) > 40, "math is rendered by KaTeX");
    assert.ok((await d.page.locator(".rv-problem .katex").count()) > 3, "the prompt's math is rendered");
    assert.match(await d.page.locator(".rv-summary").innerText(), /of 48 recorded rollouts correct/);
    // A page answer that crosses a newer request is dropped by design (requestId); under load a
    // follow-latest refresh can cross the first click, so a second click is what a user would do.
    for (let attempt = 1; ; attempt++) {
      await d.page.locator(".rv-more").click();
      try {
        await d.page.waitForSelector(`.rv-list[data-count="40"]`, { timeout: 15_000 });
        break;
      } catch (e) {
        if (attempt === 3) throw e;
      }
    }
    if (theme === "dark") {
      await d.page.screenshot({ path: path.join(ARTIFACTS, "dashboard-rollouts-dark.png") });
      // Filter: only incorrect ones.
      await d.page.evaluate(() => {
        const s = document.querySelector(".rollouts vscode-single-select") as HTMLElement & { value: string };
        s.value = "incorrect";
        s.dispatchEvent(new Event("change"));
      });
      await d.page.waitForFunction(() => document.querySelector(".rv-summary")?.textContent?.includes("showing"));
      await d.page.waitForFunction(() => document.querySelectorAll("article.rollout.correct").length === 0);
      assert.ok((await d.page.locator("article.rollout.incorrect").count()) > 0);
      // Previous step via the button: follow-latest turns off and the page changes step.
      await d.page.locator('vscode-button[aria-label="Previous step"]').click();
      await d.page.waitForSelector(`.rv-list[data-step="${Number(last) - 1}"]`, { state: "attached" });
    } else {
      await d.page.screenshot({ path: path.join(ARTIFACTS, "dashboard-rollouts-light.png") });
    }
    const req = d.sent.filter((m) => m.type === "rollouts");
    assert.ok(req.every((m) => m.type === "rollouts" && (m.page?.rollouts.length ?? 0) <= 20), "pages, not the whole log");
    await noErrors(d);
    await d.page.close();
    d.session.dispose();
  }
});

test("a second run overlays the charts; config shows; state survives a reload", async () => {
  const d = await openDashboard(h, registry, live, { theme: "dark", height: 1700 });
  await d.page.waitForSelector(".chart-grid[data-points]");
  const other = path.join(root, "pi1-baseline");
  await d.page.evaluate((dir) => {
    const s = document.querySelector(".toolbar vscode-single-select") as HTMLElement & { value: string };
    s.value = dir;
    s.dispatchEvent(new Event("change"));
  }, other);
  await d.page.waitForFunction(() =>
    document.querySelector('[data-chart="reward"] .u-legend')?.textContent?.includes("pi1-baseline: math500"),
  );
  await d.page.screenshot({ path: path.join(ARTIFACTS, "dashboard-compare-dark.png"), fullPage: true });
  await d.page.locator("vscode-tab-header[data-tab=config]").click();
  assert.match(await d.page.locator(".config-json").innerText(), /"entropy_coef": 0.001/);
  assert.match(await d.page.locator(".training-prompt").innerText(), /sail[\s\S]*Let's think step by step and output the final answer within \\boxed\{\}\.<\|im_end\|>/);
  await d.page.reload();
  await d.page.waitForSelector(".chart-grid[data-points]", { state: "attached" });
  assert.equal(await d.page.evaluate(() => document.body.dataset.tab), "config");
  await d.page.locator("vscode-tab-header[data-tab=charts]").click();
  await d.page.waitForFunction(() =>
    document.querySelector('[data-chart="reward"] .u-legend')?.textContent?.includes("pi1-baseline"),
  );
  assert.equal(d.sent.filter((m) => m.type === "init").length, 2, "the reloaded page handshakes again");
  await noErrors(d);
  await d.page.close();
  d.session.dispose();
});

test("a failed run without a checkpoint offers Retry, not Resume, and shows why it ended", async () => {
  const failed = path.join(root, "failed-run");
  writeRun(failed, { steps: 30, status: "failed" });
  registry.scan();
  const d = await openDashboard(h, registry, failed, { theme: "high-contrast" });
  await d.page.waitForSelector('.chart-grid[data-drawn-points="30"]');
  assert.equal(await d.page.locator(".run-header vscode-button", { hasText: "Resume" }).isVisible(), false);
  assert.equal(await d.page.locator(".run-header vscode-button", { hasText: "Retry" }).isVisible(), true);
  await d.page.locator(".run-header vscode-button", { hasText: "Retry" }).click();
  await d.page.waitForFunction(() => true);
  await d.settled();
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(d.commands.includes("retry"));
  assert.equal(await d.page.locator(".run-header vscode-button", { hasText: "Stop" }).isVisible(), false);
  assert.match(await d.page.locator(".run-error").innerText(), /out of GPU memory/);
  assert.equal(await points(d), "30");
  await noErrors(d);
  await d.page.close();
  d.session.dispose();
});

test("a failed run with an intact resumable checkpoint offers Resume, not Retry", async () => {
  const failed = path.join(root, "failed-with-checkpoint");
  writeRun(failed, { steps: 30, status: "failed", checkpointEvery: 10 });
  writeIntactCheckpoint(path.join(failed, "checkpoints", "step-30"));
  registry.scan();
  const d = await openDashboard(h, registry, failed, { theme: "dark" });
  await d.page.waitForSelector('.chart-grid[data-drawn-points="30"]');
  assert.equal(await d.page.locator(".run-header vscode-button", { hasText: "Resume" }).isVisible(), true);
  assert.equal(await d.page.locator(".run-header vscode-button", { hasText: "Retry" }).isVisible(), false);
  await noErrors(d);
  await d.page.close();
  d.session.dispose();
});

test("a starting run shows its phase with progress in the header instead of step 0, until its first step", async () => {
  const starting = path.join(root, "starting-run");
  const gen = writeRun(starting, { steps: 0, totalSteps: 40, status: "running", pid: process.pid, startTime: Date.now() });
  const phase = (e: Record<string, unknown>) => appendFileSync(path.join(starting, "events.jsonl"), JSON.stringify({ v: 1, t: Date.now(), type: "phase", ...e }) + "\n");
  phase({ phase: "evaluating", detail: "math500", done: 160, total: 500, unit: "problems" });
  registry.scan();
  const d = await openDashboard(h, registry, starting, { theme: "light" });
  await d.page.waitForSelector('body[data-run-phase="evaluating"]');
  const header = await d.page.locator(".run-header").innerText();
  assert.match(header, /evaluating math500 160\/500/);
  assert.doesNotMatch(header, /step 0/);
  assert.equal(await d.page.locator(".run-header vscode-progress-bar").evaluate((p) => (p as HTMLElement & { value: number }).value), 32);
  await d.page.screenshot({ path: path.join(ARTIFACTS, "dashboard-startup-phase.png") });
  phase({ phase: "loading", detail: "Qwen/Qwen2.5-Math-1.5B", done: 1, total: 2, unit: "files" });
  registry.refresh(starting);
  await d.page.waitForFunction(() => document.querySelector(".run-header")?.textContent?.includes("loading Qwen/Qwen2.5-Math-1.5B 1/2 files"));
  appendSteps(starting, gen, 1);
  registry.refresh(starting);
  await d.page.waitForSelector('body[data-run-phase=""]');
  assert.match(await d.page.locator(".run-header").innerText(), /step 1 \/ 40/);
  await noErrors(d);
  await d.page.close();
  d.session.dispose();
});

test("the Log tab shows the run's log events and its controller.log, and follows both live", async () => {
  const dir = path.join(root, "logged-run");
  writeRun(dir, { steps: 3, totalSteps: 40, status: "running", pid: process.pid, startTime: Date.now() });
  const event = (level: string, message: string) => appendFileSync(path.join(dir, "events.jsonl"), JSON.stringify({ v: 1, t: Date.now(), type: "log", level, message, source: "controller" }) + "\n");
  event("info", "Training pipe.rlvr.md: tiny on cpu");
  writeFileSync(path.join(dir, "controller.log"), "2026-01-01T00:00:00Z step 3/40  reward 0.500\n");
  registry.scan();
  const d = await openDashboard(h, registry, dir, { theme: "dark" });
  await d.page.waitForSelector('body[data-log-events="1"]');
  await d.page.locator('vscode-tab-header[data-tab="log"]').click();
  await d.page.waitForSelector('body[data-tab="log"]');
  assert.match(await d.page.locator(".log-events").innerText(), /info\s+controller\s+Training pipe\.rlvr\.md: tiny on cpu/);
  assert.match(await d.page.locator(".log-controller").innerText(), /step 3\/40 {2}reward 0\.500/);
  event("warn", "Step 4: every reward was 0 <b>not html</b>");
  appendFileSync(path.join(dir, "controller.log"), "warn: Step 4: every reward was 0\n");
  registry.refresh(dir);
  await d.page.waitForSelector('body[data-log-events="2"]');
  assert.match(await d.page.locator(".log-line.warn").innerText(), /every reward was 0 <b>not html<\/b>/);
  await d.page.waitForFunction(() => document.querySelector(".log-controller")?.textContent?.includes("warn: Step 4"));
  await d.page.screenshot({ path: path.join(ARTIFACTS, "dashboard-log-tab.png") });
  await noErrors(d);
  await d.page.close();
  d.session.dispose();
});
