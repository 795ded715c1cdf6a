// Example authoring in a real VS Code (issue 7): diagnostics, completion and hover, CodeLens,
// Test verifier verdicts, a verifier that rejects the reference blocking training, New Example,
// Train on Selection and New Example from Dataset. Fixtures are copied to a temporary folder.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { execFileSync } from "node:child_process";
import * as vscode from "vscode";
import { COMMANDS } from "../../../src/vscode/commands";
import { authoringFixtures, closeWithoutSaving, codeLensTitles, diagnosticsOf, openExample, requestScreenshot, waitFor } from "./authoringHelpers";

interface Verdict {
  ok: boolean;
  case: { kind: string; expected: number };
  result: { reward: number; reason: string };
}
interface Report {
  verdicts: Verdict[];
  reference: Verdict;
  elapsedMs: number;
}

describe("authoring: example files", function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    const ext = vscode.extensions.getExtension("oneshot-rlvr.oneshot-rlvr")!;
    await ext.activate();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "oneshot-authoring-"));
    fs.cpSync(authoringFixtures(ext.extensionPath), dir, { recursive: true });
    assert.equal(vscode.workspace.isTrusted, true, "this suite needs a trusted workspace");
  });

  /** A fresh copy of a fixture for a test that edits it, so no other test sees the edits. */
  const copyOf = (fixture: string, tag: string) => {
    const file = path.join(dir, fixture.replace(".rlvr.md", `-${tag}.rlvr.md`));
    fs.copyFileSync(path.join(dir, fixture), file);
    return file;
  };

  after(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("puts schema diagnostics on the offending lines of a malformed file", async () => {
    const { doc } = await openExample(path.join(dir, "malformed.rlvr.md"));
    const diags = await waitFor(() => {
      const d = diagnosticsOf(doc.uri);
      return d.length >= 2 ? d : undefined;
    }, "diagnostics for malformed.rlvr.md");
    const typo = diags.find((d) => d.range.start.line === 2);
    assert.ok(typo, `no diagnostic on line 3 (verifer:); got ${JSON.stringify(diags.map((d) => [d.range.start.line, d.message]))}`);
    assert.match(typo.message, /Unknown key `verifer`: did you mean `verifier`\?/);
    assert.equal(typo.severity, vscode.DiagnosticSeverity.Error);
    const steps = diags.find((d) => d.range.start.line === 3);
    assert.ok(steps, "no diagnostic on line 4 (steps: -3)");
    assert.match(steps.message, /steps.*≥ 1/);
  });

  it("reports a JavaScript syntax error in the verifier block at its line and column", async () => {
    const { doc } = await openExample(path.join(dir, "syntax-error.rlvr.md"));
    const d = await waitFor(() => diagnosticsOf(doc.uri).find((x) => x.code === "verifier-syntax"), "a verifier syntax diagnostic");
    assert.equal(d.range.start.line, 9);
    assert.equal(doc.lineAt(9).text.slice(d.range.start.character), ";");
    assert.match(d.message, /Verifier JavaScript: Unexpected token ';'/);
  });

  it("completes every front-matter key with its meaning and preset defaults, and a key's values", async () => {
    const { doc, editor } = await openExample(copyOf("pipe.rlvr.md", "completion"));
    await editor.edit((e) => e.insert(new vscode.Position(4, 0), "\n"));
    const keys = await vscode.commands.executeCommand<vscode.CompletionList>(
      "vscode.executeCompletionItemProvider",
      doc.uri,
      new vscode.Position(4, 0),
    );
    const byLabel = new Map(keys.items.map((i) => [typeof i.label === "string" ? i.label : i.label.label, i]));
    for (const key of ["steps", "temperature", "kl_coef", "entropy_coef", "eval_benchmarks", "model"]) {
      assert.ok(byLabel.has(key), `no completion for ${key}`);
    }
    assert.ok(!byLabel.has("answer"), "a key already present is offered again");
    const temperature = byLabel.get("temperature")!;
    const docText = (temperature.documentation as vscode.MarkdownString).value;
    assert.match(docText, /Sampling temperature/);
    assert.match(docText, /\| `paper` \| `0\.6` \|/);
    assert.match(docText, /`cpu-demo` \| `1` ← this file's preset/);

    await editor.edit((e) => e.insert(new vscode.Position(4, 0), "kl_type: "));
    const values = await vscode.commands.executeCommand<vscode.CompletionList>(
      "vscode.executeCompletionItemProvider",
      doc.uri,
      new vscode.Position(4, "kl_type: ".length),
    );
    const labels = values.items.map((i) => (typeof i.label === "string" ? i.label : i.label.label));
    assert.deepEqual(labels.sort(), ["k1", "k2", "low_var_kl"]);
    await closeWithoutSaving(doc);
  });

  it("explains a key on hover", async () => {
    const { doc } = await openExample(path.join(dir, "pipe.rlvr.md"));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", doc.uri, new vscode.Position(3, 2));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : c.value))).join("\n");
    assert.match(text, /\*\*preset\*\* — one of: paper, local, lora, cpu-demo/);
  });

  it("shows Train, Test verifier, preset and model CodeLens; the preset lens edits the front matter", async () => {
    const { doc } = await openExample(copyOf("pipe.rlvr.md", "lens"));
    const titles = await codeLensTitles(doc.uri);
    assert.ok(titles.includes("▶ Train on this example"), titles.join(" | "));
    assert.ok(titles.includes("✓ Test verifier"), titles.join(" | "));
    assert.ok(titles.includes("Preset: cpu-demo"), titles.join(" | "));
    assert.ok(titles.some((t) => /^Model: examples\/models\/tiny-math$/.test(t)), titles.join(" | "));

    await vscode.commands.executeCommand(COMMANDS.changePreset, doc.uri, "paper");
    assert.match(doc.getText(), /^preset: paper$/m);
    assert.ok((await codeLensTitles(doc.uri)).includes("Preset: paper"));
    await vscode.commands.executeCommand(COMMANDS.changeModel, doc.uri, "Qwen/Qwen2.5-Math-1.5B");
    assert.match(doc.getText(), /^model: Qwen\/Qwen2\.5-Math-1\.5B\n---$/m);
    await closeWithoutSaving(doc);
  });

  it("Test verifier: the math verifier accepts the reference and rejects every near miss, within a second", async () => {
    const { doc } = await openExample(path.join(dir, "pipe.rlvr.md"));
    const report = await vscode.commands.executeCommand<Report>(COMMANDS.testVerifier, doc.uri);
    assert.ok(report, "no report");
    assert.deepEqual(
      report.verdicts.map((v) => [v.case.kind, v.result.reward, v.ok]),
      [
        ["reference", 1, true],
        ["different-number", 0, true],
        ["wrong-form", 0, true],
        ["unboxed", 0, true],
        ["several-boxed", 0, true],
      ],
    );
    assert.ok(report.elapsedMs < 1000, `took ${report.elapsedMs} ms`);
    const titles = await codeLensTitles(doc.uri);
    for (const t of ["✓ reference answer → 1", "✓ different number → 0", "✓ wrong form → 0", "✓ unboxed answer → 0", "✓ several boxed answers → 0"]) {
      assert.ok(titles.includes(t), `no verdict lens "${t}" in ${titles.join(" | ")}`);
    }
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", doc.uri);
    const unboxed = lenses.find((l) => l.command?.title.startsWith("✓ unboxed"));
    assert.match(unboxed?.command?.tooltip ?? "", /without any \\boxed\{\} must score 0 .*Verifier: no final answer found/);
  });

  it("Test verifier: a custom verifier that accepts anything is caught in the sandbox", async () => {
    const { doc } = await openExample(path.join(dir, "accepts-anything.rlvr.md"));
    const started = Date.now();
    const report = await vscode.commands.executeCommand<Report>(COMMANDS.testVerifier, doc.uri);
    assert.ok(report, "no report");
    assert.ok(Date.now() - started < 3000, `the sandboxed check took ${Date.now() - started} ms`);
    assert.equal(report.reference.ok, true);
    assert.deepEqual(
      report.verdicts.slice(1).map((v) => [v.case.kind, v.result.reward, v.ok]),
      [
        ["different-number", 1, false],
        ["wrong-form", 1, false],
        ["unboxed", 1, false],
        ["several-boxed", 1, false],
      ],
    );
    const titles = await codeLensTitles(doc.uri);
    assert.ok(titles.includes("✗ unboxed answer → 1 (should be 0)"), titles.join(" | "));
  });

  it("a verifier that rejects the reference answer is a diagnostic, and training refuses to start", async () => {
    const { doc } = await openExample(path.join(dir, "rejects-reference.rlvr.md"));
    const d = await waitFor(
      () => diagnosticsOf(doc.uri).find((x) => x.code === "verifier-rejects-reference"),
      "the rejects-reference diagnostic",
    );
    assert.equal(d.range.start.line, 1, "the diagnostic belongs on the answer line");
    assert.match(d.message, /gives the reference answer reward 0, not 1/);
    const result = await vscode.commands.executeCommand<{ started: boolean; reason?: string }>(COMMANDS.trainExample, doc.uri, {
      interactive: false,
    });
    assert.deepEqual({ started: result.started, reason: result.reason }, { started: false, reason: "verifier-rejects-reference" });
  });

  it("Train on This Example from the command palette acts on the active example", async () => {
    await openExample(path.join(dir, "rejects-reference.rlvr.md"));
    const result = await vscode.commands.executeCommand<{ started: boolean; reason?: string }>(COMMANDS.trainExample, undefined, {
      interactive: false,
    });
    assert.equal(result.reason, "verifier-rejects-reference");
  });

  it("the verifier block gets JavaScript completion and hover through the embedded document", async function () {
    // The first request starts the TypeScript server, which takes a while on a small machine.
    this.timeout(120_000);
    const { doc, editor } = await openExample(copyOf("accepts-anything.rlvr.md", "js"));
    const line = doc.getText().split("\n").findIndex((l) => l.includes("return 1;"));
    await editor.edit((e) => e.insert(new vscode.Position(line, 2), "Math."));
    const list = await waitFor(async () => {
      const l = await vscode.commands.executeCommand<vscode.CompletionList>(
        "vscode.executeCompletionItemProvider",
        doc.uri,
        new vscode.Position(line, 7),
        ".",
      );
      return l.items.some((i) => (typeof i.label === "string" ? i.label : i.label.label) === "floor") ? l : undefined;
    }, "JavaScript completions for Math.", 80_000);
    assert.ok(list.items.length > 10);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", doc.uri, new vscode.Position(line, 4));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : c.value))).join("\n");
    assert.match(text, /var Math: Math/);
    await closeWithoutSaving(doc);
  });

  it("contributes snippets for a whole example and a verifier block", async () => {
    const { doc, editor } = await openExample(copyOf("pipe.rlvr.md", "snippets"));
    const end = new vscode.Position(doc.lineCount, 0);
    await editor.edit((e) => e.insert(end, "\nrlvr"));
    const list = await vscode.commands.executeCommand<vscode.CompletionList>(
      "vscode.executeCompletionItemProvider",
      doc.uri,
      new vscode.Position(doc.lineCount - 1, 4),
    );
    const labels = list.items.map((i) => (typeof i.label === "string" ? i.label : i.label.label));
    assert.ok(labels.includes("rlvr-example"), labels.slice(0, 30).join(", "));
    assert.ok(labels.includes("rlvr-verifier"), labels.slice(0, 30).join(", "));
    await closeWithoutSaving(doc);
  });

  it("Train on this example starts a detached run, opens its dashboard and lists it in the Runs view", async function () {
    this.timeout(180_000);
    const ext = vscode.extensions.getExtension<{ runs(): { dir: string }[]; openDashboards(): { dir: string }[] }>(
      "oneshot-rlvr.oneshot-rlvr",
    )!;
    const api = await ext.activate();
    const { doc } = await openExample(path.join(dir, "pipe.rlvr.md"));
    const result = await vscode.commands.executeCommand<{ started: boolean; runDir?: string; message?: string }>(
      COMMANDS.trainExample,
      doc.uri,
      { interactive: false },
    );
    const runDir = result.runDir;
    try {
      assert.equal(result.started, true, result.message);
      assert.ok(runDir);
      const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
      assert.equal(path.dirname(runDir), path.join(folder, ".oneshot", "runs"));
      const config = JSON.parse(fs.readFileSync(path.join(runDir, "config.json"), "utf8"));
      assert.equal(config.example.file, doc.uri.fsPath);
      assert.equal(config.preset, "cpu-demo");
      assert.equal(fs.readFileSync(path.join(runDir, "status"), "utf8").trim(), "running");
      await waitFor(() => api.openDashboards().some((d) => d.dir === runDir), "the run's dashboard");
      await waitFor(() => api.runs().some((r) => r.dir === runDir), "the run in the Runs view");
    } finally {
      if (runDir && fs.existsSync(path.join(runDir, "pid"))) {
        const cli = path.join(ext.extensionPath, "dist", "cli.js");
        execFileSync(process.execPath, [cli, "stop", runDir, "--force", "--wait", "60"], {
          env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" },
          stdio: "ignore",
        });
      }
      if (runDir) {
        fs.rmSync(runDir, { recursive: true, force: true });
        // The runs root and .oneshot/ when this test made them (rmdir fails on anything else's).
        for (const d of [path.dirname(runDir), path.dirname(path.dirname(runDir))]) {
          try {
            fs.rmdirSync(d);
          } catch {
            break;
          }
        }
      }
    }
  });

  it("training refuses a file with errors", async () => {
    const { doc } = await openExample(path.join(dir, "malformed.rlvr.md"));
    const result = await vscode.commands.executeCommand<{ started: boolean; reason?: string; message?: string }>(
      COMMANDS.trainExample,
      doc.uri,
      { interactive: false },
    );
    assert.equal(result.started, false);
    assert.equal(result.reason, "invalid");
    assert.match(result.message ?? "", /^line 3: Unknown key `verifer`/);
  });

  it("New Example creates a file from the template with the problem selected", async () => {
    const file = vscode.Uri.file(path.join(dir, "fresh.rlvr.md"));
    await vscode.commands.executeCommand(COMMANDS.newExample, file);
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.fsPath, file.fsPath);
    assert.match(editor.document.getText(editor.selection), /^Write the problem here\./);
    assert.equal(editor.selection.start.line, editor.document.getText().split("\n").indexOf("---", 1) + 1);
    await waitFor(() => diagnosticsOf(file).length === 0 || undefined, "a diagnostics-free template");
  });

  it("Train on Selection creates a valid example next to the document", async () => {
    const source = await vscode.workspace.openTextDocument(path.join(dir, "selection-source.md"));
    const editor = await vscode.window.showTextDocument(source);
    editor.selection = new vscode.Selection(2, 0, 2, source.lineAt(2).text.length);
    const created = await vscode.commands.executeCommand<vscode.Uri>(COMMANDS.trainSelection, {
      answer: "\\frac{7}{2}",
      verifier: "math",
      offerTraining: false,
    });
    assert.ok(created, "no file was created");
    assert.equal(path.dirname(created.fsPath), dir);
    assert.match(path.basename(created.fsPath), /^a-pipe-fills-of-a-tank-per-hour.*\.rlvr\.md$/);
    const text = fs.readFileSync(created.fsPath, "utf8");
    assert.match(text, /^answer: '\\frac\{7\}\{2\}'$/m);
    assert.match(text, /^verifier: math$/m);
    assert.match(text, /^A pipe fills \$\\frac\{2\}\{7\}\$ of a tank per hour\. How many hours does it take to fill the tank\?$/m);
    const doc = await vscode.workspace.openTextDocument(created);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(diagnosticsOf(doc.uri).map((d) => d.message), []);
    const report = await vscode.commands.executeCommand<Report>(COMMANDS.testVerifier, created);
    assert.equal(report.reference.ok, true);
  });

  it("New Example from Dataset takes a JSON Lines or Parquet row (plain or verl's layout), with the answer from a solution's box", async () => {
    const fromJsonl = await vscode.commands.executeCommand<vscode.Uri>(COMMANDS.newExampleFromDataset, {
      file: path.join(dir, "problems.jsonl"),
      row: 2,
      dir,
    });
    const text = fs.readFileSync(fromJsonl.fsPath, "utf8");
    assert.match(text, /^answer: '8'$/m);
    assert.match(text, /^source: problems\.jsonl row 3$/m);
    assert.match(text, /^How many primes are less than 20\?$/m);

    const parquet = path.join(dir, "problems.parquet");
    fs.writeFileSync(
      parquet,
      Buffer.from(
        parquetWriteBuffer({
          columnData: [
            { name: "question", data: ["Solve $2x = 6$ for $x$.", "What is $3^2$?"], type: "STRING" },
            { name: "final_answer", data: ["3", "9"], type: "STRING" },
          ],
        }),
      ),
    );
    const fromParquet = await vscode.commands.executeCommand<vscode.Uri>(COMMANDS.newExampleFromDataset, { file: parquet, row: 1, dir });
    assert.match(fs.readFileSync(fromParquet.fsPath, "utf8"), /^answer: '9'\n[\s\S]*^What is \$3\^2\$\?$/m);

    // verl's layout, as the paper's files are: a chat prompt, reward_model.ground_truth
    const ext = vscode.extensions.getExtension("oneshot-rlvr.oneshot-rlvr")!;
    const verl = path.join(ext.extensionPath, "test", "fixtures", "datasets", "verl.parquet");
    const fromVerl = await vscode.commands.executeCommand<vscode.Uri>(COMMANDS.newExampleFromDataset, { file: verl, row: 0, dir });
    const verlText = fs.readFileSync(fromVerl.fsPath, "utf8");
    assert.match(verlText, /^answer: '12\.8'$/m);
    assert.match(verlText, /^source: verl\.parquet row 1$/m);
    assert.match(verlText, /square feet of sail is \\\( 32 \\\) pounds\.\n$/);
  });

  it("the walkthrough's steps complete on commands the extension registers", async () => {
    const ext = vscode.extensions.getExtension("oneshot-rlvr.oneshot-rlvr")!;
    const steps: { id: string; completionEvents: string[] }[] = ext.packageJSON.contributes.walkthroughs[0].steps;
    assert.deepEqual(steps.map((s) => s.id), ["setupEngine", "openDemo", "train", "dashboard"]);
    const registered = new Set(await vscode.commands.getCommands(true));
    const events = steps.flatMap((s) => s.completionEvents);
    const missing = events.filter((e) => e.startsWith("onCommand:") && !registered.has(e.slice("onCommand:".length)));
    assert.deepEqual(missing, []);
  });

  it("Open the Demo Example copies a shipped example into the workspace and opens it", async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const before = new Set(fs.readdirSync(folder));
    const uri = await vscode.commands.executeCommand<vscode.Uri>(COMMANDS.openDemoExample);
    try {
      assert.ok(uri, "no example was opened");
      assert.equal(path.dirname(uri.fsPath), folder);
      assert.ok(!before.has(path.basename(uri.fsPath)), "an existing file was reused instead of a fresh copy");
      assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, uri.fsPath);
      assert.match(fs.readFileSync(uri.fsPath, "utf8"), /^preset: cpu-demo$/m);
      const titles = await codeLensTitles(uri);
      assert.ok(titles.includes("▶ Train on this example"), titles.join(" | "));
    } finally {
      await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
      if (uri && !before.has(path.basename(uri.fsPath))) fs.rmSync(uri.fsPath, { force: true });
    }
  });

  it("leaves an example with its CodeLens and a diagnostic on screen for the screenshot", async () => {
    // Verdicts first, then the editor: its first CodeLens request already includes them.
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    const file = vscode.Uri.file(path.join(dir, "rejects-reference.rlvr.md"));
    await vscode.commands.executeCommand(COMMANDS.testVerifier, file);
    await vscode.commands.executeCommand("workbench.actions.view.problems");
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc, { preview: false, preserveFocus: false });
    await waitFor(() => diagnosticsOf(doc.uri).find((x) => x.code === "verifier-rejects-reference"), "the diagnostic");
    const titles = await codeLensTitles(doc.uri);
    assert.ok(titles.includes("▶ Train on this example"), titles.join(" | "));
    assert.ok(titles.some((t) => t.startsWith("✗ reference answer")), titles.join(" | "));
    await requestScreenshot("authoring-codelens-diagnostic");
  });
});
