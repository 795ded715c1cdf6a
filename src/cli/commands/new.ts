import { existsSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { DatasetError, toDataset, type Dataset } from "../../core/authoring/dataset";
import { exampleDraftFor, findProblem } from "../../core/authoring/fromDataset";
import { listRows, type ListedProblem } from "../../core/authoring/pickItems";
import { rankingFileFor, readRanking, sortByRanking, type RankEntry } from "../../core/authoring/ranking";
import { newExamplePath, renderExample } from "../../core/authoring/template";
import { hubOptionsFromEnv } from "../../core/bench/hub";
import { BenchmarkError, readDatasetRows } from "../../core/bench/load";
import { PRESET_NAMES } from "../../core/example/config";
import { formatTable } from "../../core/text/table";
import type { CliContext, Command } from "../command";
import { UsageError, UserError } from "../command";
import { projectRoot } from "../paths";
import { excerpt } from "./rank";

export const newCommand: Command = {
  name: "new",
  summary: "Make an example file from a dataset's problem, or list a dataset's problems",
  usage: `Usage: oneshot new DATASET (--row N | --id ID) [--out FILE] [--preset P] [--force]
       oneshot new DATASET --list [--json] [--ranked FILE]

Writes a new .rlvr.md example from one problem of a dataset, exactly as the editor's
"New Example from Dataset…" does: the problem, its reference answer, the built-in math
verifier, the preset, and the dataset row it came from.

  DATASET        a .jsonl, .json or .parquet file (plain rows or verl's layout), a benchmark
                 preset, a URL or a hub dataset id
  --row N        the problem on row N (1-based, as --list shows it)
  --id ID        the problem with this id (an id column such as verl's extra_info.index)
  --out FILE     where to write (default: a new file named after the problem, here)
  --preset P     paper | local | lora | cpu-demo (default local, the editor's oneshot.defaultPreset)
  --answer A     the reference answer, for a row that has none (or to replace it)
  --force        overwrite --out FILE when it exists
  --list         list the problems instead: row, id, answer and the problem's first words
  --json         with --list: one JSON array instead of a table
  --ranked FILE  with --list: best first, by a ranking oneshot rank wrote (default:
                 <dataset>.ranked.jsonl beside the dataset or here, when there is one)
  --refresh      download a hub dataset again even when cached`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        row: { type: "string" },
        id: { type: "string" },
        out: { type: "string" },
        preset: { type: "string", default: "local" },
        answer: { type: "string" },
        force: { type: "boolean", default: false },
        list: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        ranked: { type: "string" },
        refresh: { type: "boolean", default: false },
      },
    });
    if (positionals.length !== 1) throw new UsageError("give exactly one dataset");
    const chosen = [values.list && "--list", values.row !== undefined && "--row", values.id !== undefined && "--id"].filter(Boolean);
    if (chosen.length !== 1) throw new UsageError(chosen.length ? `${chosen.join(" and ")} do not go together` : "give --row N, --id ID or --list");
    const dataset = await readFor(positionals[0]!, ctx, values.refresh);
    if (values.list) return list(dataset, ctx, values.json, values.ranked);
    if (!(PRESET_NAMES as readonly string[]).includes(values.preset)) throw new UsageError(`--preset must be ${PRESET_NAMES.join(", ")}, not '${values.preset}'`);
    let by: { row: number } | { id: string };
    if (values.row !== undefined) {
      const row = Number(values.row);
      if (!Number.isInteger(row)) throw new UsageError(`--row must be a whole number, not '${values.row}'`);
      by = { row };
    } else by = { id: values.id! };
    const problem = await userErrors(() => findProblem(dataset, by));
    const answer = values.answer?.trim() || problem.answer;
    if (!answer) throw new UserError(`row ${problem.row + 1} of ${path.basename(dataset.file)} has no reference answer: give one with --answer.`);
    const draft = exampleDraftFor({ ...problem, answer }, dataset.file, values.preset);
    const out = values.out ? path.resolve(ctx.cwd, values.out) : newExamplePath(ctx.cwd, draft, existsSync);
    if (existsSync(out) && !values.force) throw new UserError(`${path.relative(ctx.cwd, out)} already exists: choose another --out, or add --force to overwrite it.`);
    writeFileSync(out, renderExample(draft).text);
    ctx.stdout.write(`Wrote ${path.relative(ctx.cwd, out)} (row ${problem.row + 1}, id ${problem.id}, answer ${answer}).\n`);
    return 0;
  },
};

async function readFor(ref: string, ctx: CliContext, refresh: boolean): Promise<Dataset> {
  const hub = hubOptionsFromEnv(ctx.env, { refresh, onProgress: (m) => ctx.stderr.write(m + "\n") });
  let got;
  try {
    got = await readDatasetRows(ref, { root: projectRoot(ctx.installDir), cwd: ctx.cwd, hub });
  } catch (e) {
    if (e instanceof BenchmarkError) throw new UserError(e.message);
    throw e;
  }
  // The example's `source` names a file by its name, a preset, URL or hub dataset as it was given.
  const dataset = await userErrors(() => toDataset(got.source.kind === "file" ? got.source.path : ref, got.rows));
  if (dataset.problems.length === 0) throw new UserError(`${got.origin} holds no problems.`);
  return dataset;
}

async function list(dataset: Dataset, ctx: CliContext, json: boolean, rankedFile: string | undefined): Promise<number> {
  const file = rankedFile ? path.resolve(ctx.cwd, rankedFile) : rankingFileFor(dataset.file, [ctx.cwd], existsSync);
  let ranking: Map<string, RankEntry> | undefined;
  if (file) ranking = await userErrors(() => readRanking(file));
  const rows = listRows(ranking ? sortByRanking(dataset.problems, ranking) : dataset.problems, ranking);
  if (json) {
    ctx.stdout.write(JSON.stringify(rows, null, 2) + "\n");
    return 0;
  }
  ctx.stdout.write(formatList(rows, ranking !== undefined) + "\n");
  const notes = [`${rows.length} problems`, dataset.skipped ? `${dataset.skipped} rows without problem text skipped` : "", file && ranking ? `ranked by ${path.relative(ctx.cwd, file)}` : ""];
  ctx.stdout.write(notes.filter(Boolean).join("; ") + ". `oneshot new DATASET --row N` writes one as an example.\n");
  return 0;
}

function formatList(rows: ListedProblem[], ranked: boolean): string {
  const scoreName = rows.find((r) => r.score_name)?.score_name ?? "score";
  const head = [...(ranked ? ["rank", scoreName] : []), "row", "id", "answer", "problem"];
  const body = rows.map((r) => [
    ...(ranked ? [r.rank === undefined ? "—" : String(r.rank), r.score === undefined || r.score === null ? "—" : r.score.toFixed(3)] : []),
    String(r.row),
    r.id,
    r.answer === null ? "(none)" : excerpt(r.answer, 24),
    r.problem,
  ]);
  return formatTable([head, ...body], head.map(() => "left"));
}

async function userErrors<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof DatasetError) throw new UserError(e.message);
    throw e;
  }
}
