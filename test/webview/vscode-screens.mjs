// Screenshots of the run monitor in real VS Code (code-server), light and dark: the Runs view
// with runs in every state, the status bar, a live run's dashboard (charts, rollouts) and the
// Stop button taking effect. Uses the integration harness's code-server helpers
// (scripts/lib/code-server.mjs) and the run generator; a `genlog --live` process plays the
// controller. Writes test-artifacts/vscode/<theme>-*.png. Build first (node esbuild.mjs).
//
//   node test/webview/vscode-screens.mjs [--theme light|dark|both]
import { spawn } from "node:child_process";
import { setTimeout } from "node:timers";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath, URLSearchParams } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { codeServerFromCache, ensure, makeProfile, startCodeServer } from "../../scripts/lib/code-server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const out = path.join(root, "test-artifacts", "vscode");
const { values } = parseArgs({ options: { theme: { type: "string", default: "both" } } });
const themes = values.theme === "both" ? ["light", "dark"] : [values.theme];
const THEME = { light: "Default Light Modern", dark: "Default Dark Modern" };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function genlog(args, opts = {}) {
  return spawn(process.execPath, ["--import", "tsx", path.join(root, "bench/dashboard/genlog.ts"), ...args], {
    cwd: root,
    stdio: "ignore",
    ...opts,
  });
}

async function waitExit(child) {
  await new Promise((r) => child.once("exit", r));
}

async function main() {
  mkdirSync(out, { recursive: true });
  const cs = codeServerFromCache(ensure(path.join(root, "scripts/ensure-code-server.sh")));
  const tmp = mkdtempSync(path.join(os.tmpdir(), "oneshot-screens-"));
  const ws = path.join(tmp, "workspace");
  const runs = path.join(ws, ".oneshot", "runs");
  for (const [name, args] of [
    ["pi1-paper-recipe", ["--steps", "500", "--rollouts", "16", "--seed", "3"]],
    ["pi1-oom", ["--steps", "40", "--status", "failed", "--seed", "4"]],
    ["pi1-crashed", ["--steps", "90", "--status", "interrupted", "--seed", "5"]],
  ])
    await waitExit(genlog(["--out", path.join(runs, name), ...args]));
  const live = spawn(
    process.execPath,
    ["--import", "tsx", path.join(root, "bench/dashboard/genlog.ts"), "--out", path.join(runs, "pi1-live"), "--steps", "160", "--total", "2000", "--rollouts", "24", "--live", "1500"],
    { cwd: root, stdio: "ignore", detached: false },
  );
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
  try {
    await sleep(2000);
    for (const theme of themes) {
      const profile = makeProfile(path.join(tmp, `profile-${theme}`), { "workbench.colorTheme": THEME[theme] });
      const server = await startCodeServer(cs, profile, { logFile: path.join(tmp, `cs-${theme}.log`) });
      try {
        const authority = new URL(server.baseUrl).host;
        const payload = JSON.stringify([["extensionDevelopmentPath", `vscode-remote://${authority}${root}`]]);
        const url = `${server.baseUrl}/?${new URLSearchParams({ folder: ws, payload })}`;
        const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
        await page.goto(url);
        await page.waitForSelector(".monaco-workbench", { timeout: 90_000 });
        await page.locator('.activitybar [aria-label^="One-Shot RLVR"]').first().click();
        await page.waitForSelector('.monaco-list-row[aria-label*="pi1-live"]', { timeout: 60_000 });
        await page.locator('.monaco-list-row[aria-label*="pi1-paper-recipe"]').click();
        await page.keyboard.press("ArrowRight");
        await sleep(1500);
        await page.screenshot({ path: path.join(out, `${theme}-runs-view.png`) });

        // Command palette → Open Run Dashboard → pick the live run.
        await page.keyboard.press("F1");
        await page.keyboard.type("One-Shot RLVR: Open Run Dashboard");
        await sleep(800);
        await page.keyboard.press("Enter");
        await page.waitForSelector('.quick-input-list .monaco-list-row[aria-label*="pi1-live"]', { timeout: 20_000 });
        await page.keyboard.type("pi1-live");
        await sleep(500);
        await page.keyboard.press("Enter");
        const view = page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
        await view.locator(".chart-grid[data-drawn-points]").waitFor({ state: "attached", timeout: 60_000 });
        await sleep(2500);
        await page.screenshot({ path: path.join(out, `${theme}-dashboard-charts.png`) });
        await view.locator("vscode-tab-header[data-tab=rollouts]").click();
        await view.locator("article.rollout").first().waitFor({ timeout: 30_000 });
        await sleep(1500);
        await page.screenshot({ path: path.join(out, `${theme}-dashboard-rollouts.png`) });
        if (theme === themes.at(-1)) {
          await view.locator(".run-header vscode-button", { hasText: "Stop" }).click();
          await view.locator('body[data-run-status="stopped"]').waitFor({ state: "attached", timeout: 30_000 });
          await sleep(1500);
          await page.screenshot({ path: path.join(out, `${theme}-after-stop.png`) });
          const status = readFileSync(path.join(runs, "pi1-live", "status"), "utf8");
          if (status !== "stopped") throw new Error(`the live run's status is ${status}, not stopped`);
          console.log("stop: the dashboard's Stop button stopped the live run");
        }
        await page.close();
      } finally {
        await server.stop();
      }
    }
    console.log(`screenshots in ${out}`);
  } finally {
    await browser.close();
    if (live.exitCode === null) live.kill("SIGTERM");
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
