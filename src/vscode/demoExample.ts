// "Open the Demo Example" (walkthrough step 2): the example shipped in the extension's examples/
// folder, which trains the built-in tiny model on CPU.
import { readdirSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";

export function demoExamplePath(extensionPath: string): string | undefined {
  const dir = path.join(extensionPath, "examples");
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".rlvr.md")).sort();
  } catch {
    return undefined;
  }
  const name = names.find((n) => n.startsWith("demo")) ?? names[0];
  return name ? path.join(dir, name) : undefined;
}

export async function openDemoExample(ctx: vscode.ExtensionContext): Promise<vscode.Uri | undefined> {
  const file = demoExamplePath(ctx.extensionPath);
  if (!file) {
    void vscode.window.showErrorMessage("One-Shot RLVR: this installation has no example files in its examples/ folder.");
    return undefined;
  }
  const uri = vscode.Uri.file(file);
  await vscode.window.showTextDocument(uri);
  return uri;
}
