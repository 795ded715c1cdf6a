// Shared helpers of the authoring integration tests (suite/ and untrusted/).
import * as path from "node:path";
import * as vscode from "vscode";

export const authoringFixtures = (extensionPath: string) => path.join(extensionPath, "test", "integration", "fixtures", "authoring");

export async function openExample(file: string): Promise<{ doc: vscode.TextDocument; editor: vscode.TextEditor }> {
  const doc = await vscode.workspace.openTextDocument(file);
  const editor = await vscode.window.showTextDocument(doc);
  return { doc, editor };
}

export const diagnosticsOf = (uri: vscode.Uri) =>
  vscode.languages.getDiagnostics(uri).filter((d) => d.source === "One-Shot RLVR");

/** Polls `probe` until it returns a value (not undefined/false) or `timeoutMs` passes. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function codeLensTitles(uri: vscode.Uri): Promise<string[]> {
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", uri, 100);
  return lenses.map((l) => l.command?.title ?? "");
}

/**
 * Asks the harness for a screenshot of the workbench as it is now: it watches the test report
 * lines for `SCREENSHOT <name>` and saves <name>.png beside the session's other artifacts. The
 * pause lets the CodeLens and squiggles render and the screenshot be taken before the next test.
 */
export async function requestScreenshot(name: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 6000));
  console.log(`[oneshot-test] SCREENSHOT ${name}`);
  await new Promise((r) => setTimeout(r, 2000));
}

/** Drops a test's unsaved edits and closes the editor (no save prompt). */
export async function closeWithoutSaving(doc: vscode.TextDocument): Promise<void> {
  await vscode.window.showTextDocument(doc);
  await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
}

/** The running extension's test API (activating it if needed). */
export async function oneShotApi<T>(): Promise<T> {
  const ext = vscode.extensions.all.find((e) => (e.packageJSON as { name?: string }).name === "oneshot-rlvr");
  if (!ext) throw new Error("the extension is not installed");
  return (await ext.activate()) as T;
}
