// Dashboard webview entry. Announces itself with `ready` (the handshake the extension waits for
// before sending state), then keeps the run's series as `update` deltas arrive and draws them.
import "./startMark";
import "@vscode-elements/elements/dist/vscode-badge/index.js";
import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-checkbox/index.js";
import "@vscode-elements/elements/dist/vscode-option/index.js";
import "@vscode-elements/elements/dist/vscode-progress-bar/index.js";
import "@vscode-elements/elements/dist/vscode-single-select/index.js";
import "@vscode-elements/elements/dist/vscode-tab-header/index.js";
import "@vscode-elements/elements/dist/vscode-tab-panel/index.js";
import "@vscode-elements/elements/dist/vscode-tabs/index.js";
import "./style.css";
import { applyDelta, emptySeries, type SeriesData } from "../src/protocol/series";
import type { ExtensionToWebview, RunChoice } from "../src/protocol/messages";
import { trainingLine } from "../src/core/example/lora";
import { getState, post, saveState } from "./api";
import { ChartGrid, type Overlay } from "./charts";
import { el } from "./dom";
import { RunHeader } from "./header";
import { LogTab } from "./logTab";
import { ResultsView } from "./results";
import { RolloutViewer } from "./rollouts";
import { onThemeChange } from "./theme";

window.addEventListener("error", (e) => {
  // Chromium reports a ResizeObserver callback that resized observed boxes as an error; benign.
  if (String(e.message).startsWith("ResizeObserver loop")) return;
  post({ type: "error", message: String(e.message) });
});
window.addEventListener("unhandledrejection", (e) => post({ type: "error", message: String(e.reason) }));

const TABS = ["charts", "rollouts", "results", "config", "log"] as const;
const state = getState();
const series: SeriesData = emptySeries();
let overlay: Overlay | null = null;
let smoothing = state.smoothing ?? 0.6;
let runDir = "";

const app = document.getElementById("app")!;
app.replaceChildren();

// Toolbar of the charts tab: smoothing, comparison run, export.
const smoothingInput = el("input", {
  type: "range",
  min: "0",
  max: "0.99",
  step: "0.01",
  value: String(smoothing),
  "aria-label": "Smoothing",
});
const smoothingValue = el("span", { class: "dim" }, [smoothing.toFixed(2)]);
const compare = el("vscode-single-select", { "aria-label": "Compare with" }) as HTMLElement & { value: string };
const compareLegend = el("span", { class: "compare-legend", hidden: "" });
const exportCsv = el("vscode-button", { secondary: "" }, ["Export CSV"]);
const exportJson = el("vscode-button", { secondary: "" }, ["Export JSON"]);

const headerRoot = el("header", { class: "run-header" });
const header = new RunHeader(headerRoot, [exportCsv, exportJson]);
const chartsRoot = el("div");
let reported = -1;
const charts = new ChartGrid(chartsRoot, (points) => {
  if (points !== reported) post({ type: "rendered", points });
  reported = points;
});
const rolloutsRoot = el("div", { class: "rollouts" });
const viewer = new RolloutViewer(rolloutsRoot);
const resultsRoot = el("div", { class: "results" });
const results = new ResultsView(resultsRoot);
let resultsAsked = false;
const configRoot = el("div", { class: "config" });
const logRoot = el("div", { class: "log" });
const logTab = new LogTab(logRoot);

const tabs = el("vscode-tabs", { "selected-index": String(Math.max(0, TABS.indexOf((state.tab ?? "charts") as never))) }, [
  el("vscode-tab-header", { slot: "header", "data-tab": "charts" }, ["Charts"]),
  el("vscode-tab-panel", {}, [
    el("div", { class: "toolbar" }, [
      el("label", {}, ["Smoothing ", smoothingInput, smoothingValue]),
      el("label", {}, ["Compare with ", compare]),
      compareLegend,
    ]),
    chartsRoot,
  ]),
  el("vscode-tab-header", { slot: "header", "data-tab": "rollouts" }, ["Rollouts"]),
  el("vscode-tab-panel", {}, [rolloutsRoot]),
  el("vscode-tab-header", { slot: "header", "data-tab": "results" }, ["Results"]),
  el("vscode-tab-panel", {}, [resultsRoot]),
  el("vscode-tab-header", { slot: "header", "data-tab": "config" }, ["Config"]),
  el("vscode-tab-panel", {}, [configRoot]),
  el("vscode-tab-header", { slot: "header", "data-tab": "log" }, ["Log"]),
  el("vscode-tab-panel", {}, [logRoot]),
]);
app.append(headerRoot, tabs);

function selectTab(index: number): void {
  const tab = TABS[index] ?? "charts";
  document.body.dataset.tab = tab;
  saveState({ tab });
  viewer.setVisible(tab === "rollouts");
  askResults();
}

/** Results are read from the whole log: asked for once the tab is shown (the extension then keeps them current). */
function askResults(): void {
  if (resultsAsked || document.body.dataset.tab !== "results" || !runDir) return;
  resultsAsked = true;
  post({ type: "requestResults" });
}
tabs.addEventListener("vsc-tabs-select", (e) => selectTab((e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex));
selectTab(Math.max(0, TABS.indexOf((state.tab ?? "charts") as never)));

smoothingInput.addEventListener("input", () => {
  smoothing = Number(smoothingInput.value);
  smoothingValue.textContent = smoothing.toFixed(2);
  saveState({ smoothing });
  charts.set(series, overlay, smoothing);
});
compare.addEventListener("change", () => {
  const runDir = compare.value || null;
  saveState({ overlay: runDir });
  post({ type: "setOverlay", runDir });
});
exportCsv.addEventListener("click", () => post({ type: "export", format: "csv" }));
exportJson.addEventListener("click", () => post({ type: "export", format: "json" }));
onThemeChange(() => charts.restyle());

/** Which lines are which once a run is compared: this run solid, the other dashed in contrasting colours. */
function showCompareLegend(): void {
  compareLegend.hidden = !overlay;
  if (!overlay) return;
  compareLegend.replaceChildren(
    el("span", { class: "swatch" }),
    "this run",
    el("span", { class: "swatch dashed" }),
    `${overlay.label} (dashed, contrasting colours)`,
  );
}

function setRuns(runs: RunChoice[], self: string): void {
  const current = compare.value;
  compare.replaceChildren(
    el("vscode-option", { value: "" }, ["No comparison"]),
    ...runs.filter((r) => r.runDir !== self).map((r) => el("vscode-option", { value: r.runDir }, [`${r.runId} (${r.status})`])),
  );
  compare.value = runs.some((r) => r.runDir === current) ? current : "";
}

/** config.json's `settings.kl_coef`, when the config has one. */
function klCoefOf(config: unknown): number | undefined {
  const settings = (config as { settings?: { kl_coef?: unknown } } | undefined)?.settings;
  return typeof settings?.kl_coef === "number" ? settings.kl_coef : undefined;
}

function setConfig(config: unknown, trainingPrompt: string | undefined): void {
  charts.setContext({ klCoef: klCoefOf(config) });
  // The prompt arrives with run_started, after the engine formatted it with the chat template.
  const prompt = [
    el("h3", {}, ["Training prompt"]),
    trainingPrompt === undefined
      ? el("p", { class: "empty" }, ["Shown once the engine has formatted it (at the start of the run)."])
      : el("pre", { class: "training-prompt" }, [trainingPrompt]),
  ];
  // Full fine-tuning or LoRA, and the lr with the rule that derived it (a LoRA run's 10×).
  const training = trainingLine(config);
  if (training) prompt.push(el("h3", {}, ["Training"]), el("p", { class: "training-method" }, [training]));
  prompt.push(el("h3", {}, ["config.json"]));
  configRoot.replaceChildren(
    ...prompt,
    config === undefined
      ? el("p", { class: "empty" }, ["This run has no readable config.json."])
      : el("pre", { class: "config-json" }, [JSON.stringify(config, null, 2)]),
  );
}

window.addEventListener("message", (e: MessageEvent<ExtensionToWebview>) => {
  const m = e.data;
  switch (m.type) {
    case "init":
      performance.mark("oneshot:init");
      runDir = m.run.runDir;
      saveState({ runDir });
      askResults();
      header.set(m.run);
      setConfig(m.config, m.trainingPrompt);
      setRuns(m.runs, runDir);
      applyDelta(series, m.series);
      viewer.addSteps(m.rolloutSteps, true);
      charts.set(series, overlay, smoothing);
      if (state.overlay) {
        compare.value = state.overlay;
        post({ type: "setOverlay", runDir: state.overlay });
      }
      break;
    case "update":
      header.set(m.run);
      applyDelta(series, m.series);
      if (m.rolloutSteps.length || m.series.reset) viewer.addSteps(m.rolloutSteps, m.series.reset);
      charts.set(series, overlay, smoothing);
      break;
    case "config":
      setConfig(m.config, m.trainingPrompt);
      break;
    case "runs":
      setRuns(m.runs, runDir);
      break;
    case "rollouts":
      viewer.onPage(m.requestId, m.page);
      break;
    case "log":
      logTab.add(m.reset, m.events, m.controller);
      break;
    case "results":
      results.set(m.results, m.error);
      break;
    case "overlay":
      if (!m.runId || !m.series) overlay = null;
      else if (m.series.reset || !overlay) overlay = { label: m.runId, series: applyDelta(emptySeries(), m.series) };
      else applyDelta(overlay.series, m.series);
      showCompareLegend();
      charts.set(series, overlay, smoothing);
      break;
  }
  document.body.dataset.lastMessage = m.type;
});

performance.mark("oneshot:ready");
post({ type: "ready" });
