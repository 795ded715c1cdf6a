// After a run, and around it (issue 18): Open Report shows `oneshot report`'s HTML in a webview,
// checkpoint actions, and the authoring fixes — Test Verifier never saves the file and names a
// verifier that does not load with its line, the CodeLens keeps the file's own preset and model
// while another key has an error, the quick fix `verifier: custom`, the demo opened twice.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { COMMANDS } from "../../../src/vscode/commands";
import type { OneShotApi } from "../../../src/vscode/extension";
import { writeFixtureRun } from "../../unit/report/fixtureRun";
import { authoringFixtures, closeWithoutSaving, codeLensTitles, openExample, requestScreenshot, waitFor } from "./authoringHelpers";

interface Report {
  loadFailure?: { message: string; line?: number };
  reference: { ok: boolean };
}

describe("After a run: report, checkpoints and authoring fixes", function () {
  this.timeout(60_000);
  let api: OneShotApi;
  let runs: string;
  let dir: string;
  const made: string[] = [];

  before(async () => {
    const ext = vscode.extensions.getExtension("oneshot-rlvr.oneshot-rlvr")!;
    api = (await ext.activate()) as OneShotApi;
    runs = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, ".oneshot", "runs");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "oneshot-after-"));
    fs.cpSync(authoringFixtures(ext.extensionPath), dir, { recursive: true });
  });

  after(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("Open Report shows the run's report (before/after, sub-skills, flips) in a webview without scripts", async () => {
    const run = writeFixtureRun(path.join(runs, `it-report-${Date.now()}`), { steps: 40 });
    made.push(run);
    await waitFor(() => api.runs().some((r) => r.dir === run), "the run in the Runs view");
    await vscode.commands.executeCommand(COMMANDS.openRunReport, run);
    const shown = await waitFor(() => api.openReports().find((r) => r.dir === run), "the report panel");
    assert.match(shown.html, /<h2>Benchmarks: before and after<\/h2>/);
    assert.match(shown.html, /<h3>By sub-skill<\/h3>/);
    assert.match(shown.html, /MATH500, step 0 → step 40: 3 now right, 1 now wrong\./);
    assert.match(shown.html, /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"/);
    assert.doesNotMatch(shown.html, /<script/);
    assert.ok(!fs.existsSync(path.join(run, "report.html")), "the editor builds the report in memory; it writes no files");
    await requestScreenshot("report-view");
    // Not a run: one sentence, no panel.
    const notARun = fs.mkdtempSync(path.join(os.tmpdir(), "not-a-run-"));
    made.push(notARun);
    await vscode.commands.executeCommand(COMMANDS.openRunReport, notARun);
    assert.equal(api.openReports().some((r) => r.dir === notARun), false);
  });

  it("a checkpoint's path can be copied", async () => {
    const ckpt = path.join(runs, "some-run", "checkpoints", "step-20");
    await vscode.commands.executeCommand(COMMANDS.copyCheckpointPath, ckpt);
    assert.equal(await vscode.env.clipboard.readText(), ckpt);
  });

  it("Test Verifier never saves the file: the edit stays unsaved and the file on disk unchanged", async () => {
    // Browser-based VS Code (code-server) defaults files.autoSave to afterDelay: every edit is saved
    // about a second later whatever command runs, which is what made Test Verifier look like it
    // saved. With auto-save off, only a command could save the file.
    const files = vscode.workspace.getConfiguration("files");
    assert.equal(files.inspect("autoSave")?.defaultValue, "afterDelay", "code-server's default (the reason this looked like a save)");
    await files.update("autoSave", "off", vscode.ConfigurationTarget.Global);
    try {
      await testVerifierLeavesEditsUnsaved();
    } finally {
      await files.update("autoSave", undefined, vscode.ConfigurationTarget.Global);
    }
  });

  async function testVerifierLeavesEditsUnsaved(): Promise<void> {
    for (const fixture of ["pipe.rlvr.md", "accepts-anything.rlvr.md"]) {
      const file = path.join(dir, fixture);
      const onDisk = fs.readFileSync(file, "utf8");
      const { doc, editor } = await openExample(file);
      await editor.edit((e) => e.insert(new vscode.Position(doc.lineCount - 1, 0), "Unsaved line.\n"));
      assert.equal(doc.isDirty, true);
      const report = await vscode.commands.executeCommand<Report | undefined>(COMMANDS.testVerifier, doc.uri);
      assert.ok(report, `${fixture}: no report`);
      // Longer than auto-save's delay (1 s), had it been on.
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(doc.isDirty, true, `${fixture}: the document was saved`);
      assert.equal(fs.readFileSync(file, "utf8"), onDisk, `${fixture}: the file on disk changed`);
      await closeWithoutSaving(doc);
    }
  }

  it("Test Verifier reports a custom verifier that does not load as such, with its line in the file", async () => {
    const file = vscode.Uri.file(path.join(dir, "syntax-error.rlvr.md"));
    const report = await vscode.commands.executeCommand<Report | undefined>(COMMANDS.testVerifier, file);
    assert.ok(report?.loadFailure, JSON.stringify(report));
    assert.match(report.loadFailure.message, /^does not load: SyntaxError: .* at line 10$/);
    assert.equal(report.loadFailure.line, 10);
  });

  it("the CodeLens keeps the file's own preset and model while another key has an error", async () => {
    const file = path.join(dir, "typo.rlvr.md");
    fs.writeFileSync(file, "---\nanswer: '4'\npreset: cpu-demo\nstesp: 50\n---\nWhat is 2+2?\n");
    const { doc } = await openExample(file);
    const titles = await codeLensTitles(doc.uri);
    assert.ok(titles.includes("Preset: cpu-demo"), titles.join(" | "));
    assert.ok(titles.includes("Model: examples/models/tiny-math (front matter has errors)"), titles.join(" | "));
  });

  it("a verifier block under `verifier: math` gets the quick fix `verifier: custom`", async () => {
    const file = path.join(dir, "ignored-block.rlvr.md");
    fs.writeFileSync(file, "---\nanswer: '4'\nverifier: math\n---\nWhat is 2+2?\n\n```verifier\nexport default () => 1;\n```\n");
    const { doc } = await openExample(file);
    const fence = 6;
    await waitFor(() => vscode.languages.getDiagnostics(doc.uri).some((d) => d.range.start.line === fence), "the ignored-block diagnostic");
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      "vscode.executeCodeActionProvider",
      doc.uri,
      new vscode.Range(fence, 0, fence, 3),
      vscode.CodeActionKind.QuickFix.value,
    );
    const fix = actions.find((a) => /verifier: custom/.test(a.title));
    assert.ok(fix?.edit, actions.map((a) => a.title).join(" | "));
    await vscode.workspace.applyEdit(fix.edit);
    assert.match(doc.getText(), /^verifier: custom$/m);
    await closeWithoutSaving(doc);
  });

  it("Open the Demo Example twice opens the same copy, never a second one", async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const first = await vscode.commands.executeCommand<vscode.Uri>(COMMANDS.openDemoExample);
    try {
      const second = await vscode.commands.executeCommand<vscode.Uri>(COMMANDS.openDemoExample);
      assert.equal(second.fsPath, first.fsPath);
      assert.equal(path.basename(first.fsPath), "equations.rlvr.md");
      assert.deepEqual(fs.readdirSync(folder).filter((n) => n.endsWith(".rlvr.md")), ["equations.rlvr.md"]);
    } finally {
      await vscode.commands.executeCommand("workbench.action.closeAllEditors");
      fs.rmSync(first.fsPath, { force: true });
    }
  });
});
