// "Open the Demo Example" (walkthrough step 2): the example shipped in the extension's examples/
// folder, which trains the built-in tiny model on CPU. With a folder open it is copied there first
// (an existing copy is reused), so the user edits their own file, not the installed extension's.
import { copyFileSync, existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";

/** The example `npm run demo` trains (scripts/demo.sh), so the walkthrough shows the same run. */
const DEMO_EXAMPLE = "equations.rlvr.md";

export function demoExamplePath(extensionPath: string): string | undefined {
  const dir = path.join(extensionPath, "examples");
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".rlvr.md")).sort();
  } catch {
    return undefined;
  }
  const name = names.find((n) => n === DEMO_EXAMPLE) ?? names[0];
  return name ? path.join(dir, name) : undefined;
}

export async function openDemoExample(ctx: vscode.ExtensionContext): Promise<vscode.Uri | undefined> {
  const file = demoExamplePath(ctx.extensionPath);
  if (!file) {
    void vscode.window.showErrorMessage("One-Shot RLVR: this installation has no example files in its examples/ folder.");
    return undefined;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  let target = file;
  if (folder) {
    target = path.join(folder, path.basename(file));
    if (!existsSync(target)) copyFileSync(file, target);
  }
  const uri = vscode.Uri.file(target);
  await vscode.window.showTextDocument(uri);
  return uri;
}
