// The extension side of one dashboard, free of the editor API: answers the webview's handshake
// with the run's state, streams what the log appends (coalesced, so a fast writer cannot flood
// the webview), serves rollout pages on request and keeps an optional comparison run in step.
// src/vscode/dashboard.ts connects it to a WebviewPanel; the browser tests connect it to a page.
import type {
  ExportFormat,
  ExtensionToWebview,
  RunChoice,
  RunCommand,
  RunInfo,
  WebviewToExtension,
} from "../../protocol/messages";
import { newCursor, type SeriesCursor } from "./reducer";
import { METRIC_KEYS, type SeriesDelta } from "../../protocol/series";
import { collectReport } from "../report/collect";
import { runResults } from "../report/results";
import type { RunRegistry } from "./registry";
import { runFiles } from "../run/layout";
import { LogFeed } from "./logFeed";
import { recoveryFor } from "./recovery";
import type { RunTracker } from "./tracker";

export interface SessionHost {
  send(message: ExtensionToWebview): void;
  command(command: RunCommand, run: RunTracker): void;
  export(format: ExportFormat, run: RunTracker): void;
  error(message: string): void;
}

/** Most rollouts one page may carry, whatever the webview asks for. */
const MAX_PAGE = 100;

/**
 * Rounds metrics to 6 significant digits for the webview: charts cannot show more, and the
 * first message of a long run halves in size (exports read the full values from the log).
 */
export function compactDelta(d: SeriesDelta): SeriesDelta {
  const round = (v: number | null) => (v === null ? null : Number(v.toPrecision(6)));
  const metrics = { ...d.metrics };
  for (const k of METRIC_KEYS) metrics[k] = d.metrics[k].map(round);
  return { ...d, metrics, evals: d.evals.map((e) => ({ ...e, values: e.values.map((v) => Number(v.toPrecision(6))) })) };
}

export function runInfo(t: RunTracker): RunInfo {
  const headline = t.model.headline();
  const recovery = recoveryFor(t.status, t.dir, headline.checkpoints);
  return { runId: t.id, runDir: t.dir, status: t.status, headline, ...(recovery ? { recovery } : {}) };
}

export function runChoices(registry: RunRegistry): RunChoice[] {
  return registry.list().map((t) => ({ runDir: t.dir, runId: t.id, status: t.status }));
}

export class DashboardSession {
  readonly run: RunTracker;
  private ready = false;
  /** Steps the webview last reported drawn. */
  renderedPoints = 0;
  /** How many times a page said `ready` (a reloaded webview says it again). */
  handshakes = 0;
  private cursor: SeriesCursor = newCursor();
  private rolloutStepsSent = 0;
  private overlay?: { run: RunTracker; cursor: SeriesCursor };
  private timer?: ReturnType<typeof setTimeout>;
  private lastConfig?: unknown;
  private readonly logFeed: LogFeed;
  /** The Results tab asked: resend when an evaluation lands or the status changes. Key of the last sent. */
  private results?: { key: string };
  private readonly unsubscribe: () => void;

  constructor(
    private readonly registry: RunRegistry,
    runDir: string,
    private readonly host: SessionHost,
    private readonly throttleMs = 200,
  ) {
    this.run = registry.open(runDir);
    this.logFeed = new LogFeed(runFiles(this.run.dir).controllerLog);
    this.unsubscribe = registry.onChange((changed, structural) => {
      if (!this.ready) return;
      if (structural) this.host.send({ type: "runs", runs: runChoices(this.registry) });
      if (changed.includes(this.run) || (this.overlay && changed.includes(this.overlay.run))) this.schedule();
    });
  }

  handle(m: WebviewToExtension): void {
    switch (m.type) {
      case "ready":
        this.ready = true;
        this.handshakes++;
        this.renderedPoints = 0;
        // A new page: it asks for results again when it shows its Results tab.
        this.results = undefined;
        this.sendInit();
        break;
      case "requestRollouts": {
        const limit = Math.max(1, Math.min(MAX_PAGE, m.limit));
        let page = null;
        try {
          page = this.run.rolloutPage(m.step, m.filter, m.offset, limit) ?? null;
        } catch (e) {
          this.host.error(`Could not read the rollouts of step ${m.step}: ${(e as Error).message}`);
        }
        this.host.send({ type: "rollouts", requestId: m.requestId, page });
        break;
      }
      case "setOverlay":
        this.setOverlay(m.runDir);
        break;
      case "requestResults":
        this.results = { key: "" };
        this.sendResults();
        break;
      case "export":
        this.host.export(m.format, this.run);
        break;
      case "command":
        this.host.command(m.command, this.run);
        break;
      case "error":
        this.host.error(`Dashboard script error: ${m.message}`);
        break;
      case "rendered":
        this.renderedPoints = m.points;
        break;
    }
  }

  /** Whether the webview has completed the handshake. */
  get isReady(): boolean {
    return this.ready;
  }

  private sendInit(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.cursor = newCursor();
    const series = compactDelta(this.run.model.deltaSince(this.cursor));
    const rolloutSteps = this.run.model.rolloutSteps();
    this.rolloutStepsSent = rolloutSteps.length;
    const shown = this.configShown();
    this.lastConfig = shown;
    this.host.send({
      type: "init",
      run: runInfo(this.run),
      ...shown,
      series,
      rolloutSteps,
      runs: runChoices(this.registry),
    });
    this.logFeed.restart();
    this.sendLog();
    if (this.overlay) this.setOverlay(this.overlay.run.dir);
  }

  private sendLog(): void {
    const d = this.logFeed.next(this.run.model);
    if (d.reset || d.events.length || d.controller) this.host.send({ type: "log", ...d });
  }

  /**
   * The Results tab's table and flips, read the way `oneshot report` reads them (the whole event
   * log and the results files), so only while the tab wants them and only when evaluations or the
   * status changed.
   */
  private sendResults(): void {
    if (!this.results) return;
    const points = [...this.run.model.evals.values()].reduce((n, s) => n + s.steps.length, 0);
    const key = `${this.run.model.epoch}|${points}|${this.run.status}`;
    if (key === this.results.key) return;
    this.results.key = key;
    try {
      this.host.send({ type: "results", results: runResults(collectReport(this.run.dir)) });
    } catch (e) {
      this.host.send({ type: "results", results: null, error: (e as Error).message });
    }
  }

  private setOverlay(runDir: string | null): void {
    if (!runDir || runDir === this.run.dir) {
      this.overlay = undefined;
      this.host.send({ type: "overlay", runId: null, series: null });
      return;
    }
    const run = this.registry.open(runDir);
    this.overlay = { run, cursor: newCursor() };
    this.host.send({ type: "overlay", runId: run.id, series: compactDelta(run.model.deltaSince(this.overlay.cursor)) });
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.throttleMs);
  }

  /** Sends whatever changed since the last message (called by the timer; public for tests). */
  flush(): void {
    if (!this.ready) return;
    const series = compactDelta(this.run.model.deltaSince(this.cursor));
    const all = this.run.model.rolloutSteps();
    if (series.reset) this.rolloutStepsSent = 0;
    // Steps only grow between resets; a rewind bumps the epoch, so `reset` covers it.
    const rolloutSteps = all.slice(this.rolloutStepsSent);
    this.rolloutStepsSent = all.length;
    this.host.send({ type: "update", run: runInfo(this.run), series, rolloutSteps });
    this.sendLog();
    const shown = this.configShown();
    if (JSON.stringify(shown) !== JSON.stringify(this.lastConfig)) {
      this.lastConfig = shown;
      this.host.send({ type: "config", ...shown });
    }
    this.sendResults();
    if (this.overlay) {
      const d = this.overlay.run.model.deltaSince(this.overlay.cursor);
      if (d.reset || d.steps.length || d.evals.length)
        this.host.send({ type: "overlay", runId: this.overlay.run.id, series: compactDelta(d) });
    }
  }

  /** The Config tab's content: config.json and the training prompt the run recorded once the engine formatted it. */
  private configShown(): { config: unknown; trainingPrompt?: string } {
    const prompt = this.run.model.started?.prompt?.text;
    return { config: this.run.config(), ...(prompt !== undefined ? { trainingPrompt: prompt } : {}) };
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.unsubscribe();
  }
}
