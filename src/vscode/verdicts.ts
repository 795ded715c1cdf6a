// The latest "Test verifier" report and reference check per example file, valid while the answer
// and the verifier stay as they were when it ran (other edits keep it), and their inline display:
// a summary after the `answer:` line whose hover gives each verdict with its reason.
import * as vscode from "vscode";
import type { CaseVerdict, VerifierReport } from "../core/authoring/verifierCheck";
import { verdictReason, verdictTitle } from "../core/authoring/verifierCheck";
import { documentOf, isExample, parsed } from "./exampleDocs";
import { gradingOf } from "./verifierRunner";

interface Stored<T> {
  key: string;
  value: T;
}

/** What the verdicts depend on: the answer and how it is graded (verifier kind and source, boxed-only). */
export function verdictKey(doc: vscode.TextDocument): string | undefined {
  const ex = parsed(doc).example;
  return ex ? JSON.stringify([String(ex.frontMatter.answer), gradingOf(ex)]) : undefined;
}

export class Verdicts implements vscode.Disposable {
  private readonly reports = new Map<string, Stored<VerifierReport>>();
  private readonly references = new Map<string, Stored<CaseVerdict>>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  setReport(doc: vscode.TextDocument, key: string, report: VerifierReport): void {
    this.reports.set(doc.uri.toString(), { key, value: report });
    this.references.set(doc.uri.toString(), { key, value: report.reference });
    this.changed.fire(doc.uri);
  }

  setReference(doc: vscode.TextDocument, key: string, verdict: CaseVerdict): void {
    this.references.set(doc.uri.toString(), { key, value: verdict });
    this.changed.fire(doc.uri);
  }

  report(doc: vscode.TextDocument): VerifierReport | undefined {
    return this.fresh(this.reports, doc);
  }

  reference(doc: vscode.TextDocument): CaseVerdict | undefined {
    return this.fresh(this.references, doc);
  }

  /** Was the reference last checked with the current answer and verifier? */
  referenceKey(doc: vscode.TextDocument): string | undefined {
    return this.references.get(doc.uri.toString())?.key;
  }

  private fresh<T>(map: Map<string, Stored<T>>, doc: vscode.TextDocument): T | undefined {
    const s = map.get(doc.uri.toString());
    return s && s.key === verdictKey(doc) ? s.value : undefined;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function reportSummary(r: VerifierReport): string {
  if (r.loadFailure) return `✗ the custom verifier ${r.loadFailure.message}`;
  const right = r.verdicts.filter((v) => v.ok).length;
  const nearMisses = r.verdicts.slice(1);
  const rejected = nearMisses.filter((v) => v.ok).length;
  const ref = r.reference.ok ? "accepts the reference" : "REJECTS the reference";
  return `${right === r.verdicts.length ? "✓" : "✗"} verifier ${ref}, rejects ${rejected}/${nearMisses.length} near misses (${Math.round(r.elapsedMs)} ms)`;
}

export function reportMarkdown(r: VerifierReport): vscode.MarkdownString {
  const md = new vscode.MarkdownString(`**Test verifier** — ${reportSummary(r)}\n\n`);
  for (const v of r.verdicts) {
    md.appendMarkdown(`- **${escapeMd(verdictTitle(v))}** — ${escapeMd(verdictReason(v))}\n`);
  }
  return md;
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_[\]<>]/g, (c) => `\\${c}`);
}

/** Shows the stored report after the `answer:` line of every visible example editor. */
export class VerdictDecorations implements vscode.Disposable {
  private readonly pass = vscode.window.createTextEditorDecorationType({
    after: { margin: "0 0 0 2em", color: new vscode.ThemeColor("testing.iconPassed") },
  });
  private readonly fail = vscode.window.createTextEditorDecorationType({
    after: { margin: "0 0 0 2em", color: new vscode.ThemeColor("testing.iconFailed") },
  });
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly verdicts: Verdicts) {
    this.subscriptions = [
      verdicts.onDidChange(() => this.refreshAll()),
      vscode.window.onDidChangeVisibleTextEditors(() => this.refreshAll()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        for (const ed of vscode.window.visibleTextEditors) if (ed.document === e.document) this.refresh(ed);
      }),
    ];
    this.refreshAll();
  }

  private refreshAll(): void {
    for (const ed of vscode.window.visibleTextEditors) this.refresh(ed);
  }

  private refresh(editor: vscode.TextEditor): void {
    if (!isExample(editor.document)) return;
    const report = this.verdicts.report(editor.document);
    const line = documentOf(editor.document).keys.find((k) => k.key === "answer")?.line;
    const options: vscode.DecorationOptions[] =
      report && line !== undefined
        ? [
            {
              range: editor.document.lineAt(line).range,
              hoverMessage: reportMarkdown(report),
              renderOptions: { after: { contentText: reportSummary(report) } },
            },
          ]
        : [];
    const ok = report?.verdicts.every((v) => v.ok) ?? true;
    editor.setDecorations(this.pass, ok ? options : []);
    editor.setDecorations(this.fail, ok ? [] : options);
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.pass.dispose();
    this.fail.dispose();
  }
}
