// The run's header: name, status, progress, headline numbers and the actions that fit the status.
import { formatDuration } from "../src/core/monitor/eta";
import type { RunCommand, RunInfo } from "../src/protocol/messages";
import { phaseFraction, phaseText } from "../src/protocol/phase";
import { post } from "./api";
import { el } from "./dom";

const STATUS_TEXT: Record<string, string> = {
  running: "Running",
  completed: "Completed",
  stopped: "Stopped",
  failed: "Failed",
  interrupted: "Interrupted",
};

export class RunHeader {
  private readonly title = el("h2");
  private readonly status = el("span", { class: "status" });
  private readonly stats = el("div", { class: "stats" });
  private readonly error = el("div", { class: "run-error", hidden: "" });
  private readonly warning = el("div", { class: "run-warning", hidden: "" });
  private readonly progress = el("vscode-progress-bar", { "aria-label": "Progress" }) as HTMLElement & { value: number; max: number };
  private readonly buttons: Record<RunCommand, HTMLElement> = {
    stop: el("vscode-button", { secondary: "", title: "Stop the run (a checkpoint is saved)" }, ["Stop"]),
    resume: el("vscode-button", { title: "Resume from the last checkpoint" }, ["Resume"]),
    retry: el("vscode-button", { title: "No checkpoint to resume from: start a new run with the same settings" }, ["Retry"]),
    reveal: el("vscode-button", { secondary: "", title: "Reveal the run folder" }, ["Reveal folder"]),
    try: el("vscode-button", { secondary: "", title: "Ask the run's checkpoint a problem, next to its base model" }, ["Try the Model"]),
    report: el("vscode-button", { secondary: "", title: "The run's report: before/after per benchmark, curves, flipped problems" }, ["Open Report"]),
  };

  constructor(root: HTMLElement, extra: HTMLElement[]) {
    root.append(
      el("div", { class: "header-top" }, [
        el("div", { class: "title" }, [this.title, this.status]),
        el("div", { class: "actions" }, [this.buttons.stop, this.buttons.resume, this.buttons.retry, this.buttons.report, this.buttons.try, this.buttons.reveal, ...extra]),
      ]),
      this.stats,
      this.progress,
      this.error,
      this.warning,
    );
    for (const [cmd, b] of Object.entries(this.buttons))
      b.addEventListener("click", () => post({ type: "command", command: cmd as RunCommand }));
  }

  set(run: RunInfo): void {
    const h = run.headline;
    this.title.textContent = run.runId;
    this.status.textContent = STATUS_TEXT[run.status] ?? run.status;
    this.status.className = `status ${run.status}`;
    document.body.dataset.runStatus = run.status;
    this.buttons.stop.hidden = run.status !== "running";
    this.buttons.resume.hidden = run.recovery !== "resume";
    this.buttons.retry.hidden = run.recovery !== "retry";
    this.buttons.report.hidden = run.status === "running";
    // While it starts up, what it is doing (loading 1/2 files, evaluating 160/320) instead of "step 0".
    const phase = run.status === "running" ? h.phase : undefined;
    document.body.dataset.runPhase = phase?.phase ?? "";
    const parts: string[] = [phase ? phaseText(phase) : `step ${h.step}${h.totalSteps ? ` / ${h.totalSteps}` : ""}`];
    if (h.lastReward !== null) parts.push(`reward ${h.lastReward.toFixed(3)}`);
    for (const b of h.benchmarks)
      parts.push(`${b.benchmark} ${pct(b.last)} (best ${pct(b.best)} @${b.bestStep}${b.initial !== null ? `, from ${pct(b.initial)}` : ""})`);
    if (h.etaMs !== null && run.status === "running") parts.push(`ETA ${formatDuration(h.etaMs)}`);
    if (h.model) parts.push(h.model);
    if (h.device) parts.push(h.device);
    this.stats.textContent = parts.join(" · ");
    const p = this.progress;
    p.max = 100;
    const fraction = phase && phaseFraction(phase);
    p.value = fraction !== undefined ? Math.round(100 * fraction) : h.totalSteps ? Math.round((100 * h.step) / h.totalSteps) : 0;
    p.hidden = run.status !== "running";
    const err = h.finished?.error ?? (run.status === "interrupted" ? "The run's process is gone; resume it from its last checkpoint." : undefined);
    this.error.hidden = !err;
    this.error.textContent = err ? err + (h.finished?.hint ? ` ${h.finished.hint}` : "") : "";
    const warning = err ? undefined : h.lastWarning?.message;
    this.warning.hidden = !warning;
    this.warning.textContent = warning ? `Warning: ${warning}` : "";
  }
}

function pct(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}
