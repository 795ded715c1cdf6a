import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { modelFingerprint } from "../../core/bench/evalCache";
import { evaluateBenchmark, type EvalOutcome } from "../../core/bench/evaluation";
import { findPreset } from "../../core/bench/presets";
import { formatTable } from "../../core/text/table";
import {
  ENGINE_USAGE,
  engineOptions,
  evalCacheFor,
  loadBenchmarks,
  parseCount,
  parseDevice,
  parseDtype,
  parseNumber,
  progressLine,
} from "../benchOptions";
import type { Command } from "../command";
import { UsageError } from "../command";
import { lazySession, type OpenSession } from "../evalSession";
import { resolveModel, type ModelRef } from "../modelRef";

/** Without --bench: a run's own benchmarks, or the synthetic one for the built-in model. */
function defaultBenchmarks(ref: ModelRef): string[] | undefined {
  if (ref.runDir) {
    try {
      const config = JSON.parse(readFileSync(path.join(ref.runDir, "config.json"), "utf8")) as { settings?: { eval_benchmarks?: string[] } };
      if (config.settings?.eval_benchmarks?.length) return config.settings.eval_benchmarks;
    } catch {
      // not a run written by `oneshot train`: fall through
    }
  }
  return /(^|[\\/])tiny-math$/.test(ref.model) ? ["synthetic"] : undefined;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

export function formatOutcomes(outcomes: EvalOutcome[]): string {
  const rows = [
    ["benchmark", "metric", "n", "score", "time"],
    ...outcomes.map((o) => [
      findPreset(o.benchmark)?.title ?? o.benchmark,
      o.metric,
      String(o.n),
      pct(o.value),
      o.cached ? "cached" : `${o.time_s.toFixed(1)} s`,
    ]),
  ];
  return formatTable(rows, ["left", "left", "right", "right", "left"]) + "\n";
}

export function createEvalCommand(open: OpenSession): Command {
  return {
    name: "eval",
    summary: "Score a model or checkpoint on benchmarks",
    usage: `Usage: oneshot eval MODEL_OR_CHECKPOINT --bench NAME [--bench NAME …] [options]

Scores a model on benchmarks with the same verifier training uses, and writes the
per-problem results (every response, its extracted answer and grade) as JSONL.
A model × benchmark × settings scored before is read from the cache, not recomputed.

  MODEL_OR_CHECKPOINT  a model folder, a run's checkpoints/step-N, a run (its latest
                       checkpoint), or a hub id such as Qwen/Qwen2.5-Math-1.5B
  --bench NAME     a preset (math500, aime24, aime25, amc23, minerva, olympiadbench,
                   synthetic), a .jsonl/.json/.parquet file, a URL, or a hub dataset
                   id (OWNER/NAME[:CONFIG][@SPLIT]); repeat for several.
                   Default: a run's own benchmarks; synthetic for the built-in model
  --limit N        score only the first N problems of each benchmark
  --samples K      samples per problem (K > 1 reports avg@K, at temperature 0.6
                   unless --temperature says otherwise)
  --temperature T  sampling temperature (presets: 0 greedy, 0.6 for avg@8)
  --max-tokens N   response token limit (presets: 3072)
  --batch-size N   sequences per generate call (presets: 64; synthetic: 160)
  --out DIR        where results go (default: .oneshot/evals/<model>)
  --json           print the scores as JSON instead of a table
${ENGINE_USAGE}`,
    async run(args, ctx) {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          bench: { type: "string", multiple: true },
          limit: { type: "string" },
          samples: { type: "string" },
          temperature: { type: "string" },
          "max-tokens": { type: "string" },
          "batch-size": { type: "string" },
          out: { type: "string" },
          json: { type: "boolean", default: false },
          ...engineOptions,
        },
      });
      if (positionals.length !== 1) throw new UsageError("give exactly one model or checkpoint");
      const ref = resolveModel(positionals[0]!, ctx.cwd);
      const names = values.bench?.length ? values.bench : defaultBenchmarks(ref);
      if (!names) throw new UsageError("name at least one benchmark with --bench");
      const device = parseDevice(values.device);
      const overrides = {
        limit: parseCount(values.limit, "--limit"),
        samples: parseCount(values.samples, "--samples"),
        temperature: parseNumber(values.temperature, "--temperature"),
        max_tokens: parseCount(values["max-tokens"], "--max-tokens"),
        batch_size: parseCount(values["batch-size"], "--batch-size"),
      };
      const benches = await loadBenchmarks(
        names.map((dataset) => ({ dataset, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) })),
        ctx,
        values.refresh,
      );
      const seed = parseCount(values.seed, "--seed", 0)!;
      for (const b of benches) b.settings = { ...b.settings, seed, boxed_only: !values["any-final-answer"] };
      const outDir = path.resolve(ctx.cwd, values.out ?? path.join(".oneshot", "evals", ref.label));
      const lazy = lazySession(() => open({ model: ref.model, python: values.python, device, dtype: parseDtype(values.dtype), boxedOnly: !values["any-final-answer"], seed, ctx }));
      const modelKey = modelFingerprint(ref.model);
      const outcomes: EvalOutcome[] = [];
      let device_: string | undefined;
      try {
        for (const b of benches) {
          outcomes.push(
            await evaluateBenchmark(b, {
              backend: lazy.backend,
              verifier: lazy.verifier,
              cache: values["no-cache"] ? undefined : evalCacheFor(ctx),
              modelKey,
              resultsDir: outDir,
              onProgress: progressLine(ctx, `${b.name}`),
            }),
          );
        }
        if (lazy.opened()) device_ = (await lazy.session()).device;
      } finally {
        await lazy.close();
      }
      mkdirSync(outDir, { recursive: true });
      const summary = {
        model: ref.model,
        fingerprint: modelKey,
        ...(device_ ? { device: device_ } : {}),
        benchmarks: Object.fromEntries(
          outcomes.map((o) => [
            o.benchmark,
            { metric: o.metric, value: o.value, n: o.n, ...(o.breakdown ? { breakdown: o.breakdown } : {}), results_file: path.basename(o.resultsFile!), cached: o.cached },
          ]),
        ),
      };
      writeFileSync(path.join(outDir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
      if (values.json) ctx.stdout.write(JSON.stringify(summary, null, 2) + "\n");
      else ctx.stdout.write(formatOutcomes(outcomes) + `Per-problem results: ${path.relative(ctx.cwd, outDir) || "."}\n`);
      return 0;
    },
  };
}
