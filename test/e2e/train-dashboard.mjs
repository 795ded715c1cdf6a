// End-to-end test of the run monitor (issue 8) in real VS Code (code-server), driven as a user
// drives it: open an example in a fresh workspace, run "One-Shot RLVR: Train on This Example"
// from the command palette, see its start-up phases (in the event log; in the dashboard's header when
// it is up in time), see the run in the Runs view, see the dashboard draw a reward curve
// and list rollouts, press Stop and see the run become `stopped`, in the dashboard, in the Runs
// view and on disk; then Try the Model from the dashboard puts the run's own problem to its
// checkpoint and its base model (ONNX export on first use, onnxruntime-node) and shows both answers
// with verdicts; and Open Report from the dashboard shows the run's report in an editor tab. A real `cpu-demo` run of the tiny model trains on CPU (the engine is the
// checkout's .venv). Screenshots in the dark and the light theme go to test-artifacts/e2e/.
// Reuses the integration harness's code-server helpers (scripts/lib/code-server.mjs).
//
//   node test/e2e/train-dashboard.mjs [--no-build] [--timeout SEC] [--keep]
//
// Prints `N passed, N failed`; exits non-zero on any failure. code-server, chromium and the
// training processes are ended on exit, on timeout and on SIGINT/SIGTERM.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath, URLSearchParams } from "node:url";
import { clearTimeout, setTimeout } from "node:timers";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { codeServerFromCache, ensure, makeProfile, startCodeServer } from "../../scripts/lib/code-server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const artifacts = path.join(root, "test-artifacts", "e2e");
const { values: opts } = parseArgs({
  options: {
    "no-build": { type: "boolean", default: false },
    timeout: { type: "string", default: "300" },
    keep: { type: "boolean", default: false },
  },
});
const THEME = { light: "Default Light Modern", dark: "Default Dark Modern" };
const EXAMPLE = "equations-e2e.rlvr.md";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const results = [];
let failed = false;
/** One named check: a failure is recorded and ends the flow (later checks depend on it). */
async function check(name, fn) {
  const t = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`  ✓ ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push({ name, ok: false });
    failed = true;
    console.log(`  ✗ ${name}: ${String(e.message ?? e).split("\n")[0]}`);
    throw Object.assign(e, { reported: true });
  }
}

const state = { tmp: undefined, server: undefined, browser: undefined, page: undefined, ws: undefined };

/**
 * The run's processes: every process whose command line or working directory is in the workspace
 * (the detached controller, started there), and their descendants (the engine).
 */
function processesUnder(dir) {
  const procs = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ")[1]);
      let cwd = "";
      try {
        cwd = readlinkSync(`/proc/${entry}/cwd`);
      } catch {
        // another user's process
      }
      procs.push({ pid: Number(entry), ppid, named: cmd.includes(dir) || cwd === dir || cwd.startsWith(dir + "/") });
    } catch {
      // gone already
    }
  }
  const found = new Set(procs.filter((p) => p.named).map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs)
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.add(p.pid);
        grew = true;
      }
  }
  return [...found];
}

function killTraining() {
  if (!state.ws) return;
  for (const pid of processesUnder(state.ws)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
}

async function cleanup() {
  if (failed && state.page) await shot("failure").catch(() => {});
  await state.browser?.close().catch(() => {});
  await state.server?.stop().catch(() => {});
  killTraining();
  if (state.tmp && !opts.keep) rmSync(state.tmp, { recursive: true, force: true, maxRetries: 3 });
}

async function shot(name) {
  await state.page.screenshot({ path: path.join(artifacts, `${name}.png`) });
}

function writeExample(ws) {
  // steps: far more than the test waits for, so Stop is what ends the run. eval_subset keeps the
  // step-0 evaluation short; checkpoint_every 0 saves only the checkpoint on stop.
  const text = readFileSync(path.join(root, "examples", "equations.rlvr.md"), "utf8").replace(
    /^preset: cpu-demo$/m,
    [
      "preset: cpu-demo",
      `model: ${path.join(root, "examples", "models", "tiny-math")}`,
      "steps: 200",
      "eval_every: 3",
      "eval_subset: 40",
      "checkpoint_every: 0",
    ].join("\n"),
  );
  if (!text.includes("steps: 200")) throw new Error("examples/equations.rlvr.md no longer has `preset: cpu-demo` to extend");
  writeFileSync(path.join(ws, EXAMPLE), text);
}

/** The dashboard's own document, inside the webview's two frames. */
const dashboard = (page) => page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
/** The run's row in the side bar (where the Runs view shows after Train reveals it): labelled with the example's name. */
const runRow = (page, id) => page.locator(".part.sidebar .monaco-list-row").filter({ hasText: id.replace(/^\d{8}-\d{6}-/, "") });

/** F1, type the command's name, wait for it in the list, Enter. */
async function palette(page, command, shown) {
  await page.keyboard.press("F1");
  await page.locator(".quick-input-widget input").waitFor({ state: "visible", timeout: 15_000 });
  await page.keyboard.type(command);
  // Enter takes the highlighted entry: wait until it is the one meant.
  await page.locator(".quick-input-list .monaco-list-row.focused", { hasText: shown }).waitFor({ timeout: 30_000 });
  await page.keyboard.press("Enter");
}

async function main() {
  const t0 = Date.now();
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  const chromiumPath = ensure(path.join(root, "scripts", "ensure-chromium.sh"));
  const cs = codeServerFromCache(ensure(path.join(root, "scripts", "ensure-code-server.sh")));
  if (!opts["no-build"]) {
    const b = spawnSync(process.execPath, ["esbuild.mjs"], { cwd: root, encoding: "utf8" });
    if (b.status !== 0) throw new Error(`Building the bundles failed:\n${b.stdout}${b.stderr}`);
  }
  const venv = path.join(root, ".venv");
  if (!existsSync(path.join(venv, "bin", "python"))) throw new Error(`${venv} has no Python; run node dist/cli.js setup --dev first.`);

  state.tmp = mkdtempSync(path.join(os.tmpdir(), "oneshot-e2e-train-"));
  const ws = (state.ws = path.join(state.tmp, "workspace"));
  mkdirSync(ws);
  writeExample(ws);
  const profile = makeProfile(path.join(state.tmp, "profile"), {
    "workbench.colorTheme": THEME.dark,
    "oneshot.engine.venvPath": venv,
    "files.autoSave": "off",
  });
  state.server = await startCodeServer(cs, profile, { logFile: path.join(artifacts, "code-server.log") });
  state.browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const page = (state.page = await state.browser.newPage({ viewport: { width: 1500, height: 950 } }));
  const authority = new URL(state.server.baseUrl).host;
  const payload = JSON.stringify([["extensionDevelopmentPath", `vscode-remote://${authority}${root}`]]);
  await page.goto(`${state.server.baseUrl}/?${new URLSearchParams({ folder: ws, payload })}`);
  console.log(`» end-to-end: train, watch and stop a cpu-demo run in code-server (workspace ${ws})`);

  await check("the workbench loads in the dark theme", async () => {
    await page.waitForSelector(".monaco-workbench.vs-dark", { timeout: 90_000 });
    // The explorer lists the workspace once the remote file system answers.
    await page.locator(".explorer-folders-view .monaco-list-row", { hasText: EXAMPLE }).waitFor({ timeout: 60_000 });
  });

  await check("Quick Open opens the example in an editor", async () => {
    await page.keyboard.press("Control+P");
    await page.locator(".quick-input-widget input").waitFor({ state: "visible", timeout: 15_000 });
    await page.keyboard.type(EXAMPLE);
    await page.locator(".quick-input-list .monaco-list-row", { hasText: EXAMPLE }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press("Enter");
    await page.locator(`.tabs-container .tab.active[aria-label^="${EXAMPLE}"]`).waitFor({ timeout: 20_000 });
    await page.locator(".monaco-editor .view-lines", { hasText: "Solve for" }).waitFor({ timeout: 20_000 });
  });

  const runsRoot = path.join(ws, ".oneshot", "runs");
  let runId;
  await check("the command palette's Train on This Example starts a run", async () => {
    // The extension activates on the example's language; its commands appear in the palette then.
    await palette(page, "One-Shot RLVR: Train on This Example", "Train on This Example");
    const deadline = Date.now() + 60_000;
    while (!(runId = existsSync(runsRoot) ? readdirSync(runsRoot)[0] : undefined)) {
      if (Date.now() > deadline) throw new Error(`no run directory appeared under ${runsRoot}`);
      await sleep(250);
    }
    if (!runId.endsWith("equations-e2e")) throw new Error(`unexpected run id ${runId}`);
  });
  const runDir = path.join(runsRoot, runId);

  await check("the run reports its start-up phases (starting, loading, evaluating) until its first step", async () => {
    const events = () =>
      (existsSync(path.join(runDir, "events.jsonl")) ? readFileSync(path.join(runDir, "events.jsonl"), "utf8") : "")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    // The dashboard opened with the run: while the run starts up its header shows the phase. On a fast
    // machine the phases can pass before the webview is up, so the screenshot is taken when it can be;
    // the event log is what is checked.
    let shown = false;
    await waitUntil(
      async () => {
        if (!shown && (await dashboard(page).locator('body[data-run-phase]:not([data-run-phase=""])').count().catch(() => 0))) {
          shown = true;
          await shot("dark-dashboard-startup");
        }
        return events().some((e) => e.type === "step");
      },
      150_000,
      "the run's first step",
    );
    const phases = events().filter((e) => e.type === "phase").map((e) => e.phase);
    for (const want of ["starting", "loading", "evaluating", "training"]) {
      if (!phases.includes(want)) throw new Error(`no ${want} phase in the event log: ${phases.join(", ")}`);
    }
    if (!shown) console.log("    (the start-up phases passed before the dashboard showed them: no screenshot this time)");
  });

  await check("the Runs view lists the run as running", async () => {
    const row = runRow(page, runId);
    await row.waitFor({ timeout: 60_000 });
    await row.locator(".codicon-sync").waitFor({ timeout: 60_000 });
    // Its description counts steps of the 200 the front matter asked for.
    await row.filter({ hasText: /step \d+\/200/ }).waitFor({ timeout: 60_000 });
  });

  const view = dashboard(page);
  await check("the dashboard opens on the run and draws a reward curve from real steps", async () => {
    await view.locator('body[data-run-status="running"]').waitFor({ state: "attached", timeout: 60_000 });
    await view.locator(".run-header", { hasText: runId }).waitFor({ timeout: 30_000 });
    // At least two trained steps drawn, and the reward chart's uPlot canvas sized and present.
    await waitUntil(
      async () => Number((await view.locator(".chart-grid").getAttribute("data-drawn-points").catch(() => null)) ?? 0) >= 2,
      150_000,
      "the chart grid to draw two steps",
    );
    const reward = view.locator('[data-chart="reward"] canvas');
    await reward.first().waitFor({ timeout: 10_000 });
    const box = await reward.first().boundingBox();
    if (!box || box.width < 100 || box.height < 50) throw new Error(`the reward canvas is ${JSON.stringify(box)}`);
    // Hovering the plot makes uPlot's live legend show the values under the cursor: the train
    // reward series has a number there, so the curve has data (not just axes).
    // The right edge is the latest step (step 0 has only the evaluation).
    const over = view.locator('[data-chart="reward"] .u-over');
    const size = await over.boundingBox();
    await over.hover({ position: { x: size.width - 3, y: size.height / 2 } });
    await waitUntil(
      // With 0/1 rewards the one line is "train reward = accuracy" (accuracy equals the reward).
      async () => /train reward(?: = accuracy)?\s*-?\d/.test(await view.locator('[data-chart="reward"] .u-legend').innerText()),
      5_000,
      "a train reward value in the reward chart's legend",
    ).catch(async (e) => {
      throw new Error(`${e.message}; legend: ${await view.locator('[data-chart="reward"] .u-legend').innerText()}`);
    });
    await sleep(500);
    await shot("dark-dashboard-charts");
  });

  await check("the rollout viewer lists the step's rollouts with rewards", async () => {
    await view.locator("vscode-tab-header[data-tab=rollouts]").click();
    await view.locator("article.rollout").first().waitFor({ timeout: 30_000 });
    const n = await view.locator("article.rollout").count();
    if (n < 2) throw new Error(`only ${n} rollout(s) listed`);
    const text = await view.locator("article.rollout").first().innerText();
    if (!/reward/i.test(text)) throw new Error(`a rollout shows no reward: ${text.slice(0, 200)}`);
    await sleep(500);
    await shot("dark-dashboard-rollouts");
  });

  await check("Stop in the dashboard stops the run: dashboard, Runs view and status file say stopped", async () => {
    const status = () => readFileSync(path.join(runDir, "status"), "utf8").trim();
    if (status() !== "running") throw new Error(`the run is ${status()} before Stop, not running (make it longer)`);
    await view.locator(".run-header vscode-button", { hasText: "Stop" }).click();
    await view.locator('body[data-run-status="stopped"]').waitFor({ state: "attached", timeout: 60_000 });
    await runRow(page, runId).locator(".codicon-debug-stop").waitFor({ timeout: 30_000 });
    if (status() !== "stopped") throw new Error(`status file says ${status()}`);
    await waitUntil(async () => processesUnder(runDir).length === 0, 30_000, "the run's processes to exit");
    await sleep(500);
    await shot("dark-after-stop");
  });

  await check("switching to the light theme restyles the workbench and the dashboard", async () => {
    // "Browse Color Themes in Marketplace" ranks above it: click the entry itself.
    await page.keyboard.press("F1");
    await page.locator(".quick-input-widget input").waitFor({ state: "visible", timeout: 15_000 });
    await page.keyboard.type("Preferences: Color Theme");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: /^Preferences: Color Theme/ }).click({ timeout: 15_000 });
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "Dark Modern" }).first().waitFor({ timeout: 15_000 });
    // The picker names it "Light Modern" (the setting's value keeps its old "Default …" name).
    await page.keyboard.type("Light Modern");
    await page.locator(".quick-input-list .monaco-list-row.focused", { hasText: "Light Modern" }).waitFor({ timeout: 15_000 });
    await page.keyboard.press("Enter");
    await page.waitForSelector(".monaco-workbench.vs:not(.vs-dark)", { timeout: 30_000 });
    await view.locator("body.vscode-light").waitFor({ state: "attached", timeout: 30_000 });
    await view.locator("vscode-tab-header[data-tab=charts]").click();
    await view.locator('[data-chart="reward"] canvas').first().waitFor({ timeout: 10_000 });
    await sleep(1000);
    await shot("light-dashboard-charts");
    // Expand the run (its twistie: clicking the row itself opens the dashboard and takes focus).
    await runRow(page, runId).locator(".monaco-tl-twistie").click();
    await page.locator(".part.sidebar .monaco-list-row", { hasText: "Config" }).waitFor({ timeout: 10_000 });
    await sleep(800);
    await shot("light-runs-view");
  });

  await check("Try the Model from the dashboard: the stopped run's checkpoint and its base model answer side by side, with verdicts", async () => {
    await view.locator(".run-header vscode-button", { hasText: "Try the Model" }).click();
    // A second webview now: find the one that holds the Try panel.
    let tryView;
    await waitUntil(
      async () => {
        const frames = page.frameLocator("iframe.webview.ready");
        const n = await page.locator("iframe.webview.ready").count();
        for (let i = 0; i < n; i++) {
          const f = frames.nth(i).frameLocator("#active-frame");
          if (await f.locator('[data-testid="ask"]').count().catch(() => 0)) tryView = f;
        }
        return tryView !== undefined;
      },
      60_000,
      "the Try the Model panel",
    );
    await tryView.locator('body[data-last-message="problems"]').waitFor({ state: "attached", timeout: 60_000 });
    // The run's own example: its problem and answer fill in; a short answer keeps the test quick.
    // (runs in the page, where Event is the page's own)
    await tryView.locator('[data-testid="problem-choice"]').evaluate((e) => {
      e.value = "example";
      e.dispatchEvent(new e.ownerDocument.defaultView.Event("change"));
    });
    const answer = await tryView.locator('[data-testid="answer"]').evaluate((e) => e.value);
    if (!answer) throw new Error("picking the run's example filled no reference answer");
    await tryView.locator('vscode-textfield[aria-label="Max tokens"]').first().evaluate((e) => {
      e.value = "96";
    });
    await tryView.locator('[data-testid="ask"]').click();
    // First use exports both models to ONNX (Python), then both stream through onnxruntime-node.
    await tryView.locator('[data-testid="verdict-model"]').waitFor({ timeout: 240_000 });
    await tryView.locator('[data-testid="verdict-base"]').waitFor({ timeout: 60_000 });
    await tryView.locator('body[data-busy="false"]').waitFor({ state: "attached", timeout: 60_000 });
    const texts = await tryView.locator(".try-text").allTextContents();
    if (texts.length !== 2 || texts.some((t) => t.trim().length < 5)) throw new Error(`answers: ${JSON.stringify(texts)}`);
    await sleep(500);
    await shot("light-try-panel");
  });

  await check("Open Report from the dashboard: the stopped run's report opens in an editor tab", async () => {
    // The Try panel took the editor area: bring the dashboard's tab back first.
    await page.locator(".tabs-container .tab", { hasText: `Run ${runId}` }).first().click();
    const board = await findWebview(page, ".run-header", "the dashboard");
    await board.locator(".run-header vscode-button", { hasText: "Open Report" }).click();
    const report = await findWebview(page, "h1", "the report view", /One-Shot RLVR report/);
    const text = await report.locator("body").innerText();
    if (!/Benchmarks: before and after/.test(text)) throw new Error(`the report has no before/after section: ${text.slice(0, 300)}`);
    await sleep(800);
    await shot("light-report-view");
  });

  console.log(`  (${((Date.now() - t0) / 1000).toFixed(0)} s; screenshots in ${path.relative(root, artifacts)})`);
}

/** The visible webview whose page has `selector` (with `text`, if given), among all the open ones. */
async function findWebview(page, selector, what, text) {
  let found;
  await waitUntil(
    async () => {
      const n = await page.locator("iframe.webview.ready").count();
      for (let i = 0; i < n && !found; i++) {
        const f = page.frameLocator("iframe.webview.ready").nth(i).frameLocator("#active-frame");
        const hit = text ? f.locator(selector, { hasText: text }) : f.locator(selector);
        // Visible only: a hidden editor tab keeps its webview (retained context), and a click there waits forever.
        if (await hit.first().isVisible().catch(() => false)) found = f;
      }
      return found !== undefined;
    },
    60_000,
    what,
  );
  return found;
}

async function waitUntil(pred, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(300);
  }
}

function finish(code) {
  const passed = results.filter((r) => r.ok).length;
  const bad = results.length - passed + (code && results.every((r) => r.ok) ? 1 : 0);
  console.log(`${passed} passed, ${bad} failed`);
  process.exit(code);
}

const timeoutMs = Number(opts.timeout) * 1000;
const timer = setTimeout(async () => {
  console.log(`FAILED: the end-to-end test ran past ${opts.timeout} s`);
  failed = true;
  // Cleanup itself must not hang the CI job.
  setTimeout(() => finish(1), 30_000).unref();
  await cleanup();
  finish(1);
}, timeoutMs);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    console.log(`interrupted (${sig}): stopping code-server, the browser and the run`);
    failed = true;
    await cleanup();
    finish(130);
  });
}

let code = 0;
try {
  await main();
} catch (e) {
  failed = true;
  if (!e.reported) console.log(`FAILED: ${e.message}`);
  code = 1;
} finally {
  clearTimeout(timer);
  await cleanup();
}
finish(failed ? 1 : code);
