import * as path from "node:path";
import * as vscode from "vscode";

/** Typed access to the extension's settings (declared in package.json `contributes.configuration`). */
export function settings() {
  const c = vscode.workspace.getConfiguration("oneshot");
  return {
    pythonPath: c.get<string>("engine.pythonPath", "").trim(),
    venvPath: c.get<string>("engine.venvPath", "").trim(),
    runsRoot: c.get<string>("runsRoot", ".oneshot/runs"),
    defaultPreset: c.get<string>("defaultPreset", "local"),
    defaultModel: c.get<string>("defaultModel", "").trim(),
    tryWeights: c.get<"fp32" | "int8" | "q4">("try.weights", "fp32"),
    /** GB the editor's runs are planned and capped for; undefined: the whole GPU found. */
    gpuMemory: positive(c.get<number>("gpuMemory", 0)),
  };
}

const positive = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : undefined);

/**
 * Where the engine's venv lives: the setting if given; `.venv` inside the extension folder when
 * running from a source checkout (so the CLI and the editor share one); else the extension's
 * global storage (an installed extension's folder is replaced on every update).
 */
export function resolveVenvDir(ctx: vscode.ExtensionContext): string {
  const s = settings();
  if (s.venvPath) return s.venvPath;
  if (ctx.extensionMode !== vscode.ExtensionMode.Production) return path.join(ctx.extensionPath, ".venv");
  return path.join(ctx.globalStorageUri.fsPath, "venv");
}
