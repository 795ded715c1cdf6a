// "Open the Demo Example" (walkthrough step 2): the example shipped in the extension's examples/
// folder, which trains the built-in tiny model on CPU. With a folder open it is copied there first
// (a file of that name anywhere in the workspace is reused instead), so the user edits their own
// file, not the installed extension's, and opening it twice never makes a second copy.
import { copyFileSync, existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { DEMO_EXAMPLE } from "../core/authoring/demo";


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
    target = (await existingCopy(path.basename(file), folder)) ?? path.join(folder, path.basename(file));
    if (!existsSync(target)) copyFileSync(file, target);
  }
  const uri = vscode.Uri.file(target);
  await vscode.window.showTextDocument(uri);
  return uri;
}

/**
 * A file of the demo's name already in the workspace (a copy made earlier, or a checkout's
 * examples/ folder): opening the demo again opens it rather than copying a second one. The one
 * at the first folder's top wins, then the shortest path.
 */
async function existingCopy(name: string, folder: string): Promise<string | undefined> {
  const top = path.join(folder, name);
  if (existsSync(top)) return top;
  const found = await vscode.workspace.findFiles(`**/${name}`, "**/{node_modules,.git,.oneshot}/**", 20);
  return found.map((u) => u.fsPath).sort((a, b) => a.length - b.length || a.localeCompare(b))[0];
}
