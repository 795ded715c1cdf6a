// Scale benchmark of the run monitor: a generated 2,000-step run with 100k recorded rollouts.
// Measures the Node side (scan + incremental read + reduce + the init message) and the browser
// side (the real webview in Chromium: first render of all charts, first rollout page, and frame
// timing while the run is appended to live). Writes bench/results/dashboard-<date>.json.
//
// Build first (`node esbuild.mjs --production` for the shipped, minified webview; set
// DASHBOARD_SKIP_BUILD=1 so the harness does not rebuild it unminified).
//   npx tsx bench/dashboard/bench.ts [--steps 2000] [--rollouts 50] [--live-steps 100] [--live-ms 100]
import { cpus, loadavg, totalmem } from "node:os";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { RunRegistry } from "../../src/core/monitor/registry";
import { newCursor } from "../../src/core/monitor/reducer";
import { compactDelta } from "../../src/core/monitor/session";
import { appendSteps, RunGenerator, writeRun } from "./genlog";
import { chromiumPath, openDashboard, startHarness } from "../../test/webview/harness";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "2000" },
    rollouts: { type: "string", default: "50" },
    "live-steps": { type: "string", default: "100" },
    "live-ms": { type: "string", default: "100" },
    out: { type: "string" },
  },
});
const steps = Number(values.steps);
const perStep = Number(values.rollouts);
const liveSteps = Number(values["live-steps"]);
const liveMs = Number(values["live-ms"]);
const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
const pctl = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] * 10) / 10 : null;
};

async function main(): Promise<void> {
  const loadStart = Math.round(loadavg()[0] * 10) / 10;
  const root = path.join(tmpdir(), `oneshot-dashboard-bench-${steps}x${perStep}`);
  const dir = path.join(root, "big-run");
  let t0 = performance.now();
  const gen = writeRun(dir, { steps, totalSteps: steps + liveSteps, rolloutsPerStep: perStep, status: "running" });
  const genMs = ms(t0);
  const bytes = statSync(path.join(dir, "events.jsonl")).size;
  console.log(`generated ${steps} steps × ${perStep} rollouts: ${(bytes / 1e6).toFixed(1)} MB in ${genMs} ms`);

  // Node side, in a fresh registry as after a window reload (the file is in the page cache).
  t0 = performance.now();
  const registry = new RunRegistry();
  registry.setRoots([root]);
  const scanMs = ms(t0);
  const run = registry.get(dir)!;
  t0 = performance.now();
  const init = compactDelta(run.model.deltaSince(newCursor()));
  const initJson = JSON.stringify({ type: "init", series: init, rolloutSteps: run.model.rolloutSteps() });
  const initMs = ms(t0);
  t0 = performance.now();
  const page = run.rolloutPage(steps, "all", 0, 20)!;
  const pageMs = ms(t0);
  const rolloutsIndexed = [...run.model.rollouts.values()].reduce((n, refs) => n + refs.length, 0) * perStep;
  console.log(`node: scan+reduce ${scanMs} ms, init message ${initMs} ms (${(initJson.length / 1e3).toFixed(0)} kB), rollout page ${pageMs} ms`);

  // Browser side.
  const h = await startHarness();
  try {
    // Three cold opens (a new page each, as after a reload); the last one stays for the live part.
    const opens: { wallMs: number; marks: Record<string, number> }[] = [];
    let d!: Awaited<ReturnType<typeof openDashboard>>;
    for (let i = 0; i < 3; i++) {
      if (d) {
        await d.page.close();
        d.session.dispose();
      }
      t0 = performance.now();
      // The extension's own update throttle (200 ms), a typical editor-sized viewport.
      d = await openDashboard(h, registry, dir, { theme: "dark", width: 1280, height: 900, throttleMs: 200 });
      await d.page.waitForSelector(`.chart-grid[data-drawn-points="${steps}"]`, { timeout: 60_000 });
      const wallMs = ms(t0);
      opens.push({ wallMs, marks: await marksOf(d.page) });
    }
    const openMs = pctl(opens.map((o) => o.wallMs), 0.5)!;
    const drawMs = pctl(opens.map((o) => o.marks["oneshot:first-draw"]), 0.5)!;
    const marks = opens.map((o) => o.marks);
    console.log(`browser: open → all charts drawn, median of 3: ${openMs} ms wall, ${drawMs} ms in page; marks ${JSON.stringify(marks)}`);

    t0 = performance.now();
    await d.page.locator("vscode-tab-header[data-tab=rollouts]").click();
    await d.page.waitForSelector(`.rv-list[data-step="${steps}"][data-count="20"]`, { state: "attached" });
    const rolloutTabMs = ms(t0);
    const rm = await marksOf(d.page);
    const rolloutRenderMs = rm["oneshot:rollouts-rendered"] - rm["oneshot:rollouts-request"];
    await d.page.locator("vscode-tab-header[data-tab=charts]").click();

    // Live: append a step every liveMs while watching frames in the page.
    // A string, not a function: tsx would wrap named functions in a helper the page lacks.
    await d.page.evaluate(`(() => {
      window.__frames = []; window.__long = []; window.__stop = false;
      new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__long.push(e.duration))).observe({ type: "longtask" });
      const tick = (t) => { window.__frames.push(t); if (!window.__stop) requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    })()`);
    const refreshMs: number[] = [];
    const g = gen as RunGenerator;
    for (let i = 0; i < liveSteps; i++) {
      appendSteps(dir, g, 1);
      const r0 = performance.now();
      registry.refresh(dir);
      refreshMs.push(performance.now() - r0);
      await new Promise((r) => setTimeout(r, liveMs));
    }
    await d.page.waitForSelector(`.chart-grid[data-drawn-points="${steps + liveSteps}"]`, { timeout: 30_000 });
    const live = (await d.page.evaluate(`(() => {
      window.__stop = true;
      const draws = performance.getEntriesByName("oneshot:draw").map((m) => m.duration);
      return { gaps: window.__frames.slice(1).map((t, i) => t - window.__frames[i]), long: window.__long, draws: draws.slice(-50) };
    })()`)) as { gaps: number[]; long: number[]; draws: number[] };
    const result = {
      benchmark: "dashboard",
      date: new Date().toISOString(),
      command: `npx tsx bench/dashboard/bench.ts --steps ${steps} --rollouts ${perStep} --live-steps ${liveSteps} --live-ms ${liveMs}`,
      device: {
        cpu: cpus()[0]?.model ?? "unknown",
        cores: cpus().length,
        memory_gb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        chromium: execFileSync(chromiumPath(), ["--version"], { encoding: "utf8" }).trim(),
        load_average_1m_at_start: loadStart,
        note: "shared machine: other jobs ran on the same 2 cores; headless Chromium, software rendering",
      },
      webview_bundle_bytes: statSync(path.resolve(import.meta.dirname, "../../dist/webview.js")).size,
      log: { steps, rollouts_per_step: perStep, rollouts_total: rolloutsIndexed, bytes, generate_ms: genMs },
      node: {
        scan_and_reduce_ms: scanMs,
        init_message_ms: initMs,
        init_message_bytes: initJson.length,
        rollout_page_ms: pageMs,
        rollout_page_size: page.rollouts.length,
      },
      browser: {
        open_to_all_charts_drawn_wall_ms_median: openMs,
        navigation_to_first_draw_ms_median: drawMs,
        first_render_total_ms: Math.round((scanMs + initMs + drawMs) * 10) / 10,
        first_render_definition: "node scan+reduce + init message + (in page) navigation start → the charts on screen (1280×900 viewport) drawn",
        marks_ms_since_navigation: marks,
        rollout_tab_click_to_page_wall_ms: rolloutTabMs,
        rollout_page_request_to_rendered_ms: rolloutRenderMs,
      },
      live: {
        appended_steps: liveSteps,
        append_interval_ms: liveMs,
        node_refresh_ms_p50: pctl(refreshMs, 0.5),
        node_refresh_ms_max: pctl(refreshMs, 1),
        frame_interval_ms_p50: pctl(live.gaps, 0.5),
        frame_interval_ms_p95: pctl(live.gaps, 0.95),
        frame_interval_ms_max: pctl(live.gaps, 1),
        chart_draw_ms_p50: pctl(live.draws, 0.5),
        chart_draw_ms_max: pctl(live.draws, 1),
        long_tasks: live.long.length,
        long_task_ms_max: pctl(live.long, 1),
      },
      target: { first_render_ms: 2000 },
    };
    console.log(JSON.stringify(result, null, 2));
    const outDir = path.resolve(import.meta.dirname, "../results");
    mkdirSync(outDir, { recursive: true });
    const out = values.out ?? path.join(outDir, `dashboard-${result.date.slice(0, 10)}.json`);
    writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
    console.log(`recorded ${out}`);
    await d.page.close();
    d.session.dispose();
  } finally {
    await h.close();
  }
  if (!existsSync(dir)) throw new Error("the bench run vanished");
}

// Marks the webview sets (script start, ready, init received, first draw) and load timings, in ms
// since navigation start.
async function marksOf(page: import("playwright-core").Page): Promise<Record<string, number>> {
  return (await page.evaluate(
      `(() => {
        const out = Object.fromEntries(performance.getEntriesByType("mark").map((m) => [m.name, Math.round(m.startTime)]));
        const nav = performance.getEntriesByType("navigation")[0];
        out.html_loaded = Math.round(nav.responseEnd);
        for (const r of performance.getEntriesByType("resource"))
          if (r.name.endsWith("webview.js") || r.name.endsWith("webview.css")) out[r.name.split("/").pop() + "_loaded"] = Math.round(r.responseEnd);
        out.dom_content_loaded = Math.round(nav.domContentLoadedEventEnd);
        return out;
      })()`,
    )) as Record<string, number>;
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
