// "Train on this example": the same code path as `oneshot train FILE --detach` (the bundled CLI,
// started as a child that detaches the run and exits): the CLI resolves the file once, creates the
// run directory under the workspace's runs root and writes config.json, which is all the run reads.
// Then the run's dashboard and the Runs view.
// Refuses while the file has errors; when the CLI refuses because the verifier rejects the
// reference answer (its own check, on the settings it resolved), a modal dialog offers to train
// anyway, which runs the command again with --skip-verifier-check. A GPU run whose memory plan
// does not fit the card is refused before the CLI starts (the CLI would refuse it too, exit 4).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { TRAIN_ANYWAY_ADVICE, VERIFIER_REFUSED_EXIT_CODE } from "../core/train/verifierGate";
import { COMMANDS, FOCUS_RUNS_VIEW } from "./commands";
import type { ExampleDiagnostics } from "./diagnostics";
import { exampleDocument, noExampleMessage, parsed } from "./exampleDocs";
import { log } from "./log";
import { nearlyFull, planOfDocument } from "./plan";
import { runChoices } from "./runChoices";
import { resolveVenvDir, settings } from "./settings";
import { requireTrust, TRAINING_WHY } from "./trust";

export interface TrainOptions {
  /** false: never show a modal dialog (programmatic callers); a rejected reference then refuses. */
  interactive?: boolean;
  /** Start even when the verifier rejects the reference answer. */
  override?: boolean;
}

export type TrainResult =
  | { started: true; runDir: string }
  | { started: false; reason: "no-example" | "untrusted" | "invalid" | "verifier-rejects-reference" | "does-not-fit" | "no-engine" | "failed"; message?: string };

const LAUNCH_TIMEOUT_MS = 60_000;

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

  // The plan `oneshot train` would refuse, said before anything starts; a nearly full card is a warning.
  const planned = planOfDocument(doc, ctx.extensionPath);
  if (planned?.refusal) {
    void vscode.window.showErrorMessage(`One-Shot RLVR: ${planned.refusal}`);
    return { started: false, reason: "does-not-fit", message: planned.refusal };
  }
  if (planned && nearlyFull(planned)) {
    void vscode.window.showWarningMessage(`One-Shot RLVR: the plan's peak is within 5% of the GPU's memory (${planned.summary}); the run may run out of memory.`);
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
  const runsRoot = path.resolve(folder, settings().runsRoot);
  const args = [path.join(ctx.extensionPath, "dist", "cli.js"), "train", doc.uri.fsPath, "--detach", "--runs-root", runsRoot, "--python", python];
  const choices = runChoices(example.frontMatter);
  if (choices.preset) args.push("--preset", choices.preset);
  for (const set of choices.sets ?? []) args.push("--set", set);
  const gpuMemory = settings().gpuMemory;
  if (gpuMemory !== undefined) args.push("--gpu-memory", String(gpuMemory));
  if (options.override) args.push("--skip-verifier-check");
  let launched = await launch(args, folder);
  if (!launched.ok && launched.verifierRefused) {
    const reason = launched.message;
    const message = "The verifier does not give the reference answer reward 1, so every rollout would score 0 and training would learn nothing.";
    if (!interactive) return { started: false, reason: "verifier-rejects-reference", message: `${message} ${reason}` };
    const anyway = "Train anyway";
    const pick = await vscode.window.showWarningMessage(message, { modal: true, detail: reason }, anyway);
    if (pick !== anyway) return { started: false, reason: "verifier-rejects-reference", message };
    launched = await launch([...args, "--skip-verifier-check"], folder);
  }
  if (!launched.ok) {
    void vscode.window.showErrorMessage(`One-Shot RLVR: training did not start: ${launched.message}`);
    return { started: false, reason: "failed", message: launched.message };
  }
  await revealRun(launched.runDir);
  return { started: true, runDir: launched.runDir };
}

/** The engine's Python in the venv the editor manages, when it exists. */
export function enginePython(ctx: vscode.ExtensionContext): string | undefined {
  const venv = resolveVenvDir(ctx);
  const python = process.platform === "win32" ? path.join(venv, "Scripts", "python.exe") : path.join(venv, "bin", "python");
  return existsSync(python) ? python : undefined;
}

/**
 * Runs the CLI with the extension host's own Node (ELECTRON_RUN_AS_NODE makes desktop VS Code's
 * executable act as Node); `--detach` makes it start the run in the background, print the run
 * directory (its last line of output) and exit.
 */
function launch(args: string[], cwd: string): Promise<{ ok: true; runDir: string } | { ok: false; message: string; verifierRefused: boolean }> {
  log().info(`Starting: ${[process.execPath, ...args].join(" ")}`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd, env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" }, timeout: LAUNCH_TIMEOUT_MS },
      (error, stdout, stderr) => {
        if (stdout.trim()) log().info(stdout.trim());
        if (stderr.trim()) log().warn(stderr.trim());
        const runDir = stdout.trim().split("\n").at(-1);
        if (!error && runDir) return resolve({ ok: true, runDir });
        const lastLine = stderr.trim().split("\n").filter(Boolean).at(-1);
        const message = lastLine ?? error?.message ?? "the CLI printed no run directory";
        const verifierRefused = error?.code === VERIFIER_REFUSED_EXIT_CODE;
        // The refusal's reason alone: the dialog offers what the CLI's advice says.
        const reason = message.replace(/^oneshot train: /, "").replace(` ${TRAIN_ANYWAY_ADVICE}`, "");
        resolve({ ok: false, message: verifierRefused ? reason : message, verifierRefused });
      },
    );
  });
}

async function revealRun(runDir: string): Promise<void> {
  // The CLI returns once config.json is written and the controller holds the directory.
  const all = await vscode.commands.getCommands(true);
  if (all.includes(COMMANDS.openDashboard)) {
    await vscode.commands.executeCommand(COMMANDS.openDashboard, vscode.Uri.file(runDir));
  } else {
    await vscode.commands.executeCommand("revealInExplorer", vscode.Uri.file(runDir));
  }
  if (all.includes(FOCUS_RUNS_VIEW)) await vscode.commands.executeCommand(FOCUS_RUNS_VIEW);
}
