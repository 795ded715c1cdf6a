import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { modelFingerprint } from "../../core/bench/evalCache";
import { evaluateBenchmark } from "../../core/bench/evaluation";
import { rankByVariance, rankedJsonl, type RankedProblem } from "../../core/bench/rank";
import { formatTable } from "../../core/text/table";
import { ENGINE_USAGE, engineOptions, evalCacheFor, loadBenchmarks, parseCount, parseDevice, parseDtype, parseNumber, progressLine } from "../benchOptions";
import type { Command } from "../command";
import { UsageError } from "../command";
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

export function createRankCommand(open: OpenSession): Command {
  return {
    name: "rank",
    summary: "Rank a dataset's problems as training examples by p(1-p)",
    usage: `Usage: oneshot rank DATASET --model MODEL [--k 8] [options]

Samples K answers from the model for every problem and ranks the problems by
p(1−p), where p is the fraction graded correct: problems the model sometimes
solves come first, ones it always or never solves (no learning signal) last.
A cheap proxy for the paper's historical-variance score for choosing the one
training example. Writes the ranked list as JSONL (best first).

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
          ...engineOptions,
        },
      });
      if (positionals.length !== 1) throw new UsageError("give exactly one dataset");
      if (!values.model) throw new UsageError("--model is required");
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
