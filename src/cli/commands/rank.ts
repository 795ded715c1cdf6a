import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { modelFingerprint } from "../../core/bench/evalCache";
import { evaluateBenchmark } from "../../core/bench/evaluation";
import { HISTORY_SCORES, HistoryError, parseHistory, rankByHistory, type HistoryRanked, type HistoryScoreName } from "../../core/bench/history";
import { rankByVariance, rankedJsonl, type RankedProblem } from "../../core/bench/rank";
import type { Benchmark } from "../../core/bench/types";
import { formatTable } from "../../core/text/table";
import { ENGINE_USAGE, engineOptions, evalCacheFor, loadBenchmarks, parseCount, parseDevice, parseDtype, parseNumber, progressLine } from "../benchOptions";
import type { CliContext, Command } from "../command";
import { UsageError, UserError } from "../command";
import { lazySession, type OpenSession } from "../evalSession";
import { resolveModel } from "../modelRef";

export function excerpt(s: string, n = 60): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > n ? one.slice(0, n - 1) + "…" : one;
}

export function formatRanked(ranked: RankedProblem[], top: number): string {
  const rows = [["rank", "id", "solved", "p(1-p)", "problem"], ...ranked.slice(0, top).map((r) => [String(r.rank), r.id, `${r.correct}/${r.k}`, r.score.toFixed(3), excerpt(r.problem)])];
  return formatTable(rows, ["left", "left", "left", "left", "left"]) + "\n";
}

export function formatHistoryRanked(ranked: HistoryRanked[], top: number): string {
  const name = ranked[0]?.score_name ?? "std";
  const rows = [["rank", "id", "epochs", name, "problem"], ...ranked.slice(0, top).map((r) => [String(r.rank), r.id, String(r.epochs), r.score === null ? "—" : r.score.toFixed(3), excerpt(r.problem)])];
  return formatTable(rows, ["left", "left", "left", "left", "left"]) + "\n";
}

/** `--history`: the paper's selection from a full-data run's per-epoch accuracies; no model runs. */
async function rankFromHistory(bench: Benchmark, file: string, score: HistoryScoreName, o: { out?: string; top: number }, ctx: CliContext): Promise<number> {
  const historyFile = path.resolve(ctx.cwd, file);
  let ranking: { ranked: HistoryRanked[]; missing: number };
  try {
    const history = parseHistory(readFileSync(historyFile, "utf8"), path.basename(historyFile));
    ranking = rankByHistory(bench.problems, history, score);
    if (ranking.missing === ranking.ranked.length) {
      const ids = (xs: string[]) => xs.slice(0, 3).join(", ") + (xs.length > 3 ? ", …" : "");
      throw new HistoryError(`no problem of ${bench.name} has history in ${path.basename(historyFile)}: the dataset's ids are ${ids(bench.problems.map((p) => p.id))} and the history's ${ids([...history.keys()])}.`);
    }
  } catch (e) {
    if (e instanceof HistoryError) throw new UserError(e.message);
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new UserError(`history file not found: ${historyFile}`);
    if ((e as NodeJS.ErrnoException).code === "EISDIR") throw new UserError(`${historyFile} is a folder, not a history file.`);
    throw e;
  }
  const { ranked, missing } = ranking;
  const out = path.resolve(ctx.cwd, o.out ?? `${bench.name}.ranked.jsonl`);
  writeFileSync(out, rankedJsonl(ranked));
  ctx.stdout.write(formatHistoryRanked(ranked, o.top));
  const note = missing ? ` ${missing} of ${ranked.length} problems have no history and are listed last.` : "";
  ctx.stdout.write(`Ranked by the ${score === "std" ? "standard deviation" : "lim score"} of each problem's training accuracy per epoch (${path.relative(ctx.cwd, historyFile)}).${note} Ranking: ${path.relative(ctx.cwd, out)}\n`);
  return 0;
}

export function createRankCommand(open: OpenSession): Command {
  return {
    name: "rank",
    summary: "Rank a dataset's problems as training examples by p(1-p)",
    usage: `Usage: oneshot rank DATASET --model MODEL [--k 8] [options]
       oneshot rank DATASET --history FILE [--score std|lim] [--out FILE] [--top N]

Samples K answers from the model for every problem and ranks the problems by
p(1−p), where p is the fraction graded correct: problems the model sometimes
solves come first, ones it always or never solves (no learning signal) last.
A cheap proxy for the paper's historical-variance score for choosing the one
training example. Writes the ranked list as JSONL (best first).

With --history, ranks by that score itself, as the paper chose π1: FILE holds
each problem's training accuracy per epoch from a full-data run, as a JSON
object {"ID": [0.25, 0.5, …], …} or JSON Lines {"id": ID, "accuracies": […]},
ids as the dataset's (verl: extra_info.index). No model runs.
  --history FILE   per-epoch training accuracies by problem id
  --score S        std (default): their standard deviation, the paper's score;
                   lim: LIMR's learning-impact score, the paper code's other one

  DATASET          a preset, a .jsonl/.json/.parquet file, a URL or a hub dataset id
  --model MODEL    the base model (folder or hub id) that will be trained
  --k K            samples per problem (default 8)
  --temperature T  sampling temperature (default 0.6, the paper's rollout temperature)
  --max-tokens N   response token limit (default: the dataset's preset, else 3072)
  --limit N        rank only the first N problems
  --out FILE       where to write the ranking (default: <dataset>.ranked.jsonl)
  --top N          rows to print (default 10)
${ENGINE_USAGE}`,
    async run(args, ctx) {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          model: { type: "string" },
          k: { type: "string", default: "8" },
          temperature: { type: "string", default: "0.6" },
          "max-tokens": { type: "string" },
          limit: { type: "string" },
          out: { type: "string" },
          top: { type: "string", default: "10" },
          history: { type: "string" },
          score: { type: "string" },
          ...engineOptions,
        },
      });
      if (positionals.length !== 1) throw new UsageError("give exactly one dataset");
      if (values.history !== undefined) {
        if (values.model) throw new UsageError("--history ranks by recorded training accuracies and --model by sampling the model: give one");
        const score = values.score ?? "std";
        if (!(HISTORY_SCORES as readonly string[]).includes(score)) throw new UsageError(`--score must be ${HISTORY_SCORES.join(" or ")}, not '${score}'`);
        const [bench] = await loadBenchmarks([{ dataset: positionals[0]!, ...(values.limit ? { limit: parseCount(values.limit, "--limit") } : {}) }], ctx, values.refresh);
        return rankFromHistory(bench!, values.history, score as HistoryScoreName, { out: values.out, top: parseCount(values.top, "--top", 0)! }, ctx);
      }
      if (values.score !== undefined) throw new UsageError("--score chooses a history score: give --history FILE too");
      if (!values.model) throw new UsageError("--model is required (or --history FILE)");
      const k = parseCount(values.k, "--k", 2)!;
      const ref = resolveModel(values.model, ctx.cwd);
      const device = parseDevice(values.device);
      const seed = parseCount(values.seed, "--seed", 0)!;
      const [bench] = await loadBenchmarks(
        [
          {
            dataset: positionals[0]!,
            samples: k,
            temperature: parseNumber(values.temperature, "--temperature"),
            ...(values["max-tokens"] ? { max_tokens: parseCount(values["max-tokens"], "--max-tokens") } : {}),
            ...(values.limit ? { limit: parseCount(values.limit, "--limit") } : {}),
          },
        ],
        ctx,
        values.refresh,
      );
      bench!.settings = { ...bench!.settings, seed, boxed_only: !values["any-final-answer"] };
      const lazy = lazySession(() => open({ model: ref.model, python: values.python, device, dtype: parseDtype(values.dtype), boxedOnly: !values["any-final-answer"], seed, ctx }));
      let ranked: RankedProblem[];
      try {
        const outcome = await evaluateBenchmark(bench!, {
          backend: lazy.backend,
          verifier: lazy.verifier,
          cache: values["no-cache"] ? undefined : evalCacheFor(ctx),
          modelKey: modelFingerprint(ref.model),
          onProgress: progressLine(ctx, `sampling ${bench!.name}`),
        });
        ranked = rankByVariance(outcome.results);
      } finally {
        await lazy.close();
      }
      const out = path.resolve(ctx.cwd, values.out ?? `${bench!.name}.ranked.jsonl`);
      writeFileSync(out, rankedJsonl(ranked));
      const useful = ranked.filter((r) => r.score > 0).length;
      ctx.stdout.write(formatRanked(ranked, parseCount(values.top, "--top", 0)!));
      ctx.stdout.write(`${useful} of ${ranked.length} problems are sometimes solved (p(1-p) > 0). Ranking: ${path.relative(ctx.cwd, out)}\n`);
      return 0;
    },
  };
}
