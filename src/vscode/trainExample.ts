// "Train on this example": the same code path as `oneshot train FILE --detach` (the bundled CLI,
// started as a child that detaches the run and exits), then the run's dashboard and the Runs view.
// Refuses while the file has errors or its verifier rejects the reference answer, unless the user
// overrides the latter in a modal dialog.
import { execFile } from "node:child_process";
import { existsSync, rmdirSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { verdictReason } from "../core/authoring/verifierCheck";
import { createRunDir, newRunId } from "../core/run/runId";
import { COMMANDS, FOCUS_RUNS_VIEW } from "./commands";
import type { ExampleDiagnostics } from "./diagnostics";
import { exampleDocument, noExampleMessage, parsed } from "./exampleDocs";
import { log } from "./log";
import { resolveVenvDir, settings } from "./settings";
import { requireTrust, TRAINING_WHY } from "./trust";
import { runReferenceCheck } from "./verifierRunner";

export interface TrainOptions {
  /** false: never show a modal dialog (programmatic callers); a rejected reference then refuses. */
  interactive?: boolean;
  /** Start even when the verifier rejects the reference answer. */
  override?: boolean;
}

export type TrainResult =
  | { started: true; runDir: string }
  | { started: false; reason: "no-example" | "untrusted" | "invalid" | "verifier-rejects-reference" | "no-engine" | "failed"; message?: string };

const LAUNCH_TIMEOUT_MS = 60_000;
const CONFIG_WAIT_MS = 10_000;

export async function trainExample(
  ctx: vscode.ExtensionContext,
  diagnostics: ExampleDiagnostics,
  arg?: unknown,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const interactive = options.interactive ?? true;
  const doc = await exampleDocument(arg);
  if (!doc) {
    await noExampleMessage();
    return { started: false, reason: "no-example" };
  }
  if (!requireTrust("Training", TRAINING_WHY)) return { started: false, reason: "untrusted" };
  if (doc.isDirty) await doc.save();

  const errors = diagnostics.update(doc).filter((d) => d.severity === vscode.DiagnosticSeverity.Error && d.code !== "verifier-rejects-reference");
  const example = parsed(doc).example;
  if (!example || errors.length) {
    const first = errors[0];
    const message = first ? `line ${first.range.start.line + 1}: ${first.message}` : "the file could not be read";
    void vscode.window.showErrorMessage(`One-Shot RLVR: fix this example before training (${message}).`);
    return { started: false, reason: "invalid", message };
  }

  const ref = await runReferenceCheck(example);
  const rejected = ref.status === "done" && !ref.value.ok;
  if (rejected && !options.override) {
    const reason = verdictReason(ref.value);
    const message = `The verifier gives the reference answer reward ${ref.value.result.reward}, so every rollout would score 0 and training would learn nothing.`;
    if (!interactive) return { started: false, reason: "verifier-rejects-reference", message: `${message} ${reason}` };
    const anyway = "Train anyway";
    const pick = await vscode.window.showWarningMessage(message, { modal: true, detail: reason }, anyway);
    if (pick !== anyway) return { started: false, reason: "verifier-rejects-reference", message };
  }

  const python = enginePython(ctx);
  if (!python) {
    const setUp = "Set Up Engine Environment";
    const message = "The engine's Python environment is not set up yet.";
    if (interactive) {
      const pick = await vscode.window.showErrorMessage(`One-Shot RLVR: ${message}`, setUp);
      if (pick === setUp) await vscode.commands.executeCommand(COMMANDS.setupEngine);
    }
    return { started: false, reason: "no-engine", message };
  }

  // Runs go under the workspace's runs root, where the Runs view looks, even for an example
  // opened from elsewhere (the walkthrough's demo lives in the extension's folder).
  const folder =
    (vscode.workspace.getWorkspaceFolder(doc.uri) ?? vscode.workspace.workspaceFolders?.[0])?.uri.fsPath ?? path.dirname(doc.uri.fsPath);
  const runDir = newRunDir(folder, doc);
  const args = [path.join(ctx.extensionPath, "dist", "cli.js"), "train", doc.uri.fsPath, "--detach", "--run-dir", runDir, "--python", python];
  const fm = example.frontMatter;
  const s = settings();
  if (fm.preset === undefined && s.defaultPreset) args.push("--preset", s.defaultPreset);
  if (fm.model === undefined && s.defaultModel) args.push("--set", `model=${s.defaultModel}`);
  // "Train anyway": the CLI makes the same check and would refuse.
  if (rejected) args.push("--skip-verifier-check");
  const launched = await launch(args, folder);
  if (!launched.ok) {
    // An empty directory is only clutter; one with the controller's log explains the failure.
    try {
      rmdirSync(runDir);
    } catch {
      // Not empty: keep it.
    }
    void vscode.window.showErrorMessage(`One-Shot RLVR: training did not start: ${launched.message}`);
    return { started: false, reason: "failed", message: launched.message };
  }
  await revealRun(runDir);
  return { started: true, runDir };
}

function enginePython(ctx: vscode.ExtensionContext): string | undefined {
  const venv = resolveVenvDir(ctx);
  const python = process.platform === "win32" ? path.join(venv, "Scripts", "python.exe") : path.join(venv, "bin", "python");
  return existsSync(python) ? python : undefined;
}

/** A new, empty `<workspace folder>/<runs root>/<run id>`, named as `oneshot train` names runs. */
function newRunDir(folder: string, doc: vscode.TextDocument): string {
  return createRunDir(path.resolve(folder, settings().runsRoot), newRunId(doc.uri.fsPath));
}

/**
 * Runs the CLI with the extension host's own Node (ELECTRON_RUN_AS_NODE makes desktop VS Code's
 * executable act as Node); `--detach` makes it start the run in the background and exit.
 */
function launch(args: string[], cwd: string): Promise<{ ok: true } | { ok: false; message: string }> {
  log().info(`Starting: ${[process.execPath, ...args].join(" ")}`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd, env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" }, timeout: LAUNCH_TIMEOUT_MS },
      (error, stdout, stderr) => {
        if (stdout.trim()) log().info(stdout.trim());
        if (stderr.trim()) log().warn(stderr.trim());
        if (!error) return resolve({ ok: true });
        const lastLine = stderr.trim().split("\n").filter(Boolean).at(-1);
        resolve({ ok: false, message: lastLine ?? error.message });
      },
    );
  });
}

async function revealRun(runDir: string): Promise<void> {
  // The detached controller writes config.json first; the dashboard opens on a directory with it.
  const config = path.join(runDir, "config.json");
  for (let waited = 0; !existsSync(config) && waited < CONFIG_WAIT_MS; waited += 100) await new Promise((r) => setTimeout(r, 100));
  const all = await vscode.commands.getCommands(true);
  if (all.includes(COMMANDS.openDashboard)) {
    await vscode.commands.executeCommand(COMMANDS.openDashboard, vscode.Uri.file(runDir));
  } else {
    await vscode.commands.executeCommand("revealInExplorer", vscode.Uri.file(runDir));
  }
  if (all.includes(FOCUS_RUNS_VIEW)) await vscode.commands.executeCommand(FOCUS_RUNS_VIEW);
}
