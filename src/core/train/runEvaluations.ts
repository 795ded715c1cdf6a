// A training run's evaluations: its benchmarks prepared once, graded by the built-in math
// verifier, on the schedule eval_every (the subset in between, the whole set at step 0 and at the
// end, to compare). A benchmark that cannot be had now is skipped with a warning.
import * as path from "node:path";
import { EvalCache, modelFingerprint } from "../bench/evalCache";
import { defaultCacheRoot, hubOptionsFromEnv } from "../bench/hub";
import { BenchmarkError, classify, loadBenchmark } from "../bench/load";
import type { EvalEvent, LogLevel } from "../run/events";
import type { Verifier, VerifierOptions, VerifierSpec } from "../verifier/api";
import { evaluate, prepareBenchmark, type EngineRpc, type PreparedBenchmark } from "./evaluate";
import { benchmarkCwd } from "./preflight";
import type { ProgressSink } from "./progress";
import type { RunState } from "./runState";
import type { StartupPhases } from "./startupPhases";

export interface EvaluationOptions {
  projectRoot: string;
  createVerifier: (spec: VerifierSpec, options: VerifierOptions) => Verifier;
  progress?: ProgressSink;
  log: (level: LogLevel, message: string) => void;
  signal: AbortSignal;
  /** Records the step-0 evaluation's progress as start-up phases. */
  startup?: StartupPhases;
}

export class RunEvaluations {
  private constructor(
    private readonly benches: PreparedBenchmark[],
    private readonly verifier: Verifier,
    private readonly cache: EvalCache,
    private readonly o: EvaluationOptions,
  ) {}

  static async prepare(run: RunState, o: EvaluationOptions): Promise<RunEvaluations> {
    const benches = await prepareBenchmarks(run, o);
    const s = run.settings;
    // Benchmarks are graded by the built-in math verifier whatever the example's own verifier is,
    // with the run's boxed_only, exactly as `oneshot eval` grades them (a built-in verifier holds
    // no process to dispose).
    const verifier = o.createVerifier({ kind: "math" }, { timeoutMs: s.verifier_timeout_ms, boxedOnly: s.boxed_only });
    const cache = new EvalCache(path.join(defaultCacheRoot(process.env), "evals"));
    return new RunEvaluations(benches, verifier, cache, o);
  }

  private every(run: RunState): number {
    return this.benches.length ? run.settings.eval_every : 0;
  }

  /** The base model's evaluation: due at a fresh start unless the run already has it. */
  initialDue(run: RunState): boolean {
    const has = this.benches.every((b) => run.summary.build("running").benchmarks[b.benchmark.name]?.initial != null);
    return this.every(run) > 0 && run.startStep === 0 && !has;
  }

  /** Evaluates after `step` when the schedule says so; true when it set a new best. */
  async afterStep(run: RunState, engine: EngineRpc, step: number): Promise<boolean> {
    const every = this.every(run);
    const last = run.isLast(step);
    // The subset in between; the whole set at the end, to compare with step 0.
    return every > 0 && (step % every === 0 || last) ? this.at(run, engine, step, last) : false;
  }

  /** Evaluates every benchmark at `step`; false without a new best, or when a stop cut it short. */
  async at(run: RunState, engine: EngineRpc, step: number, full: boolean): Promise<boolean> {
    const s = run.settings;
    let newBest = false;
    for (const bench of this.benches) {
      const e = await evaluate({
        engine,
        verifier: this.verifier,
        bench,
        settings: s,
        plan: run.config.plan,
        step,
        runDir: run.runDir,
        full,
        // At step 0 the weights are the base model's: its score is shared across runs.
        ...(step === 0 ? { cache: this.cache, modelKey: modelFingerprint(s.model) } : {}),
        signal: this.o.signal,
        onProgress: (done, total) => {
          this.o.progress?.phase(`eval ${bench.benchmark.name} ${done}/${total}`);
          if (step === 0) this.o.startup?.phase({ phase: "evaluating", detail: bench.benchmark.name, done, total, unit: "problems" });
        },
      });
      if (!e) return false;
      const written = run.events.append(e) as EvalEvent;
      if (run.summary.onEval(written)) newBest = true;
      this.o.progress?.eval(written);
    }
    run.writeSummary();
    return newBest;
  }
}

async function prepareBenchmarks(run: RunState, o: EvaluationOptions): Promise<PreparedBenchmark[]> {
  const { projectRoot } = o;
  const s = run.settings;
  if (s.eval_every === 0) return [];
  const exampleDir = path.dirname(run.config.example.file);
  const hub = hubOptionsFromEnv(process.env, { onProgress: (m) => o.progress?.phase(m) });
  const out: PreparedBenchmark[] = [];
  for (const ref of s.eval_benchmarks) {
    const cwd = benchmarkCwd(ref, exampleDir, projectRoot);
    try {
      o.progress?.phase(`preparing ${ref}`);
      out.push(prepareBenchmark(await loadBenchmark(ref, { root: projectRoot, cwd, hub }), s));
    } catch (e) {
      // A benchmark that cannot be had now (math500 offline and not cached, an unknown name)
      // must not stop training; a file that is not there is a mistake in the example.
      if (!(e instanceof BenchmarkError)) throw e;
      let isFile = false;
      try {
        isFile = classify(ref, { root: projectRoot, cwd }).source.kind === "file";
      } catch {
        isFile = false;
      }
      if (isFile) throw e;
      o.log("warn", `Training without evaluating on '${ref}': ${e.message}`);
    }
  }
  return out;
}
