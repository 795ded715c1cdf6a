// "Try the Model": a webview where a run's checkpoint and its base model answer a problem side by
// side, run by onnxruntime-node in the extension host. The logic is TryPanelSession
// (src/core/try/panelSession.ts); this file wires it to the editor: the models to offer, the
// export on first use (with a cancellable progress notification), and the command arguments.
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { SYNTHETIC_FILE } from "../core/bench/presets";
import { venvPython } from "../core/engine/pythonEnv";
import { dashboardHtml, makeNonce } from "../core/monitor/dashboardHtml";
import type { RunTracker } from "../core/monitor/tracker";
import { checkpointDir } from "../core/run/layout";
import { TryError } from "../core/try/errors";
import { cachedExport, ensureExport, exportCacheDir, runExport, type ExportOptions, type Quantize } from "../core/try/exporter";
import type { TryModel } from "../core/try/onnxModel";
import { type PanelModel, TryPanelSession } from "../core/try/panelSession";
import { resolveTarget, type TryTarget } from "../core/try/target";
import { WorkerModel } from "../core/try/workerModel";
import { createVerifier } from "../core/verifier/index";
import type { TryViewToExtension } from "../protocol/tryMessages";
import { COMMANDS } from "./commands";
import { log } from "./log";
import type { RunMonitor } from "./monitor";
import { resolveVenvDir, settings } from "./settings";

export const TRY_VIEW_TYPE = "oneshot.tryPanel";

/** A command argument: a Runs view node (a run or one of its checkpoints), a folder, or nothing. */
export type TryArg = { run: RunTracker; step?: number } | string | vscode.Uri | undefined;

function argModel(arg: TryArg): string | undefined {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === "string") return arg;
  if (arg && "run" in arg) return typeof arg.step === "number" ? checkpointDir(arg.run.dir, arg.step) : arg.run.dir;
  return undefined;
}

export class TryPanelManager implements vscode.Disposable {
  private panel: { panel: vscode.WebviewPanel; session: TryPanelSession } | undefined;
  private readonly verifier = createVerifier({ kind: "math" }, { boxedOnly: true });

  constructor(
    private readonly ctx: vscode.ExtensionContext,
    private readonly monitor: RunMonitor,
  ) {}

  private exportOptions(): ExportOptions {
    const python = process.env.ONESHOT_PYTHON || venvPython(resolveVenvDir(this.ctx));
    if (!existsSync(python)) {
      throw new TryError("the first use of a model exports it to ONNX with the engine's Python environment, which is not set up yet: run “One-Shot RLVR: Set Up Engine Environment”");
    }
    return { python, engineDir: path.join(this.ctx.extensionPath, "engine"), quantize: this.quantize() };
  }

  private quantize(): Quantize {
    const w = settings().tryWeights;
    return w === "int8" || w === "q4" ? w : undefined;
  }

  private cacheRoot(): string {
    return path.join(this.ctx.globalStorageUri.fsPath, "onnx");
  }

  /** Runs with a checkpoint, an extra model the panel was opened on, and the built-in model. */
  private models(extra: string | undefined): PanelModel[] {
    const out: PanelModel[] = [];
    const add = (model: string, description: string) => {
      try {
        const target = resolveTarget(model, this.ctx.extensionPath);
        if (out.some((m) => m.choice.id === target.model)) return;
        out.push({ choice: { id: target.model, label: target.label, description, hasBase: target.base !== undefined }, target });
      } catch {
        // a run without checkpoints yet: nothing to try
      }
    };
    if (extra) add(extra, "");
    for (const t of this.monitor.registry.list()) add(t.dir, `${t.status} · step ${t.model.lastStep}/${t.model.totalSteps}`);
    add(path.join(this.ctx.extensionPath, "examples", "models", "tiny-math"), "the built-in tiny model");
    return out;
  }

  private async load(target: TryTarget, onStatus: (m: string) => void, signal: AbortSignal): Promise<TryModel> {
    const dir = exportCacheDir(target.model, this.quantize(), this.cacheRoot());
    if (!cachedExport(dir, target.model)) {
      const o = this.exportOptions();
      onStatus("exporting to ONNX (first use)…");
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Exporting ${target.label} to ONNX (first use)`, cancellable: true },
        async (progress, token) => {
          const ac = new AbortController();
          const stop = () => ac.abort();
          signal.addEventListener("abort", stop);
          token.onCancellationRequested(stop);
          try {
            await ensureExport(target.model, this.cacheRoot(), { ...o, signal: ac.signal, onProgress: (m) => progress.report({ message: m }) });
          } finally {
            signal.removeEventListener("abort", stop);
          }
        },
      );
    }
    onStatus("loading…");
    // In a worker thread: ONNX Runtime's steps are synchronous and would block the extension host.
    return WorkerModel.load(dir, { workerFile: path.join(this.ctx.extensionPath, "dist", "try-worker.cjs") });
  }

  open(arg: TryArg): void {
    const extra = argModel(arg);
    const selected = extra ? this.models(extra)[0]?.choice.id : undefined;
    this.panel?.panel.dispose();
    const panel = vscode.window.createWebviewPanel(TRY_VIEW_TYPE, "Try the Model", vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(this.ctx.extensionUri, "dist")],
    });
    panel.iconPath = vscode.Uri.joinPath(this.ctx.extensionUri, "media", "oneshot.svg");
    const session = new TryPanelSession({
      send: (m) => void panel.webview.postMessage(m),
      models: () => this.models(extra),
      load: (t, onStatus, signal) => this.load(t, onStatus, signal),
      verifier: this.verifier,
      syntheticFile: path.join(this.ctx.extensionPath, SYNTHETIC_FILE),
      cwd: this.ctx.extensionPath,
      ...(selected ? { selected } : {}),
      onError: (m) => log().warn(m),
    });
    const dist = (f: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(this.ctx.extensionUri, "dist", f)).toString();
    panel.webview.html = dashboardHtml({
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
      scriptUri: dist("try.js"),
      styleUri: dist("try.css"),
      title: "Try the Model",
      loading: "Loading…",
    });
    const sub = panel.webview.onDidReceiveMessage((m: TryViewToExtension) => void session.handle(m));
    panel.onDidDispose(() => {
      sub.dispose();
      session.dispose();
      if (this.panel?.panel === panel) this.panel = undefined;
    });
    this.panel = { panel, session };
  }

  /** "Export Checkpoint to ONNX": into the cache `try` uses, or a folder the user picks. */
  async exportOnnx(arg: TryArg): Promise<void> {
    const model = argModel(arg);
    if (!model) {
      this.open(undefined);
      return;
    }
    try {
      const target = resolveTarget(model, this.ctx.extensionPath);
      const o = this.exportOptions();
      const out = exportCacheDir(target.model, o.quantize, this.cacheRoot());
      const m = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Exporting ${target.label} to ONNX`, cancellable: true },
        (progress, token) => {
          const ac = new AbortController();
          token.onCancellationRequested(() => ac.abort());
          return runExport(target.model, out, { ...o, signal: ac.signal, onProgress: (msg) => progress.report({ message: msg }) });
        },
      );
      const reveal = await vscode.window.showInformationMessage(`Exported ${target.label} to ONNX (${(m.bytes / 2 ** 20).toFixed(1)} MiB) in ${out}.`, "Reveal", "Try It");
      if (reveal === "Reveal") await vscode.commands.executeCommand("revealFileInOS", vscode.Uri.file(out));
      if (reveal === "Try It") this.open(model);
    } catch (e) {
      void vscode.window.showErrorMessage(`One-Shot RLVR: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  dispose(): void {
    this.panel?.panel.dispose();
    void this.verifier.dispose();
  }
}

export function registerTry(ctx: vscode.ExtensionContext, monitor: RunMonitor): TryPanelManager {
  const manager = new TryPanelManager(ctx, monitor);
  ctx.subscriptions.push(
    manager,
    vscode.commands.registerCommand(COMMANDS.tryModel, (arg: TryArg) => manager.open(arg)),
    vscode.commands.registerCommand(COMMANDS.exportOnnx, (arg: TryArg) => manager.exportOnnx(arg)),
  );
  return manager;
}
