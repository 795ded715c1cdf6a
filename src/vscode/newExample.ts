// "One-Shot RLVR: New Example": a file from the template, with the placeholder problem selected
// so that typing replaces it.
import * as path from "node:path";
import * as vscode from "vscode";
import { newExampleTemplate } from "../core/authoring/template";
import { defaultExampleDir, writeAndOpen } from "./exampleFile";
import { settings } from "./settings";

/** Arg (programmatic use): the file to create; otherwise the user names it. */
export async function newExample(arg?: unknown): Promise<vscode.Uri | undefined> {
  let file = arg instanceof vscode.Uri ? arg : undefined;
  if (!file) {
    const dir = defaultExampleDir();
    if (dir) {
      const name = await vscode.window.showInputBox({
        title: "New example",
        prompt: `File name in ${path.basename(dir)} (".rlvr.md" is added)`,
        value: "my-example",
        validateInput: (v) => (/^[\w.-][\w .-]*$/.test(v.trim()) ? undefined : "Use letters, digits, dashes, dots or spaces"),
      });
      if (!name) return undefined;
      file = vscode.Uri.file(path.join(dir, name.trim().replace(/(\.rlvr)?(\.md)?$/, "") + ".rlvr.md"));
    } else {
      file = await vscode.window.showSaveDialog({ filters: { "Example file": ["rlvr.md"] }, saveLabel: "Create example" });
      if (!file) return undefined;
    }
  }
  try {
    await vscode.workspace.fs.stat(file);
    const open = "Open it";
    const existing = file;
    void vscode.window
      .showWarningMessage(`One-Shot RLVR: ${path.basename(file.fsPath)} already exists.`, open)
      .then((pick) => {
        if (pick === open) void vscode.window.showTextDocument(existing);
      });
    return undefined;
  } catch {
    // Does not exist yet: create it.
  }
  await writeAndOpen(file, newExampleTemplate(settings().defaultPreset));
  return file;
}
