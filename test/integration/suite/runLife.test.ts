// A run's life around training, in a real VS Code: the pre-flight refuses a start without creating
// a run directory, endings are announced with the right next steps, and Resume is offered only
// when there is a checkpoint to resume from (Retry otherwise). Runs are written by the test itself
// (bench/dashboard's generator) with the extension host's pid, so they count as alive.
import * as assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { writeIntactCheckpoint, writeRun } from "../../../bench/dashboard/genlog";
import { parseExample, resolveConfig } from "../../../src/core/example/index";
import { COMMANDS } from "../../../src/vscode/commands";
import type { OneShotApi } from "../../../src/vscode/extension";
import { oneShotApi, waitFor } from "./authoringHelpers";

/** Runs `f` while the editor's `kind` notifications are captured instead of shown (answered with `pick`); what they said. */
async function captured(kind: "showInformationMessage" | "showWarningMessage" | "showErrorMessage", f: (shown: string[]) => Promise<void>, pick?: string): Promise<void> {
  const shown: string[] = [];
  const w = vscode.window as unknown as Record<string, unknown>;
  const original = w[kind];
  w[kind] = (message: string, ...items: unknown[]) => {
    shown.push([message, ...items].join(" | "));
    return Promise.resolve(pick);
  };
  try {
    await f(shown);
  } finally {
    w[kind] = original;
  }
}

describe("Run life", function () {
  this.timeout(90_000);
  let api: OneShotApi;
  let folder: string;
  let root: string;
  const made: string[] = [];

  before(async () => {
    api = await oneShotApi<OneShotApi>();
    folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    root = path.join(folder, ".oneshot", "runs");
    mkdirSync(root, { recursive: true });
  });

  after(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });

  const finish = (dir: string, status: "completed" | "failed", extra: Record<string, unknown> = {}) => {
    appendFileSync(path.join(dir, "events.jsonl"), JSON.stringify({ v: 1, t: Date.now(), type: "run_finished", status, steps_done: 12, ...extra }) + "\n");
    writeFileSync(path.join(dir, "status"), status);
  };

  /** A run written as running by this process, once the Runs view lists it. */
  const runningRun = async (name: string, totalSteps: number, checkpointEvery?: number) => {
    const dir = path.join(root, `${name}-${Date.now()}`);
    made.push(dir);
    writeRun(dir, { steps: 12, totalSteps, status: "running", pid: process.pid, startTime: Date.now() - 60_000, ...(checkpointEvery ? { checkpointEvery } : {}) });
    if (checkpointEvery) writeIntactCheckpoint(path.join(dir, "checkpoints", `step-${checkpointEvery}`));
    await waitFor(() => api.runs().find((r) => r.dir === dir && r.status === "running"), "the running run");
    return dir;
  };

  /** Ends the run as `status` and returns the toast that announced it (text | buttons). */
  const endingToast = async (kind: "showInformationMessage" | "showErrorMessage", dir: string, status: "completed" | "failed", extra: Record<string, unknown> = {}, pick?: string) => {
    let toast = "";
    await captured(
      kind,
      async (shown) => {
        finish(dir, status, extra);
        toast = await waitFor(() => shown.find((m) => m.includes(path.basename(dir))), `the ${status} toast`);
      },
      pick,
    );
    return toast;
  };

  it("the pre-flight refuses a hub model that is not cached while offline, in one line, and creates no run directory", async function () {
    this.timeout(120_000);
    const file = path.join(folder, "preflight-offline.rlvr.md");
    made.push(file);
    writeFileSync(file, "---\nanswer: 4\npreset: cpu-demo\nmodel: Org/NotCached\n---\nWhat is 2+2? Put the answer in \\boxed{}.\n");
    const saved = { offline: process.env.HF_HUB_OFFLINE, cache: process.env.HF_HUB_CACHE };
    process.env.HF_HUB_OFFLINE = "1";
    process.env.HF_HUB_CACHE = mkdtempSync(path.join(tmpdir(), "empty-hf-cache-"));
    const before = readdirSync(root);
    try {
      const result = await vscode.commands.executeCommand<{ started: boolean; reason?: string; message?: string }>(COMMANDS.trainExample, vscode.Uri.file(file), { interactive: false });
      assert.equal(result.started, false);
      assert.equal(result.reason, "failed");
      assert.match(result.message ?? "", /Org\/NotCached is not in the Hugging Face cache .* and HF_HUB_OFFLINE is set: download it first with `hf download Org\/NotCached`/);
      assert.doesNotMatch(result.message ?? "", /\n/, "one line");
      assert.deepEqual(readdirSync(root), before, "no run directory was created");
    } finally {
      for (const [k, v] of [["HF_HUB_OFFLINE", saved.offline], ["HF_HUB_CACHE", saved.cache]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("announces a run that completes, with Open Dashboard and Open Report, and its Open Report shows the report", async () => {
    const dir = await runningRun("it-complete", 12);
    const toast = await endingToast("showInformationMessage", dir, "completed", {}, "Open Report");
    assert.match(toast, /^One-Shot RLVR: Run it-complete-\d+ completed 12\/12 steps: .* \| Open Dashboard \| Open Report$/);
    const e = await waitFor(() => api.endings().find((x) => x.dir === dir), "the completion notification");
    assert.equal(e.status, "completed");
    assert.match(e.message, /^Run it-complete-\d+ completed 12\/12 steps: math500 36\.0% → \d+\.\d%\.$/);
    assert.deepEqual(e.actions, ["Open Dashboard", "Open Report"]);
    const report = await waitFor(() => api.openReports().find((r) => r.dir === dir), "the report view the button opened");
    assert.match(report.html, new RegExp(`<title>One-Shot RLVR report: ${path.basename(dir)}</title>`));
  });

  it("announces a failure with its error and hint, offering Retry when no checkpoint can be resumed; Resume then says so", async () => {
    const dir = await runningRun("it-fail", 40);
    const toast = await endingToast("showErrorMessage", dir, "failed", { error: "The engine ran out of GPU memory.", hint: "Lower micro_batch_size." });
    assert.match(toast, /failed at 12\/40 steps: The engine ran out of GPU memory\. Lower micro_batch_size\. \| Open Dashboard \| Open Report \| Retry$/);
    const e = await waitFor(() => api.endings().find((x) => x.dir === dir), "the failure notification");
    assert.equal(e.status, "failed");
    assert.equal(e.message, `Run ${path.basename(dir)} failed at 12/40 steps: The engine ran out of GPU memory.`);
    assert.equal(e.hint, "Lower micro_batch_size.");
    assert.deepEqual(e.actions, ["Open Dashboard", "Open Report", "Retry"]);

    // Resume on it (the Runs view still lists the command) says why not, where it was clicked.
    await captured("showWarningMessage", async (shown) => {
      void vscode.commands.executeCommand(COMMANDS.resumeRun, dir);
      const message = await waitFor(() => shown.find((m) => m.includes("checkpoint")), "Resume's warning");
      assert.match(message, /has no checkpoint to resume from\. Retry starts a new run with the same settings\./);
    });
  });

  it("offers Resume for a failed run with an intact checkpoint", async () => {
    const dir = await runningRun("it-resumable", 40, 10);
    assert.match(await endingToast("showErrorMessage", dir, "failed", { error: "boom" }), /failed at 12\/40 steps: boom \| Open Dashboard \| Open Report \| Resume$/);
    const e = await waitFor(() => api.endings().find((x) => x.dir === dir), "the failure notification");
    assert.deepEqual(e.actions, ["Open Dashboard", "Open Report", "Resume"]);
  });

  it("Retry re-checks the run's settings through the CLI: a refusal is a toast and creates no run", async () => {
    const dir = path.join(root, `it-retry-${Date.now()}`);
    made.push(dir);
    writeRun(dir, { steps: 2, totalSteps: 40, status: "failed" });
    const example = path.join(folder, "retry.rlvr.md");
    made.push(example);
    writeFileSync(example, "---\nanswer: 4\n---\nWhat is 2+2?\n");
    const parsed = parseExample("---\nanswer: 4\n---\nWhat is 2+2?\n", example);
    const resolved = resolveConfig({ example: parsed.example!, runId: path.basename(dir), projectRoot: folder, cwd: folder, preset: "cpu-demo", sets: [`model=${path.join(folder, "no-such-model")}`] });
    writeFileSync(path.join(dir, "config.json"), JSON.stringify(resolved.config));
    await waitFor(() => api.runs().find((r) => r.dir === dir && r.status === "failed"), "the failed run");
    const before = readdirSync(root);
    await captured("showErrorMessage", async (shown) => {
      void vscode.commands.executeCommand(COMMANDS.retryRun, dir);
      const message = await waitFor(() => shown.find((m) => m.includes("could not retry")), "Retry's error", 60_000);
      assert.match(message, /could not retry it-retry-\d+: .*model: the folder .*no-such-model does not exist/);
      assert.deepEqual(readdirSync(root), before);
    });
  });
});
