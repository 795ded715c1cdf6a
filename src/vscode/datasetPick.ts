// "New Example from Dataset…": a local JSON Lines or Parquet file of problems, offered in a
// searchable quick pick; the chosen problem becomes a new example file.
import * as path from "node:path";
import * as vscode from "vscode";
import { DatasetError, readDataset, type Dataset, type DatasetProblem } from "../core/authoring/dataset";
import { problemPickItems, type ProblemPickItem } from "../core/authoring/pickItems";
import { createExample, defaultExampleDir } from "./exampleFile";
import { settings } from "./settings";

/** Programmatic use: the dataset file and the 0-based row to take, without prompts. */
export interface DatasetArgs {
  file?: string;
  row?: number;
  /** Folder for the new example (default: the first workspace folder, else the dataset's). */
  dir?: string;
}

export async function newExampleFromDataset(args: DatasetArgs = {}): Promise<vscode.Uri | undefined> {
  const file = args.file ?? (await pickFile());
  if (!file) return undefined;
  let dataset: Dataset;
  try {
    dataset = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Reading ${path.basename(file)}` },
      () => readDataset(file),
    );
  } catch (e) {
    const message = e instanceof DatasetError ? e.message : `Cannot read ${path.basename(file)}: ${(e as Error).message}`;
    void vscode.window.showErrorMessage(`One-Shot RLVR: ${message}`);
    return undefined;
  }
  if (dataset.problems.length === 0) {
    void vscode.window.showErrorMessage(`One-Shot RLVR: ${path.basename(file)} has no problems in its ${dataset.problemColumn} column.`);
    return undefined;
  }
  const problem = args.row !== undefined ? dataset.problems.find((p) => p.row === args.row) : await pickProblem(dataset);
  if (!problem) return undefined;
  const answer = problem.answer ?? (await askAnswer(problem));
  if (!answer) return undefined;
  const dir = args.dir ?? defaultExampleDir() ?? path.dirname(file);
  const editor = await createExample(dir, {
    problem: problem.problem,
    answer,
    verifier: "math",
    preset: settings().defaultPreset,
    source: `${path.basename(file)} row ${problem.row + 1}`,
  });
  return editor.document.uri;
}

async function pickFile(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: "Dataset of problems",
    canSelectMany: false,
    filters: { "Problems (JSON Lines, Parquet)": ["jsonl", "ndjson", "parquet"] },
    openLabel: "Open dataset",
  });
  return picked?.[0]?.fsPath;
}

function pickProblem(dataset: Dataset): Promise<DatasetProblem | undefined> {
  const qp = vscode.window.createQuickPick<ProblemPickItem>();
  qp.title = `${path.basename(dataset.file)}: ${dataset.problems.length} problems${dataset.skipped ? ` (${dataset.skipped} rows skipped)` : ""}`;
  qp.placeholder = "Search the problems, answers and fields";
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.items = problemPickItems(dataset.problems);
  return new Promise((resolve) => {
    qp.onDidAccept(() => {
      resolve(qp.selectedItems[0]?.problem);
      qp.hide();
    });
    qp.onDidHide(() => {
      resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
}

function askAnswer(problem: DatasetProblem): Thenable<string | undefined> {
  return vscode.window.showInputBox({
    title: `Row ${problem.row + 1} has no answer: reference answer`,
    prompt: problem.problem.slice(0, 200),
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : "The reference answer is required"),
  });
}
