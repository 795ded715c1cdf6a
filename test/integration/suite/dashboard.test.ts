// The run monitor inside a real VS Code: a run directory appearing under the workspace's runs
// root shows up as running, its dashboard opens and its page (under the real webview CSP) draws
// the steps, appended steps arrive live, and a stop / a dead process change the status.
// The run is written by the test itself (the generator of bench/dashboard), with the extension
// host's pid so that it counts as alive.
import * as assert from "node:assert/strict";
import { appendFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { COMMANDS } from "../../../src/vscode/commands";
import { appendSteps, writeRun } from "../../../bench/dashboard/genlog";
import type { OneShotApi } from "../../../src/vscode/extension";

async function waitFor<T>(what: string, f: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("Run monitor", function () {
  this.timeout(60_000);
  let api: OneShotApi;
  let root: string;
  const made: string[] = [];

  before(async () => {
    const ext = vscode.extensions.all.find((e) => (e.packageJSON as { name?: string }).name === "oneshot-rlvr");
    assert.ok(ext, "the extension is installed");
    api = (await ext.activate()) as OneShotApi;
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, "a workspace folder is open");
    root = path.join(folder.uri.fsPath, ".oneshot", "runs");
  });

  after(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });

  it("shows a live run, draws it in its dashboard, follows appends and sees it stop", async () => {
    const dir = path.join(root, `it-live-${Date.now()}`);
    made.push(dir);
    const gen = writeRun(dir, { steps: 10, totalSteps: 50, rolloutsPerStep: 8, status: "running", pid: process.pid });
    await waitFor("the run in the Runs view", () => api.runs().find((r) => r.dir === dir && r.status === "running"));

    await vscode.commands.executeCommand("workbench.view.extension.oneshot");
    await vscode.commands.executeCommand(COMMANDS.openDashboard, dir);
    await waitFor("the dashboard to draw 10 steps", () =>
      api.openDashboards().find((d) => d.dir === dir && d.ready && d.renderedPoints === 10),
    );

    appendSteps(dir, gen, 3);
    await waitFor("the appended steps", () => api.runs().find((r) => r.dir === dir && r.step === 13));
    await waitFor("the dashboard to draw them", () => api.openDashboards().find((d) => d.dir === dir && d.renderedPoints === 13));

    // What the controller does when it stops: a final event, then the status file.
    appendFileSync(path.join(dir, "events.jsonl"), JSON.stringify(gen.finish("stopped")) + "\n");
    writeFileSync(path.join(dir, "status"), "stopped");
    await waitFor("the stopped status", () => api.runs().find((r) => r.dir === dir && r.status === "stopped"));
  });

  it("shows a run whose process is gone as interrupted", async () => {
    const dir = path.join(root, `it-dead-${Date.now()}`);
    made.push(dir);
    writeRun(dir, { steps: 4, status: "interrupted" });
    await waitFor("the interrupted run", () => api.runs().find((r) => r.dir === dir && r.status === "interrupted"));
  });

  it("restores an open dashboard after the webview is reloaded", async () => {
    const dir = path.join(root, `it-reload-${Date.now()}`);
    made.push(dir);
    writeRun(dir, { steps: 6, status: "completed" });
    await waitFor("the run", () => api.runs().find((r) => r.dir === dir));
    await vscode.commands.executeCommand(COMMANDS.openDashboard, dir);
    await waitFor("the dashboard", () => api.openDashboards().find((d) => d.dir === dir && d.renderedPoints === 6));
    await vscode.commands.executeCommand("workbench.action.webview.reloadWebviewAction");
    await waitFor("the reloaded page to handshake again and draw", () =>
      api.openDashboards().find((d) => d.dir === dir && d.handshakes >= 2 && d.renderedPoints === 6),
    );
  });
});
