// Opens code-server's workbench in Chromium (driven by playwright-core) with an extension under
// development and a test module, and waits for the workbench to report the tests' exit code.
// The `payload` query is honoured only when code-server runs with enable-smoke-test-driver; the
// workbench then calls window.codeAutomationLog for each log line (the extension host's console
// included) and window.codeAutomationExit(code, logs) once the test module's run() settles.
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { clearTimeout, setTimeout } from "node:timers";
import { URLSearchParams } from "node:url";
import { chromium } from "playwright-core";

export const REPORT_PREFIX = "[oneshot-test] ";

export function workbenchUrl(baseUrl, { folder, extensionDevelopmentPath, extensionTestsPath }) {
  const authority = new URL(baseUrl).host;
  const remote = (p) => `vscode-remote://${authority}${p}`;
  const payload = [
    ["extensionDevelopmentPath", remote(extensionDevelopmentPath)],
    ["extensionTestsPath", remote(extensionTestsPath)],
  ];
  const query = new URLSearchParams({ folder, payload: JSON.stringify(payload) });
  return `${baseUrl}/?${query}`;
}

/**
 * Runs one test session. Resolves with { exitCode, timedOut, result, logLines, loadSeconds,
 * runSeconds } where `result` is the suite's RESULT line ({passed, failed, pending}) or null when
 * none arrived.
 * `onTestLine` receives each line the suite reported; every log line goes to `logLines`.
 */
export async function runInWorkbench({
  executablePath,
  url,
  timeoutMs,
  screenshot,
  logDir,
  onTestLine,
}) {
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage"],
  });
  const logLines = [];
  // Screenshots a test asked for mid-run (a line `SCREENSHOT <name>`), awaited before the final one.
  const shots = [];
  let result = null;
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    let finish;
    const exited = new Promise((resolve) => (finish = resolve));
    await page.exposeFunction("codeAutomationLog", (level, message) => {
      for (const line of String(message).split("\n")) {
        logLines.push(`[${level}] ${line}`);
        const at = line.indexOf(REPORT_PREFIX);
        if (at < 0) continue;
        const text = line.slice(at + REPORT_PREFIX.length);
        if (text.startsWith("RESULT ")) result = parseResult(text.slice(7));
        else if (text.startsWith("SCREENSHOT ")) shots.push(takeScreenshot(page, screenshot, text.slice(11), logLines));
        else onTestLine(text);
      }
    });
    await page.exposeFunction("codeAutomationExit", (code, logs) => finish({ code, logs }));
    page.on("pageerror", (e) => logLines.push(`[pageerror] ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") logLines.push(`[console.error] ${m.text()}`);
    });

    const t0 = Date.now();
    await page.goto(url);
    const loadSeconds = (Date.now() - t0) / 1000;
    let timer;
    const outcome = await Promise.race([
      exited,
      new Promise((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs))),
    ]);
    clearTimeout(timer);
    await Promise.all(shots);
    await page.screenshot({ path: screenshot }).catch((e) => logLines.push(`[harness] no screenshot: ${e.message}`));
    if (outcome?.logs) saveLogs(logDir, outcome.logs);
    const runSeconds = (Date.now() - t0) / 1000 - loadSeconds;
    return { exitCode: outcome ? Number(outcome.code) : null, timedOut: !outcome, result, logLines, loadSeconds, runSeconds };
  } finally {
    writeFileSync(path.join(logDir, "workbench.log"), logLines.join("\n") + "\n");
    await browser.close().catch(() => {});
  }
}

function parseResult(json) {
  try {
    const r = JSON.parse(json);
    return Number.isInteger(r.passed) && Number.isInteger(r.failed) ? r : null;
  } catch {
    return null;
  }
}

/** The workbench hands over its log files (window, extension host, …) on exit; keep them. */
function saveLogs(logDir, logs) {
  for (const { relativePath, contents } of logs) {
    const target = path.join(logDir, relativePath);
    if (!target.startsWith(logDir + path.sep)) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, contents);
  }
}

/** Saves the page as it is now to <name>.png beside the session's final screenshot. */
function takeScreenshot(page, sessionShot, name, logLines) {
  const safe = name.trim().replace(/[^\w.-]/g, "_") || "screenshot";
  const file = path.join(path.dirname(sessionShot), `${safe}.png`);
  return page.screenshot({ path: file }).catch((e) => logLines.push(`[harness] no screenshot ${safe}: ${e.message}`));
}
