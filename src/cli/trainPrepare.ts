// What `oneshot train` does before any controller runs: the example is parsed and resolved here,
// once, checked (settings, model, verifier), and written as the run's config.json; from then on
// every controller (this process, the background child of --detach, a later --resume) trains what
// that file says. Everything that can be refused is refused before the run directory is created
// (or, for --run-dir, written to), so a mistake leaves no failed run behind.
import { existsSync } from "node:fs";
import * as path from "node:path";
import { checkNewRunDir, createRunDir, makeDirs, RunDirError } from "../core/run/create";
import { DiskFullError } from "../core/run/diskFull";
import { DEFAULT_RUNS_ROOT, isRunDir, runFiles } from "../core/run/layout";
import { readRunConfig, RunConfigError, writeRunConfig } from "../core/run/runConfig";
import { newRunId } from "../core/run/runId";
import { observeRunStatus } from "../core/run/status";
import { formatDiagnostic, loadExample, resolveConfig, type ParsedExample } from "../core/example/index";
import { PLAN_REFUSED_EXIT_CODE, planForSettings, type RunPlan } from "../core/plan/index";
import type { TrainConfig } from "../core/example/config";
import type { HubLookups } from "../core/train/hubModel";
import { preflightProblems } from "../core/train/preflight";
import { TRAIN_ANYWAY_ADVICE, VERIFIER_REFUSED_EXIT_CODE, verifierRefusal } from "../core/train/verifierGate";
import type { Verifier, VerifierOptions, VerifierSpec } from "../core/verifier/api";
import type { CliContext } from "./command";
import { UsageError, UserError } from "./command";
import { runPlanRanks, SINGLE, topologyProblem, type LaunchFlags } from "./launchArgs";
import { stepsSet } from "./trainArgs";

export interface NewRunRequest {
  file: string;
  preset?: string;
  set?: string[];
  steps?: string;
  runDir?: string;
  runsRoot?: string;
  skipVerifierCheck?: boolean;
  /** --gpu-memory GB: plan (and cap the engine) as if the GPU had this much memory. */
  gpuMemoryGb?: number;
  /** --devices (a setting like --set devices=N) and the machines (checked against this machine's GPUs). */
  launch?: LaunchFlags;
}

export type MakeVerifier = (spec: VerifierSpec, options: VerifierOptions) => Verifier;

/** The example file `given` (relative to the working directory), its warnings printed; its errors refuse it in one UserError. */
export function readExampleFile(given: string, ctx: CliContext): ParsedExample {
  const parsed = loadExample(path.resolve(ctx.cwd, given));
  for (const d of parsed.diagnostics.filter((x) => x.severity === "warning")) ctx.stderr.write(`warning: ${formatDiagnostic({ ...d, file: given })}\n`);
  if (!parsed.example) {
    const errs = parsed.diagnostics.filter((d) => d.severity === "error").map((d) => formatDiagnostic({ ...d, file: given }));
    throw new UserError(`the example file has ${errs.length === 1 ? "an error" : `${errs.length} errors`}:\n  ${errs.join("\n  ")}`);
  }
  return parsed.example;
}

/** Resolves the example once, checks it, creates the run directory and writes its config.json; returns the directory. */
export async function prepareNewRun(r: NewRunRequest, ctx: CliContext, root: string, makeVerifier: MakeVerifier, hub?: HubLookups): Promise<string> {
  const runDir = r.runDir ? path.resolve(ctx.cwd, r.runDir) : undefined;
  const config = await resolveNewRun(r, ctx, root, makeVerifier, () => {
    if (runDir) {
      if (isRunDir(runDir)) throw new UserError(`${runDir} already holds a run: continue it with \`oneshot train --resume ${r.runDir}\` or choose another --run-dir`);
      runDirSentence(() => checkNewRunDir(runDir));
    }
    return runDir ? path.basename(runDir) : undefined;
  }, hub);
  const dir = runDir ?? runDirSentence(() => createRunDir(path.resolve(ctx.cwd, r.runsRoot ?? DEFAULT_RUNS_ROOT), config.run_id));
  if (runDir) runDirSentence(() => makeDirs(runDir));
  return writeConfig(dir, config);
}

/**
 * The example read and resolved as a new run would train it, with every check before a run
 * directory exists (settings, model, benchmarks, the verifier on the reference answer); writes
 * nothing. `runIdFor` checks a given run directory after the example and names the run.
 */
export async function resolveNewRun(
  r: NewRunRequest,
  ctx: CliContext,
  root: string,
  makeVerifier: MakeVerifier,
  runIdFor: () => string | undefined = () => undefined,
  hub?: HubLookups,
  // A dry run previews a run meant for another machine: what this one lacks (the model, a GPU) is
  // handed here instead of refusing.
  machineProblems?: (problems: string[]) => void,
) {
  const exampleFile = path.resolve(ctx.cwd, r.file);
  const example = readExampleFile(r.file, ctx);
  const devices = r.launch?.devices;
  const sets = [...(r.set ?? []), ...(r.steps !== undefined ? [stepsSet(r.steps)] : []), ...(devices !== undefined ? [`devices=${devices}`] : [])];
  const runId = runIdFor() ?? newRunId(exampleFile);
  const resolved = resolveConfig({ example, runId, projectRoot: root, cwd: ctx.cwd, preset: r.preset, sets, env: ctx.env });
  if (!resolved.config) throw settingsErrors(resolved.errors);
  const config = resolved.config;
  const problems = await preflightProblems(config, { projectRoot: root, env: ctx.env, ...(hub ? { hub } : {}) });
  const devicesProblem = r.launch ? topologyProblem(config.settings, r.launch, ctx.env) : undefined;
  if (devicesProblem) problems.push(devicesProblem);
  if (problems.length && machineProblems) machineProblems(problems);
  else if (problems.length) throw settingsErrors(problems);
  const plan = devicesProblem ? undefined : planBeforeRun(config, r.gpuMemoryGb, ctx, runPlanRanks(config.settings, { devices: r.launch?.devices, nnodes: (r.launch ?? SINGLE).nodes.nnodes }, ctx.env));
  if (plan) config.plan = plan;
  if (!r.skipVerifierCheck) {
    const s = config.settings;
    const refusal = await verifierRefusal(example, r.file, config.example.verifier, config.example.answer, (spec) =>
      makeVerifier(spec, { timeoutMs: s.verifier_timeout_ms, boxedOnly: s.boxed_only }),
    );
    // One line: the editor shows the last line of a refusal.
    if (refusal) throw new UserError(`${refusal} ${TRAIN_ANYWAY_ADVICE}`, VERIFIER_REFUSED_EXIT_CODE);
  }
  return config;
}

/**
 * The memory plan of a GPU run, refused with PLAN_REFUSED_EXIT_CODE when it does not fit: before
 * the run directory exists and before any weights load. A CPU run (device cpu, or no GPU found)
 * is not planned unless --gpu-memory asks for it; a model whose config.json is not on this
 * machine yet (a hub model the engine will download) trains unplanned, with a note.
 */
function planBeforeRun(config: TrainConfig, gpuMemoryGb: number | undefined, ctx: CliContext, ranks: number): RunPlan | undefined {
  const s = config.settings;
  if (gpuMemoryGb === undefined && s.device === "cpu") return undefined;
  const out = planForSettings({ settings: s, problem: config.example.problem, gpuMemoryGb, env: ctx.env, ranks });
  if (!out.ok) {
    ctx.stderr.write(`note: no memory plan before the run: ${out.error}\n`);
    return undefined;
  }
  if (out.plan.input.card.kind === "cpu" && gpuMemoryGb === undefined) return undefined;
  if (out.refusal) throw new UserError(`${out.refusal} See \`oneshot plan\` for the estimate per phase.`, PLAN_REFUSED_EXIT_CODE);
  ctx.stdout.write(`Plan on ${out.plan.input.card.name}: ${out.summary}\n`);
  return { ...out.json, gpu_memory_gb: gpuMemoryGb ?? null };
}

/**
 * `--retry RUN_DIR`: a new run with the settings of an earlier one (its config.json, which the
 * example file's later edits do not change), checked again by the pre-flight, in a new directory
 * beside it (or under --runs-root). For a run that ended without a checkpoint to resume from.
 */
export async function prepareRetry(given: string, runsRoot: string | undefined, ctx: CliContext, root: string, hub?: HubLookups): Promise<string> {
  const from = path.resolve(ctx.cwd, given);
  const { config } = readConfigSentence(from);
  const errors = await preflightProblems(config, { projectRoot: root, env: ctx.env, ...(hub ? { hub } : {}) });
  if (errors.length) throw settingsErrors(errors);
  const parent = runsRoot ? path.resolve(ctx.cwd, runsRoot) : path.dirname(from);
  return writeConfig(runDirSentence(() => createRunDir(parent, newRunId(config.example.file))), config);
}

function settingsErrors(errors: string[]): UserError {
  return new UserError(errors.length === 1 ? errors[0] : `the settings have ${errors.length} errors:\n  ${errors.join("\n  ")}`);
}

function writeConfig(dir: string, config: TrainConfig): string {
  config.run_id = path.basename(dir);
  try {
    writeRunConfig(dir, config);
  } catch (e) {
    if (e instanceof DiskFullError) throw new UserError(`${e.message}: free some space and start the run again`);
    throw e;
  }
  return dir;
}

function readConfigSentence(dir: string): ReturnType<typeof readRunConfig> {
  try {
    return readRunConfig(dir);
  } catch (e) {
    if (e instanceof RunConfigError) throw new UserError(e.message);
    throw e;
  }
}

/**
 * A run directory whose controller may start now: `resume` continues a stopped, failed or
 * interrupted run; otherwise the run was prepared by prepareNewRun and has not started yet.
 */
export function preparedRun(dir: string, given: string, resume: boolean, ctx: CliContext) {
  // Without a config.json there is nothing to train: readRunConfig says so below.
  const status = existsSync(runFiles(dir).config) ? observeRunStatus(dir) : undefined;
  if (status === "running") throw new UserError(`The run in ${dir} is still running; stop it first with \`oneshot stop ${given}\``);
  if (resume && status === "completed") throw new UserError(`The run in ${dir} already completed all its steps; start a new run to train further (e.g. with \`model:\` set to its last checkpoint)`);
  if (!resume && status !== undefined) throw new UserError(`The run in ${dir} has already started; continue it with \`oneshot train --resume ${given}\``);
  const read = readConfigSentence(dir);
  if (read.filled.length) ctx.stderr.write(`note: ${read.file} has no ${read.filled.join(", ")}; the run uses its preset's value\n`);
  return { config: read.config, runDir: dir, resume };
}

/** `--resume` and `--start` take the run directory alone (and --python, --detach). */
export function checkRunDirAlone(flag: string, r: Partial<NewRunRequest>, positionals: string[]): void {
  if (positionals.length || r.preset || r.set || r.steps || r.runDir || r.gpuMemoryGb !== undefined) {
    throw new UsageError(`${flag} takes the run directory alone: the run keeps its own example and settings`);
  }
}

function runDirSentence<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RunDirError) throw new UserError(e.message);
    throw e;
  }
}
