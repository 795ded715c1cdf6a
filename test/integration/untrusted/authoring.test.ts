// Workspace trust (issue 7, behaviour 6), run in a session whose workspace is NOT trusted
// (scripts/test-integration.mjs --suite untrusted --untrusted): training and custom verifiers are
// disabled with a message, built-in verifiers still preview.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { COMMANDS } from "../../../src/vscode/commands";
import { authoringFixtures, codeLensTitles, diagnosticsOf, openExample, requestScreenshot, waitFor } from "../suite/authoringHelpers";

describe("authoring in an untrusted workspace", function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    const ext = vscode.extensions.getExtension("oneshot-rlvr.oneshot-rlvr")!;
    await ext.activate();
    assert.equal(vscode.workspace.isTrusted, false, "this suite must run in an untrusted workspace (--untrusted)");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "oneshot-untrusted-"));
    fs.cpSync(authoringFixtures(ext.extensionPath), dir, { recursive: true });
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("blocks a custom verifier: no verdicts, a disabled lens and an information diagnostic", async () => {
    const { doc } = await openExample(path.join(dir, "accepts-anything.rlvr.md"));
    const report = await vscode.commands.executeCommand(COMMANDS.testVerifier, doc.uri);
    assert.equal(report, undefined);
    const titles = await codeLensTitles(doc.uri);
    assert.ok(titles.includes("⊘ Custom verifier disabled (untrusted workspace)"), titles.join(" | "));
    assert.ok(!titles.some((t) => /→/.test(t)), `verdicts were shown: ${titles.join(" | ")}`);
    const info = await waitFor(() => diagnosticsOf(doc.uri).find((d) => d.code === "untrusted-custom-verifier"), "the untrusted notice");
    assert.equal(info.severity, vscode.DiagnosticSeverity.Information);
    assert.ok(!diagnosticsOf(doc.uri).some((d) => d.code === "verifier-rejects-reference"), "the custom verifier ran");
  });

  it("blocks training", async () => {
    const { doc } = await openExample(path.join(dir, "pipe.rlvr.md"));
    const titles = await codeLensTitles(doc.uri);
    assert.ok(titles.includes("⊘ Training disabled (untrusted workspace)"), titles.join(" | "));
    const result = await vscode.commands.executeCommand<{ started: boolean; reason?: string }>(COMMANDS.trainExample, doc.uri, {
      interactive: false,
    });
    assert.deepEqual(result, { started: false, reason: "untrusted" });
  });

  it("still previews a built-in verifier", async () => {
    const { doc } = await openExample(path.join(dir, "pipe.rlvr.md"));
    const report = await vscode.commands.executeCommand<{ verdicts: { ok: boolean }[] }>(COMMANDS.testVerifier, doc.uri);
    assert.ok(report, "the built-in verifier did not run");
    assert.deepEqual(report.verdicts.map((v) => v.ok), [true, true, true, true, true]);
    await requestScreenshot("authoring-untrusted");
  });
});
