import { closeSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { TrainConfig } from "../../core/example/config";
import { EventLogError, openLog, readEvents } from "../../core/run/eventLog";
import type { ObservedRunStatus } from "../../core/run/events";
import { observeRunStatus, runFiles } from "../../core/run/runDir";
import { DEFAULT_RUNS_ROOT } from "../../core/run/runId";
import { readSummary, SummaryBuilder } from "../../core/run/summary";
import { formatTable } from "../../core/text/table";
import type { Command } from "../command";
import { UserError } from "../command";

export interface RunListing {
  dir: string;
  id: string;
  /** `unreadable`: neither summary.json nor events.jsonl could be read; `problem` says why. */
  status: ObservedRunStatus | "unknown" | "unreadable";
  example?: string;
  model?: string;
  step: number;
  total_steps?: number;
  reward_mean?: number;
  best?: { benchmark: string; metric: string; value: number; step: number };
  error?: string;
  /** A damaged file in the run directory, in one sentence. */
  problem?: string;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** What `oneshot runs` shows for one run directory; a damaged file flags the run, never throws. */
export function describeRun(dir: string): RunListing {
  const base = { dir, id: path.basename(dir), status: observeRunStatus(dir) ?? ("unknown" as const), step: 0 };
  try {
    return { ...base, ...readRun(dir) };
  } catch (e) {
    // a bug or an unforeseen damage must cost this run its row, not the whole listing
    return { ...base, status: "unreadable", problem: e instanceof Error ? e.message : String(e) };
  }
}

function readRun(dir: string): Partial<RunListing> {
  const files = runFiles(dir);
  const config = runConfig(dir);
  const problems: string[] = [];
  const read = readSummary(files.summary);
  let summary = read && "summary" in read ? read.summary : undefined;
  if (read && "problem" in read) problems.push(read.problem);
  try {
    // summary.json is refreshed every step; replay the log only when it is missing (a crash before
    // step 1) or damaged. Opening the log also finds one that `oneshot report` could not read.
    const log = openLog(files.events);
    if (log) closeSync(log.fd);
    if (!summary && config) summary = SummaryBuilder.fromEvents(readEvents(files.events).events, config.run_id, config.settings.steps).build("running");
  } catch (e) {
    if (!(e instanceof EventLogError)) throw e;
    problems.push(e.short);
  }
  const first = summary ? Object.entries(summary.benchmarks)[0] : undefined;
  return {
    ...(summary === undefined && problems.length ? { status: "unreadable" as const } : {}),
    example: config?.example.file,
    model: config?.settings.model,
    step: summary?.steps ?? 0,
    total_steps: summary?.total_steps ?? config?.settings.steps,
    reward_mean: summary?.reward_mean,
    ...(first && first[1].best !== null ? { best: { benchmark: first[0], metric: first[1].metric, value: first[1].best, step: first[1].best_step ?? 0 } } : {}),
    ...(summary?.error ? { error: summary.error } : {}),
    ...(problems.length ? { problem: problems.join("; ") } : {}),
  };
}

/** The run's config.json, or undefined when the folder's config.json is something else (e.g. a model's). */
function runConfig(dir: string): TrainConfig | undefined {
  const c = readJson<TrainConfig>(runFiles(dir).config);
  return c && c.version === 1 && typeof c.settings === "object" && c.settings !== null && typeof c.example === "object" && c.example !== null ? c : undefined;
}

export function listRuns(root: string): RunListing[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => path.join(root, name))
    .filter((d) => isDir(d) && (runConfig(d) !== undefined || observeRunStatus(d) !== undefined))
    .sort()
    .map(describeRun);
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export const runsCommand: Command = {
  name: "runs",
  summary: "List runs with their status, step, reward and best evaluation",
  usage: `Usage: oneshot runs [RUNS_ROOT] [--json]

Lists the run directories under RUNS_ROOT (default .oneshot/runs): status
(running, completed, stopped, failed, or interrupted when the controller died),
step, last training reward and the best score on the first benchmark. A run
with a damaged summary.json or events.jsonl is listed with a note below the
table (status unreadable when neither can be read); the others are unaffected.

  --json   one JSON array instead of a table`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: "boolean", default: false } } });
    if (positionals.length > 1) throw new UserError("give at most one runs root");
    const root = path.resolve(ctx.cwd, positionals[0] ?? DEFAULT_RUNS_ROOT);
    const runs = listRuns(root);
    if (values.json) {
      ctx.stdout.write(JSON.stringify(runs, null, 2) + "\n");
      return 0;
    }
    if (runs.length === 0) {
      ctx.stdout.write(`No runs in ${root}. Start one with \`oneshot train EXAMPLE.rlvr.md\`.\n`);
      return 0;
    }
    ctx.stdout.write(formatRuns(runs));
    return 0;
  },
};

/** The table `oneshot runs` prints, with a note per damaged run below it. */
export function formatRuns(runs: RunListing[]): string {
  const rows = runs.map((r) => [
    r.id,
    r.status,
    `${r.step}/${r.total_steps ?? "?"}`,
    r.reward_mean === undefined ? "–" : r.reward_mean.toFixed(3),
    r.best ? `${r.best.benchmark} ${(100 * r.best.value).toFixed(1)}% @${r.best.step}` : "–",
  ]);
  const table = formatTable([["RUN", "STATUS", "STEP", "REWARD", "BEST EVAL"], ...rows], ["left", "left", "left", "left", "left"]);
  const notes = runs.filter((r) => r.problem).map((r) => `${r.id}: ${r.problem}`);
  return [table, ...(notes.length ? ["", ...notes] : [])].join("\n") + "\n";
}
