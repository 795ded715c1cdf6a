// "New Example from Dataset…": a local JSON Lines, JSON or Parquet file of problems, offered in a
// searchable quick pick; the chosen problem becomes a new example file. A ranking that
// `oneshot rank` wrote for the dataset (beside it or in a workspace folder) orders the list.
import { existsSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { DatasetError, readDataset, type Dataset, type DatasetProblem } from "../core/authoring/dataset";
import { exampleDraftFor } from "../core/authoring/fromDataset";
import { problemPickItems, type ProblemPickItem } from "../core/authoring/pickItems";
import { rankingFileFor, readRanking, sortByRanking, type RankEntry } from "../core/authoring/ranking";
import { createExample, defaultExampleDir } from "./exampleFile";
import { settings } from "./settings";

/** Programmatic use: the dataset file and the 0-based row to take, without prompts. */
export interface DatasetArgs {
  file?: string;
  row?: number;
  /** Folder for the new example (default: the first workspace folder, else the dataset's). */
  dir?: string;
  /** A ranking to order the list by (default: `<dataset>.ranked.jsonl` beside it or in a workspace folder). */
  ranked?: string;
}

export async function newExampleFromDataset(args: DatasetArgs = {}): Promise<vscode.Uri | undefined> {
  const file = args.file ?? (await pickFile());
  if (!file) return undefined;
  let dataset: Dataset;
  let ranking: Map<string, RankEntry> | undefined;
  try {
    dataset = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Reading ${path.basename(file)}` },
      () => readDataset(file),
    );
    if (args.ranked) ranking = await readRanking(args.ranked);
  } catch (e) {
    const message = e instanceof DatasetError ? e.message : `Cannot read ${path.basename(file)}: ${(e as Error).message}`;
    void vscode.window.showErrorMessage(`One-Shot RLVR: ${message}`);
    return undefined;
  }
  if (!args.ranked) ranking = await foundRanking(file);
  if (dataset.problems.length === 0) {
    void vscode.window.showErrorMessage(`One-Shot RLVR: ${path.basename(file)} has no problems in its ${dataset.problemColumn} column.`);
    return undefined;
  }
  const problem = args.row !== undefined ? dataset.problems.find((p) => p.row === args.row) : await pickProblem(dataset, ranking);
  if (!problem) return undefined;
  const answer = problem.answer ?? (await askAnswer(problem));
  if (!answer) return undefined;
  const dir = args.dir ?? defaultExampleDir() ?? path.dirname(file);
  const editor = await createExample(dir, exampleDraftFor({ ...problem, answer }, file, settings().defaultPreset));
  return editor.document.uri;
}

/** The ranking `oneshot rank` wrote for this dataset, if there is one; a broken one is only a warning. */
async function foundRanking(file: string): Promise<Map<string, RankEntry> | undefined> {
  const rankedFile = rankingFileFor(file, (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath), existsSync);
  if (!rankedFile) return undefined;
  try {
    return await readRanking(rankedFile);
  } catch (e) {
    void vscode.window.showWarningMessage(`One-Shot RLVR: the problems are listed unranked: ${(e as Error).message}`);
    return undefined;
  }
}

async function pickFile(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: "Dataset of problems",
    canSelectMany: false,
    filters: { "Problems (JSON Lines, JSON, Parquet)": ["jsonl", "ndjson", "json", "parquet"] },
    openLabel: "Open dataset",
  });
  return picked?.[0]?.fsPath;
}

function pickProblem(dataset: Dataset, ranking: Map<string, RankEntry> | undefined): Promise<DatasetProblem | undefined> {
  const qp = vscode.window.createQuickPick<ProblemPickItem>();
  const order = ranking ? `, best ${[...ranking.values()][0]?.score_name ?? ""} first` : "";
  qp.title = `${path.basename(dataset.file)}: ${dataset.problems.length} problems${dataset.skipped ? ` (${dataset.skipped} rows skipped)` : ""}${order}`;
  qp.placeholder = "Search the problems, answers and fields";
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.items = problemPickItems(ranking ? sortByRanking(dataset.problems, ranking) : dataset.problems, ranking);
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
