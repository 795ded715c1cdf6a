// Problems of example files, on the line they concern: the parser's front-matter and structure
// errors (schema-checked), JavaScript syntax errors in the verifier block, and a verifier that
// does not give the reference answer full reward (checked in the background after each edit).
import * as vscode from "vscode";
import { checkJsSyntax } from "../core/authoring/jsSyntax";
import type { CaseVerdict } from "../core/authoring/verifierCheck";
import { loadFailureOf, referenceRejection } from "../core/authoring/verifierCheck";
import { verifierSpecOf } from "../core/example";
import { documentOf, isExample, parsed } from "./exampleDocs";
import { log } from "./log";
import { loraDiagnostics } from "./loraDiagnostics";
import { runReferenceCheck } from "./verifierRunner";
import { verdictKey, type Verdicts } from "./verdicts";

export const DIAGNOSTIC_SOURCE = "One-Shot RLVR";
const DEBOUNCE_MS = 250;

export class ExampleDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection("oneshot-example");
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly checking = new Map<string, string>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly verdicts: Verdicts,
    /** Where presets' relative models resolve (the extension's folder), for LoRA's layer-width check. */
    private readonly projectRoot: string,
  ) {
    this.subscriptions = [
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document, DEBOUNCE_MS)),
      vscode.workspace.onDidCloseTextDocument((d) => this.collection.delete(d.uri)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => vscode.workspace.textDocuments.forEach((d) => this.schedule(d, 0))),
      verdicts.onDidChange((uri) => {
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
        if (doc) this.update(doc);
      }),
    ];
    vscode.workspace.textDocuments.forEach((d) => this.schedule(d, 0));
  }

  private schedule(doc: vscode.TextDocument, delay: number): void {
    if (!isExample(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.update(doc);
        void this.checkReference(doc);
      }, delay),
    );
  }

  /** Recomputes the diagnostics of a document now (also used by commands before they act). */
  update(doc: vscode.TextDocument): vscode.Diagnostic[] {
    if (doc.isClosed) {
      // A late, debounced update of a closed document must not bring its diagnostics back.
      this.collection.delete(doc.uri);
      return [];
    }
    const diagnostics = [...parserDiagnostics(doc), ...verifierSyntax(doc), ...loraDiagnostics(doc, this.projectRoot).map((d) => withSource(d, "lora"))];
    const ref = this.verdicts.reference(doc);
    if (ref && !ref.ok) diagnostics.push(referenceDiagnostic(doc, ref));
    const untrusted = untrustedNotice(doc);
    if (untrusted) diagnostics.push(untrusted);
    this.collection.set(doc.uri, diagnostics);
    return diagnostics;
  }

  /** Grades the reference answer when the answer or verifier changed since the last check. */
  private async checkReference(doc: vscode.TextDocument): Promise<void> {
    const key = verdictKey(doc);
    const uri = doc.uri.toString();
    if (!key || this.verdicts.referenceKey(doc) === key || this.checking.get(uri) === key) return;
    if (verifierSyntax(doc).length) return;
    this.checking.set(uri, key);
    try {
      const outcome = await runReferenceCheck(parsed(doc).example);
      if (outcome.status === "done" && verdictKey(doc) === key) this.verdicts.setReference(doc, key, outcome.value);
    } catch (e) {
      log().error(`Reference check of ${doc.uri.fsPath} failed: ${(e as Error).message}`);
    } finally {
      if (this.checking.get(uri) === key) this.checking.delete(uri);
    }
  }

  dispose(): void {
    this.timers.forEach((t) => clearTimeout(t));
    this.subscriptions.forEach((s) => s.dispose());
    this.collection.dispose();
  }
}

function parserDiagnostics(doc: vscode.TextDocument): vscode.Diagnostic[] {
  return parsed(doc).diagnostics.map((d) => {
    const range = new vscode.Range(d.line - 1, d.column - 1, d.endLine - 1, d.endColumn - 1);
    const severity = d.severity === "error" ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
    return withSource(new vscode.Diagnostic(doc.validateRange(range), d.message, severity), "example");
  });
}

export function verifierSyntax(doc: vscode.TextDocument): vscode.Diagnostic[] {
  const block = documentOf(doc).verifierBlock;
  if (!block || block.lastLine < block.firstLine) return [];
  const source = doc.getText(new vscode.Range(block.firstLine, 0, block.lastLine, doc.lineAt(block.lastLine).text.length));
  const problem = checkJsSyntax(source);
  if (!problem) return [];
  const line = block.firstLine + problem.line;
  const range = new vscode.Range(line, problem.column, line, problem.column + problem.length);
  const d = new vscode.Diagnostic(
    doc.validateRange(range),
    `Verifier JavaScript: ${problem.message}`,
    vscode.DiagnosticSeverity.Error,
  );
  return [withSource(d, "verifier-syntax")];
}

function referenceDiagnostic(doc: vscode.TextDocument, ref: CaseVerdict): vscode.Diagnostic {
  const fence = parsed(doc).example?.verifierLine;
  // A verifier that does not load is underlined where it breaks; one that grades wrongly, at the answer.
  const broken = loadFailureOf(ref.result, fence)?.line;
  const line = broken !== undefined ? Math.min(broken - 1, doc.lineCount - 1) : (documentOf(doc).keys.find((k) => k.key === "answer")?.line ?? 0);
  const d = new vscode.Diagnostic(doc.lineAt(line).range, referenceRejection(ref, fence), vscode.DiagnosticSeverity.Error);
  return withSource(d, "verifier-rejects-reference");
}

function untrustedNotice(doc: vscode.TextDocument): vscode.Diagnostic | undefined {
  const ex = parsed(doc).example;
  const block = documentOf(doc).verifierBlock;
  if (vscode.workspace.isTrusted || !ex || !block || verifierSpecOf(ex).kind !== "custom") return undefined;
  const d = new vscode.Diagnostic(
    doc.lineAt(block.open).range,
    "This custom verifier does not run in an untrusted workspace: trust the workspace to test it or train with it.",
    vscode.DiagnosticSeverity.Information,
  );
  return withSource(d, "untrusted-custom-verifier");
}

function withSource(d: vscode.Diagnostic, code: string): vscode.Diagnostic {
  d.source = DIAGNOSTIC_SOURCE;
  d.code = code;
  return d;
}
