import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { TrainConfig } from "../../core/example/config";
import { readEvents } from "../../core/run/eventLog";
import type { ObservedRunStatus, RunSummary } from "../../core/run/events";
import { observeRunStatus, runFiles } from "../../core/run/runDir";
import { DEFAULT_RUNS_ROOT } from "../../core/run/runId";
import { SummaryBuilder } from "../../core/run/summary";
import type { Command } from "../command";
import { UserError } from "../command";

export interface RunListing {
  dir: string;
  id: string;
  status: ObservedRunStatus | "unknown";
  example?: string;
  model?: string;
  step: number;
  total_steps?: number;
  reward_mean?: number;
  best?: { benchmark: string; metric: string; value: number; step: number };
  error?: string;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** What `oneshot runs` shows for one run directory. */
export function describeRun(dir: string): RunListing {
  const files = runFiles(dir);
  const config = runConfig(dir);
  // summary.json is refreshed every step; replay the log only when it is missing (a crash before step 1).
  const summary: RunSummary | undefined =
    readJson<RunSummary>(files.summary) ?? (config ? SummaryBuilder.fromEvents(readEvents(files.events).events, config.run_id, config.settings.steps).build("running") : undefined);
  const first = summary ? Object.entries(summary.benchmarks)[0] : undefined;
  return {
    dir,
    id: path.basename(dir),
    status: observeRunStatus(dir) ?? "unknown",
    example: config?.example.file,
    model: config?.settings.model,
    step: summary?.steps ?? 0,
    total_steps: summary?.total_steps ?? config?.settings.steps,
    reward_mean: summary?.reward_mean,
    ...(first && first[1].best !== null ? { best: { benchmark: first[0], metric: first[1].metric, value: first[1].best, step: first[1].best_step ?? 0 } } : {}),
    ...(summary?.error ? { error: summary.error } : {}),
  };
}

/** The run's config.json, or undefined when the folder's config.json is something else (e.g. a model's). */
function runConfig(dir: string): TrainConfig | undefined {
  const c = readJson<TrainConfig>(runFiles(dir).config);
  return c && c.version === 1 && typeof c.settings === "object" && c.settings !== null && typeof c.example === "object" ? c : undefined;
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
step, last training reward and the best score on the first benchmark.

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
    const rows = runs.map((r) => [
      r.id,
      r.status,
      `${r.step}/${r.total_steps ?? "?"}`,
      r.reward_mean === undefined ? "–" : r.reward_mean.toFixed(3),
      r.best ? `${r.best.benchmark} ${(100 * r.best.value).toFixed(1)}% @${r.best.step}` : "–",
    ]);
    const header = ["RUN", "STATUS", "STEP", "REWARD", "BEST EVAL"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
    ctx.stdout.write([fmt(header), ...rows.map(fmt)].join("\n") + "\n");
    return 0;
  },
};
