// The run controller: owns one run directory from config.json to run_finished.
// rollouts of the prompt copies → one verifier grades them (rows that finish early while the others
// still decode: rolloutGrader.ts) → group-normalised advantages → train_step → events; evaluation on the schedule; checkpoints every K steps (last N + best).
// Stop (SIGINT/SIGTERM through stop()) lets the current engine call finish, checkpoints, and ends
// with `stopped`; an engine crash ends with `failed`, the engine's message and a hint. Every
// ending writes run_finished (fsynced), summary.json and the status file; on a full disk as much of
// them as fits (the run ends failed, "The disk is full (PATH)", see diskFull.ts).
// The loop runs over a RunState (runState.ts); the engine's start (runEngine.ts), evaluations
// (runEvaluations.ts) and checkpoints (saveCheckpoint.ts) are steps of their own.
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { EngineClient, EngineLaunch } from "../engine/client";
import { EngineError, outOfMemoryHint } from "../engine/errors";
import type { TrainConfig } from "../example/config";
import { EventLogWriter, readEvents } from "../run/eventLog";
import type { LogLevel, RolloutRecord, RunEventInput, RunFinishedEvent, StepEvent } from "../run/events";
import { acquireRunLock, type RunLock } from "../run/lock";
import { asDiskFull, bestEffort, DISK_FULL_HINT, DiskFullError, noSpaceLeft } from "../run/diskFull";
import type { LogFile } from "../run/logFile";
import { runFiles } from "../run/layout";
import { writeStatus } from "../run/status";
import { SummaryBuilder, writeJsonAtomic } from "../run/summary";
import { BenchmarkError, benchmarkNameFor } from "../bench/load";
import type { Verifier, VerifierOptions, VerifierSpec, VerifyResult } from "../verifier/api";
import type { GenerateOutput, GenerateResult } from "../engine/protocol";
import { groupAdvantages } from "./advantages";
import type { SavedCheckpoint } from "./checkpoints";
import { mean, reflectionRate, spreadSample, std } from "./metrics";
import { loadResumePoint } from "./resumePoint";
import { RewardWatch } from "./rewardWatch";
import { RolloutGrader } from "./rolloutGrader";
import type { ProgressSink } from "./progress";
import { RunEvaluations } from "./runEvaluations";
import { checkProtocol, formatRunPrompt, startRunEngine } from "./runEngine";
import { RunFailure } from "./runFailure";
import { LORA_RESUME_HINT, loraResumeMismatch, trainLoadParams } from "./loadParams";
import { RunState } from "./runState";
import { saveCheckpoint } from "./saveCheckpoint";
import { StartupPhases } from "./startupPhases";
import { stepPeak } from "./stepMemory";
import { resolveWaveRows, waveParams } from "./waves";

export interface ControllerOptions {
  config: TrainConfig;
  runDir: string;
  engine: EngineLaunch;
  createVerifier: (spec: VerifierSpec, options: VerifierOptions) => Verifier;
  /** Folder holding examples/ (named benchmarks). */
  projectRoot: string;
  /** Continue the run in runDir from its last resumable checkpoint. */
  resume?: boolean;
  progress?: ProgressSink;
}

export interface RunOutcome {
  status: RunFinishedEvent["status"];
  steps_done: number;
  error?: string;
  hint?: string;
}

export class RunController {
  private readonly stopRequest = new AbortController();
  private forced = false;
  private engine?: EngineClient;
  private readonly rewardWatch = new RewardWatch();
  /** Grades the rows the engine streams during the current step's generate. */
  private grader?: RolloutGrader;

  constructor(private readonly o: ControllerOptions) {}

  /** Graceful stop: finish the current engine call, checkpoint, end as `stopped`. */
  stop(): void {
    if (this.stopRequest.signal.aborted) return this.forceStop();
    this.stopRequest.abort();
    this.o.progress?.log("info", "Stopping: finishing the current step, then saving a checkpoint (press Ctrl-C again to stop at once)");
  }

  /** Immediate stop: kill the engine, no checkpoint. */
  forceStop(): void {
    this.forced = true;
    this.stopRequest.abort();
    this.engine?.kill();
  }

  /** The engine's process id while it runs (for tests that kill it). */
  get enginePid(): number | undefined {
    return this.engine?.pid;
  }

  get stopping(): boolean {
    return this.stopRequest.signal.aborted;
  }

  async run(): Promise<RunOutcome> {
    const { config, runDir } = this.o;
    const files = runFiles(runDir);
    mkdirSync(runDir, { recursive: true });
    const lock: RunLock = acquireRunLock(runDir);
    let events: EventLogWriter | undefined;
    let verifier: Verifier | undefined;
    const summary = this.summaryFor(files.events);
    let outcome: RunOutcome = { status: "failed", steps_done: summary.stepsDone };
    try {
      try {
        if (!this.o.resume) writeJsonAtomic(files.config, config);
        writeFileSync(files.pid, `${process.pid}\n`);
        writeStatus(runDir, "running");
        events = new EventLogWriter(files.events);
        verifier = this.o.createVerifier(config.example.verifier, { timeoutMs: config.settings.verifier_timeout_ms, boxedOnly: config.settings.boxed_only });
        outcome = await this.train(events, summary, verifier, this.logger(events));
      } catch (e) {
        outcome = this.failure(e, summary.stepsDone, events);
      }
      // On a full disk each of these may fail: the others are still tried.
      const ended = events;
      const finished = bestEffort(() =>
        ended?.append<RunEventInput<RunFinishedEvent>>(
          { type: "run_finished", status: outcome.status, steps_done: outcome.steps_done, ...(outcome.error ? { error: outcome.error } : {}), ...(outcome.hint ? { hint: outcome.hint } : {}) },
          true,
        ),
      );
      if (finished) summary.add(finished);
      bestEffort(() => writeJsonAtomic(files.summary, summary.build(outcome.status, outcome.error ? { error: outcome.error, hint: outcome.hint } : undefined)));
      // The status changes last, after the engine is gone: a reader seeing it can start a new run at once.
      await this.cleanUp(verifier);
      bestEffort(() => writeStatus(runDir, outcome.status));
      return outcome;
    } finally {
      await this.cleanUp(verifier);
      events?.close();
      lock.release();
    }
  }

  private cleaned = false;

  private async cleanUp(verifier: Verifier | undefined): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    this.o.progress?.close();
    await this.engine?.stop().catch(() => undefined);
    await verifier?.dispose().catch(() => undefined);
  }

  private summaryFor(eventsFile: string): SummaryBuilder {
    const { config } = this.o;
    const primary = config.settings.eval_benchmarks[0] !== undefined ? benchmarkNameFor(config.settings.eval_benchmarks[0]) : undefined;
    if (!this.o.resume) return new SummaryBuilder(config.run_id, config.settings.steps, primary);
    return SummaryBuilder.fromEvents(readEvents(eventsFile).events, config.run_id, config.settings.steps, primary);
  }

  private logger(events: EventLogWriter | undefined) {
    return (level: LogLevel, message: string, source: "controller" | "engine" | "verifier" = "controller") => {
      events?.append({ type: "log", level, message, source });
      if (level !== "debug") this.o.progress?.log(level, message);
    };
  }

  private failure(e: unknown, stepsDone: number, events: EventLogWriter | undefined): RunOutcome {
    if (this.forced) return { status: "stopped", steps_done: stepsDone };
    const full = this.diskFull(e);
    if (full) return { status: "failed", steps_done: stepsDone, error: full.message, hint: DISK_FULL_HINT };
    if (e instanceof EngineError && e.outOfMemory && e.kind === "rpc") {
      // The hint names this run's example file in the command that shows what fits.
      return { status: "failed", steps_done: stepsDone, error: e.message, hint: outOfMemoryHint(e.phase, exampleArg(this.o.config.example.file)) };
    }
    if (e instanceof EngineError || e instanceof RunFailure) {
      return { status: "failed", steps_done: stepsDone, error: e.message, ...(e.hint ? { hint: e.hint } : {}) };
    }
    if (e instanceof BenchmarkError) return { status: "failed", steps_done: stepsDone, error: e.message, hint: "Fix eval_benchmarks in the example file or with --set." };
    const err = e instanceof Error ? e : new Error(String(e));
    bestEffort(() => appendFileSync(runFiles(this.o.runDir).controllerLog, `${new Date().toISOString()} internal error: ${err.stack ?? err.message}\n`));
    bestEffort(() => this.logger(events)("error", `Internal error: ${err.message}`));
    return { status: "failed", steps_done: stepsDone, error: `Internal error in the controller: ${err.message}`, hint: "See controller.log in the run directory; please report it." };
  }

  /** The full disk behind a failure: a write of ours or the engine's, or one that left no space. */
  private diskFull(e: unknown): DiskFullError | undefined {
    const full = asDiskFull(e, this.o.runDir);
    if (full instanceof DiskFullError) return full;
    // An engine that could not write says so in its own words, which may not name the cause.
    const unexplained = e instanceof EngineError ? !e.outOfMemory && e.kind !== "spawn" : !(e instanceof RunFailure || e instanceof BenchmarkError);
    if (unexplained) {
      if (this.engineLog?.diskFull) return new DiskFullError(this.engineLog.file);
      if (noSpaceLeft(this.o.runDir)) return new DiskFullError(this.o.runDir);
    }
    return undefined;
  }

  private engineLog?: LogFile;

  /** Engine start, model load, the initial evaluation, then one GRPO step after another until done or stopped. */
  private async train(events: EventLogWriter, summary: SummaryBuilder, verifier: Verifier, log: ReturnType<RunController["logger"]>): Promise<RunOutcome> {
    const run = new RunState(this.o.config, this.o.runDir, events, summary, !!this.o.resume);
    const startup = new StartupPhases((e) => events.append(e));
    startup.phase({ phase: "starting" });
    const { engine, engineLog } = startRunEngine(this.o.engine, run.runDir, run.files.engineLog, log, this.o.progress, (p, d, t) => startup.engineProgress(p, d, t), (rows) => this.grader?.add(rows));
    this.engine = engine;
    this.engineLog = engineLog;
    const hello = await checkProtocol(engine);
    const point = await this.loadModel(run, engine, log, startup);
    const prompt = await formatRunPrompt(engine, run.config);
    this.announce(run, hello, point, prompt, log);
    const evals = await RunEvaluations.prepare(run, { projectRoot: this.o.projectRoot, createVerifier: this.o.createVerifier, progress: this.o.progress, log, signal: this.stopRequest.signal, startup });
    if (evals.initialDue(run) && !this.stopping) await evals.at(run, engine, 0, true);
    startup.phase({ phase: "training", detail: `step ${run.startStep + 1}` });
    startup.end();

    for (let step = run.startStep + 1; step <= run.settings.steps && !this.stopping; step++) {
      const t0 = Date.now();
      const result = await this.step(engine, verifier, prompt.text, step);
      if (!result) break; // stop requested between generate and train: discard the batch
      if (result.warning) log("warn", result.warning);
      const { event, etaS } = run.recordStep(result.step, result.rollouts, (Date.now() - t0) / 1000);
      this.o.progress?.step(event, etaS);
      await this.afterStep(run, engine, evals, step);
    }
    return this.ending(run, engine);
  }

  /** The base model, or on resume the newest intact checkpoint; sets where the run starts. */
  private async loadModel(run: RunState, engine: EngineClient, log: ReturnType<RunController["logger"]>, startup: StartupPhases) {
    const { runDir, keeper } = run;
    const s = run.settings;
    const load = (from: SavedCheckpoint | undefined) => {
      this.o.progress?.phase(from ? `loading ${from.path}` : `loading ${s.model}`);
      startup.loading(from ? from.path : s.model);
      const resumeDir = from ? path.join(runDir, from.path) : undefined;
      const mismatch = resumeDir && loraResumeMismatch(resumeDir, s);
      if (mismatch) throw new RunFailure(mismatch, LORA_RESUME_HINT);
      return engine.request("load", trainLoadParams(run.config, resumeDir));
    };
    // Without an intact checkpoint (stopped or failed before the first one, or all damaged) a
    // resumed run starts over from the base model: its last checkpoint, so to speak, is step 0.
    const point = await loadResumePoint(this.o.resume ? keeper.resumableNewestFirst : [], runDir, load, (m) => log("warn", m));
    for (const c of point.damaged) keeper.forget(c.step);
    run.startAt(point.from?.step ?? 0);
    return point;
  }

  /** run_started, and the line that says what trains on what. */
  private announce(
    run: RunState,
    hello: { engine_version: string; world_size?: number },
    point: Awaited<ReturnType<RunController["loadModel"]>>,
    prompt: { text: string; tokens: number },
    log: ReturnType<RunController["logger"]>,
  ): void {
    const { config, startStep } = run;
    const s = run.settings;
    const { from: resumeFrom, loaded } = point;
    const worldSize = hello.world_size ?? 1;
    // config.json says where the run trains, as of its latest start.
    if (config.world_size !== worldSize) {
      config.world_size = worldSize;
      writeJsonAtomic(run.files.config, config);
    }
    run.emit({
      type: "run_started",
      run_id: config.run_id,
      example: config.example.file,
      model: s.model,
      preset: config.preset,
      total_steps: s.steps,
      start_step: startStep,
      resumed: !!this.o.resume,
      pid: process.pid,
      engine: { device: loaded.device, dtype: loaded.dtype, params: loaded.params, version: hello.engine_version, options: loaded.options },
      prompt: { text: prompt.text, tokens: prompt.tokens },
      ...(config.plan ? { plan: config.plan } : {}),
      world_size: worldSize,
    });
    const verb = this.o.resume ? (resumeFrom ? `Resuming at step ${startStep}` : "Starting over (no checkpoint to resume from):") : "Training";
    const where = worldSize > 1 ? `${loaded.device} × ${worldSize} processes` : loaded.device;
    log("info", `${verb} ${path.basename(config.example.file)}: ${s.model} on ${where} (${formatCount(loaded.params)} parameters), ${s.steps} steps`);
  }

  /** The evaluation and checkpoint schedules after a trained step, then summary.json. */
  private async afterStep(run: RunState, engine: EngineClient, evals: RunEvaluations, step: number): Promise<void> {
    const s = run.settings;
    const last = run.isLast(step);
    const newBest = await evals.afterStep(run, engine, step);
    if (newBest) run.keeper.setBest(step);
    if ((s.checkpoint_every > 0 && step % s.checkpoint_every === 0) || last) await saveCheckpoint(run, engine, step, last ? "final" : "interval", this.o.progress);
    else if (newBest) await saveCheckpoint(run, engine, step, "best", this.o.progress);
    run.writeSummary();
  }

  /** Completed, or stopped with a checkpoint of the last step (unless forced). */
  private async ending(run: RunState, engine: EngineClient): Promise<RunOutcome> {
    const { done, startStep } = run;
    // A stop that arrives during the last step's evaluation still leaves a completed run.
    if (this.stopping && done < run.settings.steps) {
      if (!this.forced && done > startStep && run.keeper.lastResumable?.step !== done) await saveCheckpoint(run, engine, done, "stop", this.o.progress);
      return { status: "stopped", steps_done: done };
    }
    return { status: "completed", steps_done: done };
  }

  /** One GRPO step; undefined when a stop request arrived after generation. */
  private async step(engine: EngineClient, verifier: Verifier, promptText: string, step: number) {
    const { config } = this.o;
    const s = config.settings;
    this.o.progress?.phase("generating");
    const grader = new RolloutGrader(verifier, config.example.answer);
    this.grader = grader;
    const generating = engine.request("generate", {
      prompts: Array.from({ length: s.prompt_copies }, () => promptText),
      rollouts: s.rollouts,
      temperature: s.temperature,
      top_p: s.top_p,
      top_k: s.top_k,
      max_response_tokens: s.max_response_tokens,
      stop: s.stop,
      seed: s.seed * 100003 + step,
      keep_for_training: true,
      stream_outputs: true,
      ...waveParams(resolveWaveRows(s, config.plan)),
    });
    let gen: GenerateResult;
    try {
      gen = await generating;
    } catch (e) {
      await grader.cancel(); // no verifier work outlives the step
      throw e;
    } finally {
      this.grader = undefined;
    }
    if (this.stopping || !gen.batch_id) await grader.cancel();
    if (this.stopping) return undefined;
    if (!gen.batch_id) throw new RunFailure("The engine did not keep the rollout batch for training", "Update the engine environment with `oneshot setup`.");

    this.o.progress?.phase("grading");
    // The time the step waits for rewards once generation has ended: rows graded while others
    // still decoded do not count.
    const tReward = Date.now();
    const graded = await grader.finish(gen.outputs);
    const timeReward = (Date.now() - tReward) / 1000;
    const rewards = graded.map((g) => g.reward);
    const adv = groupAdvantages(rewards, s.rollouts);

    this.o.progress?.phase("training");
    const tTrain = Date.now();
    const training = engine.request("train_step", {
      batch_id: gen.batch_id,
      advantages: adv.advantages,
      clip_ratio_low: s.clip_ratio_low,
      clip_ratio_high: s.clip_ratio_high,
      kl_coef: s.kl_coef,
      kl_type: s.kl_type,
      entropy_coef: s.entropy_coef,
      loss_agg: s.loss_agg,
      mini_batches: s.mini_batches,
      micro_batch_size: s.micro_batch_size,
    });
    // The rollouts' own figures and records are worked out while the engine trains, not after
    // (a failed train_step is awaited below, not left unhandled meanwhile).
    training.catch(() => undefined);
    await engine.written();
    const lengths = gen.outputs.map((o) => o.tokens);
    const texts = {
      response_len_mean: mean(lengths),
      response_len_max: Math.max(0, ...lengths),
      truncated_fraction: gen.outputs.filter((o) => o.finish_reason === "length").length / gen.outputs.length,
      reflection_rate: reflectionRate(gen.outputs.map((o) => o.text)),
    };
    const records = rolloutRecords(gen.outputs, graded, adv.advantages, s.rollouts, s.log_rollouts);
    const tr = await training;
    const timeTrain = (Date.now() - tTrain) / 1000;

    const stepEvent: RunEventInput<StepEvent> = {
      type: "step",
      step,
      total_steps: s.steps,
      reward_mean: mean(rewards),
      reward_std: std(rewards),
      accuracy: graded.filter((g) => g.correct).length / graded.length,
      zero_variance_groups: adv.zeroVarianceGroups,
      groups: adv.groups,
      entropy: tr.entropy,
      kl: tr.kl,
      pg_loss: tr.pg_loss,
      loss: tr.loss,
      grad_norm: tr.grad_norm,
      clip_fraction: tr.clip_fraction,
      lr: s.lr,
      ...texts,
      time_rollout_s: gen.time_s,
      time_reward_s: timeReward,
      time_train_s: timeTrain,
      rollout_tokens_per_s: gen.tokens_per_s,
      ...stepPeak(gen.peak_mem_gb, tr.peak_mem_gb),
    };
    return {
      warning: this.rewardWatch.check(step, graded),
      step: stepEvent,
      rollouts: { type: "rollouts" as const, step, prompt: promptText, answer: config.example.answer, rollouts: records, total: gen.outputs.length },
    };
  }
}

/** The step's logged sample of rollouts: `count` of them spread over the groups. */
function rolloutRecords(outputs: GenerateOutput[], graded: VerifyResult[], advantages: number[], groupSize: number, count: number): RolloutRecord[] {
  return spreadSample(outputs.length, count).map((i) => {
    const o = outputs[i];
    const g = graded[i];
    return {
      index: i,
      group: Math.floor(i / groupSize),
      text: o.text,
      reward: g.reward,
      correct: g.correct,
      extracted: g.extracted,
      advantage: advantages[i],
      tokens: o.tokens,
      finish_reason: o.finish_reason,
      // a custom verifier's failure is its reason already: name it once
      reason: g.error && g.error !== g.reason ? `${g.reason} (${g.error})` : g.reason,
    };
  });
}

/** 28320 → "28.3K", 1543714304 → "1.54B". */
export function formatCount(n: number): string {
  for (const [unit, size] of [["B", 1e9], ["M", 1e6], ["K", 1e3]] as const) {
    if (n >= size) return `${(n / size).toPrecision(3).replace(/\.?0+$/, "")}${unit}`;
  }
  return String(n);
}

/** The example file as a command-line argument: relative to the working directory when inside it, quoted when it has spaces. */
function exampleArg(file: string): string {
  const rel = path.relative(process.cwd(), file);
  const arg = rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
  return /\s/.test(arg) ? JSON.stringify(arg) : arg;
}
