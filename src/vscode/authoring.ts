// Wires the example-authoring features (one file each) into the extension.
import * as vscode from "vscode";
import { registerCodeLens } from "./codeLens";
import { changeModel, changePreset } from "./changeSetting";
import { COMMANDS } from "./commands";
import { registerCompletion } from "./completion";
import { newExampleFromDataset, type DatasetArgs } from "./datasetPick";
import { openDemoExample } from "./demoExample";
import { ExampleDiagnostics } from "./diagnostics";
import { registerHover } from "./hover";
import { newExample } from "./newExample";
import { showVerifierCase, testVerifier } from "./testVerifier";
import { trainExample, type TrainOptions } from "./trainExample";
import { trainSelection, type SelectionArgs } from "./trainSelection";
import { VerdictDecorations, Verdicts } from "./verdicts";
import { registerVerifierLanguage } from "./verifierLanguage";
import { registerVerifierQuickFix } from "./verifierQuickFix";
import { disposeVerifiers, initVerifierRunner } from "./verifierRunner";

export function registerAuthoring(ctx: vscode.ExtensionContext): void {
  initVerifierRunner(ctx.extensionPath);
  const verdicts = new Verdicts();
  const diagnostics = new ExampleDiagnostics(verdicts, ctx.extensionPath);
  const command = vscode.commands.registerCommand;
  ctx.subscriptions.push(
    verdicts,
    diagnostics,
    new VerdictDecorations(verdicts),
    registerCodeLens(verdicts, ctx.extensionPath),
    registerCompletion(),
    registerHover(),
    registerVerifierLanguage(),
    registerVerifierQuickFix(),
    command(COMMANDS.newExample, (arg?: unknown) => newExample(arg)),
    command(COMMANDS.newExampleFromDataset, (args?: DatasetArgs) => newExampleFromDataset(args)),
    command(COMMANDS.trainExample, (arg?: unknown, options?: TrainOptions) => trainExample(ctx, diagnostics, arg, options)),
    command(COMMANDS.trainSelection, (args?: SelectionArgs) => trainSelection(args)),
    command(COMMANDS.testVerifier, (arg?: unknown) => testVerifier(verdicts, arg)),
    command(COMMANDS.changePreset, (arg?: unknown, preset?: string) => changePreset(arg, preset)),
    command(COMMANDS.changeModel, (arg?: unknown, model?: string) => changeModel(arg, model)),
    command(COMMANDS.openDemoExample, () => openDemoExample(ctx)),
    vscode.workspace.onDidCloseTextDocument((d) => disposeVerifiers(d.uri.fsPath)),
    { dispose: () => void disposeVerifiers() },
    command(COMMANDS.showVerifierCase, (uri: vscode.Uri, kind: string) => showVerifierCase(verdicts, uri, kind)),
  );
}
