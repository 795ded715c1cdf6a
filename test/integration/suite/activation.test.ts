import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { FOCUS_RUNS_VIEW } from "../../../src/vscode/commands";

const EXTENSION_ID = "oneshot-rlvr.oneshot-rlvr";

describe("extension", () => {
  it("is present in the extension host and activates", async () => {
    const ext = vscode.extensions.getExtension<{ extensionPath: string }>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded in the extension host`);
    const api = await ext.activate();
    assert.equal(ext.isActive, true);
    assert.equal(api.extensionPath, ext.extensionPath);
    // The development copy (this checkout), not an installed one, is under test.
    assert.ok(fs.existsSync(path.join(ext.extensionPath, "test", "integration", "index.ts")));
  });

  it("runs in the workspace-trust state the harness asked for", function () {
    const wanted = process.env.ONESHOT_TEST_WORKSPACE_TRUST;
    if (!wanted) this.skip(); // not started by scripts/test-integration.mjs (e.g. npm run test:desktop)
    assert.equal(vscode.workspace.isTrusted, wanted === "trusted");
  });

  it("registers its contributed commands in the editor", async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const contributed: string[] = ext.packageJSON.contributes.commands.map((c: { command: string }) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((c) => !registered.has(c)), []);
  });

  it("contributes the Runs view in its own activity-bar container", async () => {
    // The workbench generates these commands only for a container and view it has registered.
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.ok(registered.has("workbench.view.extension.oneshot"), "the One-Shot RLVR container is missing");
    assert.ok(registered.has(FOCUS_RUNS_VIEW), "the Runs view is missing");
    await vscode.commands.executeCommand("workbench.view.extension.oneshot");
    await vscode.commands.executeCommand(FOCUS_RUNS_VIEW);
  });
});
