/// <reference lib="dom" />
// Loads the built dashboard webview in a real Chromium (playwright-core + Debian's chromium) under
// the same CSP page VS Code gets, with a shim for acquireVsCodeApi. The page talks to a real
// DashboardSession over Playwright bindings, so the extension side's protocol handling runs too.
// Used by test/webview/*.test.ts and bench/dashboard/bench.ts.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { dashboardHtml } from "../../src/core/monitor/dashboardHtml";
import type { RunRegistry } from "../../src/core/monitor/registry";
import { DashboardSession, type SessionHost } from "../../src/core/monitor/session";
import type { ExtensionToWebview, WebviewToExtension } from "../../src/protocol/messages";

const ROOT = path.resolve(import.meta.dirname, "../..");
const TYPES: Record<string, string> = {
  ".js": "text/javascript",
  ".css": "text/css",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".ttf": "font/ttf",
  ".map": "application/json",
  ".html": "text/html",
};

export function chromiumPath(): string {
  const p = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(p)) throw new Error(`Chromium not found at ${p}: install Debian's chromium (apt-get install chromium).`);
  return p;
}

/** Builds the bundles once per process (the webview bundle is what the page loads). */
let built = false;
export function buildOnce(): void {
  if (built || process.env.DASHBOARD_SKIP_BUILD) return;
  const r = spawnSync(process.execPath, ["esbuild.mjs"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`esbuild failed:\n${r.stderr}`);
  built = true;
}

export interface Harness {
  server: Server;
  origin: string;
  browser: Browser;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  buildOnce();
  const nonce = "test-nonce-0123456789abcdef";
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const origin = `http://${req.headers.host}`;
    if (url.pathname === "/" || url.pathname === "/try") {
      // "/try": the "Try the Model" panel's page (same CSP page, its own bundle).
      const bundle = url.pathname === "/try" ? "try" : "webview";
      res.writeHead(200, { "content-type": "text/html" });
      res.end(
        dashboardHtml({
          cspSource: origin,
          nonce,
          scriptUri: `${origin}/dist/${bundle}.js`,
          styleUri: `${origin}/dist/${bundle}.css`,
          preScripts: [`${origin}/fixtures/shim.js`],
          extraStyles: [`${origin}/fixtures/theme.css`],
        }),
      );
      return;
    }
    const base = url.pathname.startsWith("/dist/") ? ROOT : url.pathname.startsWith("/fixtures/") ? path.join(ROOT, "test/webview") : "";
    const file = path.join(base, path.normalize(url.pathname));
    if (!base || !file.startsWith(base) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox", "--disable-gpu"] });
  return {
    server,
    origin,
    browser,
    close: async () => {
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface OpenDashboard {
  page: Page;
  session: DashboardSession;
  /** What the session sent, in order. */
  sent: ExtensionToWebview[];
  commands: string[];
  /** Uncaught exceptions in the page. */
  errors: string[];
  /** Resolves when the page has handled every message sent so far. */
  settled(): Promise<void>;
}

/** Opens the dashboard of `runDir` in a new page, connected to a DashboardSession. */
export async function openDashboard(
  h: Harness,
  registry: RunRegistry,
  runDir: string,
  opts: { theme?: "light" | "dark" | "high-contrast"; width?: number; height?: number; throttleMs?: number } = {},
): Promise<OpenDashboard> {
  const page = await h.browser.newPage({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 } });
  // Generous: these tests share loaded CI machines, and KaTeX pages take a while there.
  page.setDefaultTimeout(60_000);
  const sent: ExtensionToWebview[] = [];
  const commands: string[] = [];
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  let queue: Promise<unknown> = Promise.resolve();
  const host: SessionHost = {
    send: (m) => {
      sent.push(m);
      // In order and as JSON text, like VS Code's postMessage (Playwright's own serialisation of
      // a large object argument would dominate the timings).
      const json = JSON.stringify(m);
      queue = queue.then(() => page.evaluate((s) => window.postMessage(JSON.parse(s), "*"), json)).catch(() => undefined);
    },
    command: (c) => commands.push(c),
    export: (f) => commands.push(`export:${f}`),
    error: (msg) => commands.push(`error:${msg}`),
  };
  const session = new DashboardSession(registry, runDir, host, opts.throttleMs ?? 50);
  await page.exposeBinding("__toHost", (_src, m: WebviewToExtension) => session.handle(m));
  await page.goto(`${h.origin}/?theme=${opts.theme ?? "dark"}`);
  return { page, session, sent, commands, errors, settled: () => queue.then(() => undefined) };
}
