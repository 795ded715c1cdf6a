import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { choosePython, engineLaunch, missingPython } from "../../core/engine/launch";
import type { TrainConfig } from "../../core/example/config";
import { checkRunConfig } from "../../core/example/configCheck";
import { formatDiagnostic, loadExample, resolveConfig } from "../../core/example/index";
import { evalTable, formatEvalTable } from "../../core/run/evalTable";
import { readEvents } from "../../core/run/eventLog";
import { RunLockError } from "../../core/run/lock";
import { observeRunStatus, runFiles } from "../../core/run/runDir";
import { checkNewRunDir, makeDirs, RunDirError } from "../../core/run/newRunDir";
import { createRunDir, DEFAULT_RUNS_ROOT, holdsRun, newRunId } from "../../core/run/runId";
import type { RunSummary } from "../../core/run/events";
import { RunController, type RunOutcome } from "../../core/train/controller";
import { preflightProblems } from "../../core/train/preflight";
import { createProgress, formatDuration } from "../../core/train/progress";
import { verifierRefusal } from "../../core/train/verifierGate";
import type { Verifier, VerifierOptions, VerifierSpec } from "../../core/verifier/api";
import { createVerifier } from "../../core/verifier/index";
import type { CliContext, Command } from "../command";
import { UsageError, UserError } from "../command";
import { defaultVenvDir, engineDir, projectRoot } from "../paths";
import { glueNegativeValues, stepsSet } from "../trainArgs";

const USAGE = `Usage: oneshot train EXAMPLE.rlvr.md [options]
       oneshot train --resume RUN_DIR [--python PATH] [--detach]

Trains a model on the one example in EXAMPLE with GRPO, writing a run directory:
config.json, events.jsonl, summary.json, checkpoints/step-N (Hugging Face format).

  --preset P         paper | local | cpu-demo (default: the file's \`preset:\`, else local)
  --set KEY=VALUE    override a setting, e.g. --set lr=2e-6 (repeatable; YAML values)
  --steps N          shorthand for --set steps=N
  --run-dir DIR      write the run here (new or empty); default RUNS_ROOT/<run id>
  --skip-verifier-check
                     train even if the verifier does not load or does not give the
                     reference answer reward 1 (checked before a new run starts)
  --runs-root DIR    where new run directories go (default .oneshot/runs)
  --python PATH      Python of the engine (default: $ONESHOT_PYTHON, then the .venv
                     created by \`oneshot setup\`)
  --detach           keep training in the background; prints the run directory
                     (output goes to RUN_DIR/controller.log)
  --resume RUN_DIR   continue a stopped or failed run from its last checkpoint,
                     with the configuration in RUN_DIR/config.json

Ctrl-C (or SIGTERM, or \`oneshot stop RUN_DIR\`) finishes the current step, saves a
checkpoint and ends the run as stopped; a second Ctrl-C (or SIGUSR2, or
\`oneshot stop --force\`) stops at once without a checkpoint.`;

export interface TrainDeps {
  createVerifier: (spec: VerifierSpec, options: VerifierOptions) => Verifier;
}

interface Prepared {
  config: TrainConfig;
  runDir: string;
  resume: boolean;
  root: string;
  python: string;
}

export function createTrainCommand(deps: TrainDeps): Command {
  return {
    name: "train",
    summary: "Train a model on one example (or resume a run)",
    usage: USAGE,
    async run(args, ctx) {
      const { values, positionals } = parseArgs({
        args: glueNegativeValues(args, ["--steps", "--set"]),
        allowPositionals: true,
        options: {
          preset: { type: "string" },
          set: { type: "string", multiple: true },
          steps: { type: "string" },
          "run-dir": { type: "string" },
          "runs-root": { type: "string" },
          python: { type: "string" },
          detach: { type: "boolean", default: false },
          resume: { type: "string" },
          "skip-verifier-check": { type: "boolean", default: false },
        },
      });
      const root = projectRoot(ctx.installDir);
      const p = await prepare(values, positionals, ctx, root, deps);
      if (values.detach) return detach(p, args, ctx);
      return attached(p, ctx, deps);
    },
  };
}

export const trainCommand: Command = createTrainCommand({ createVerifier });

type Values = {
  preset?: string;
  set?: string[];
  steps?: string;
  "run-dir"?: string;
  "runs-root"?: string;
  python?: string;
  resume?: string;
  "skip-verifier-check"?: boolean;
};

/** Custom verifiers run in the sandbox bundle shipped beside the CLI (as in `oneshot verify`). */
function verifierFactory(ctx: CliContext, deps: TrainDeps): TrainDeps["createVerifier"] {
  return (spec, o) => deps.createVerifier(spec, { sandboxPath: ctx.env.ONESHOT_VERIFIER_SANDBOX ?? path.join(ctx.installDir, "verifier-sandbox.cjs"), ...o });
}

/**
 * Everything that can be refused before a run is refused before its directory is created (or,
 * for --run-dir, written to), so a mistake leaves no failed run behind.
 */
async function prepare(values: Values, positionals: string[], ctx: CliContext, root: string, deps: TrainDeps): Promise<Prepared> {
  const choice = choosePython(values.python, ctx.env, defaultVenvDir(root), ctx.cwd);
  const missing = missingPython(choice);
  if (missing) throw new UserError(missing);

  if (values.resume !== undefined) {
    if (positionals.length || values.preset || values.set || values.steps || values["run-dir"]) {
      throw new UsageError("--resume takes the run directory alone: the run keeps its own example and settings");
    }
    const runDir = path.resolve(ctx.cwd, values.resume);
    const file = runFiles(runDir).config;
    if (!existsSync(file)) throw new UserError(`${runDir} is not a run directory (it has no config.json)`);
    if (observeRunStatus(runDir) === "running") throw new UserError(`The run in ${runDir} is still running; stop it first with \`oneshot stop ${values.resume}\``);
    if (observeRunStatus(runDir) === "completed") throw new UserError(`The run in ${runDir} already completed all its steps; start a new run to train further (e.g. with \`model:\` set to its last checkpoint)`);
    let config: TrainConfig;
    try {
      config = JSON.parse(readFileSync(file, "utf8")) as TrainConfig;
    } catch (e) {
      throw new UserError(`${file} is not valid JSON (${(e as Error).message})`);
    }
    const { problems, filled } = checkRunConfig(config);
    if (filled.length) ctx.stderr.write(`note: ${file} has no ${filled.join(", ")}; the run uses its preset's value\n`);
    if (problems.length) throw new UserError(`${file}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join("\n  ")}`}`);
    return { config, runDir, resume: true, root, python: choice.python };
  }

  if (positionals.length !== 1) throw new UsageError(positionals.length ? "give exactly one example file" : "give the example file to train on, e.g. oneshot train examples/pipe.rlvr.md");
  const exampleFile = path.resolve(ctx.cwd, positionals[0]);
  const parsed = loadExample(exampleFile);
  for (const d of parsed.diagnostics.filter((x) => x.severity === "warning")) ctx.stderr.write(`warning: ${formatDiagnostic({ ...d, file: positionals[0] })}\n`);
  if (!parsed.example) {
    const errs = parsed.diagnostics.filter((d) => d.severity === "error").map((d) => formatDiagnostic({ ...d, file: positionals[0] }));
    throw new UserError(`the example file has ${errs.length === 1 ? "an error" : `${errs.length} errors`}:\n  ${errs.join("\n  ")}`);
  }
  const sets = [...(values.set ?? []), ...(values.steps !== undefined ? [stepsSet(values.steps)] : [])];
  const runDir = values["run-dir"] ? path.resolve(ctx.cwd, values["run-dir"]) : undefined;
  if (runDir) {
    if (holdsRun(runDir)) throw new UserError(`${runDir} already holds a run: continue it with \`oneshot train --resume ${values["run-dir"]}\` or choose another --run-dir`);
    // A detached child finds the directory its parent made, holding only the log it writes to.
    runDirSentence(() => checkNewRunDir(runDir, ctx.env.ONESHOT_DETACHED ? ["controller.log"] : []));
  }
  const runId = runDir ? path.basename(runDir) : newRunId(exampleFile);
  const resolved = resolveConfig({ example: parsed.example, runId, projectRoot: root, cwd: ctx.cwd, preset: values.preset, sets });
  const errors = resolved.config ? preflightProblems(resolved.config, { projectRoot: root }) : resolved.errors;
  if (!resolved.config || errors.length) throw new UserError(errors.length === 1 ? errors[0] : `the settings have ${errors.length} errors:\n  ${errors.join("\n  ")}`);
  const config = resolved.config;
  if (!values["skip-verifier-check"]) {
    const s = config.settings;
    const make = verifierFactory(ctx, deps);
    const refusal = await verifierRefusal(parsed.example, positionals[0], config.example.verifier, config.example.answer, (spec) =>
      make(spec, { timeoutMs: s.verifier_timeout_ms, boxedOnly: s.boxed_only }),
    );
    // One line: the editor shows the last line of a refusal.
    if (refusal) throw new UserError(`${refusal} Fix the verifier or the answer, or train anyway with --skip-verifier-check.`);
  }
  if (runDir) {
    runDirSentence(() => makeDirs(runDir));
    return { config, runDir, resume: false, root, python: choice.python };
  }
  const created = runDirSentence(() => createRunDir(path.resolve(ctx.cwd, values["runs-root"] ?? DEFAULT_RUNS_ROOT), runId));
  config.run_id = path.basename(created);
  return { config, runDir: created, resume: false, root, python: choice.python };
}

function runDirSentence<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RunDirError) throw new UserError(e.message);
    throw e;
  }
}

async function attached(p: Prepared, ctx: CliContext, deps: TrainDeps): Promise<number> {
  const progress = createProgress(ctx.stdout as NodeJS.WritableStream & { isTTY?: boolean });
  if (!ctx.env.ONESHOT_DETACHED) ctx.stdout.write(`Run directory: ${p.runDir}\n`);
  const controller = new RunController({
    config: p.config,
    runDir: p.runDir,
    engine: engineLaunch(p.python, engineDir(p.root), ctx.env),
    createVerifier: verifierFactory(ctx, deps),
    projectRoot: p.root,
    resume: p.resume,
    progress,
  });
  const onSignal = () => controller.stop();
  const onForce = () => controller.forceStop();
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const s of signals) process.on(s, onSignal);
  process.on("SIGUSR2", onForce); // `oneshot stop --force`
  const started = Date.now();
  let outcome: RunOutcome;
  try {
    outcome = await controller.run();
  } catch (e) {
    if (e instanceof RunLockError) throw new UserError(e.message);
    throw e;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    process.off("SIGUSR2", onForce);
  }
  report(outcome, p, ctx, (Date.now() - started) / 1000);
  return outcome.status === "failed" ? 1 : 0;
}

function report(o: RunOutcome, p: Prepared, ctx: CliContext, seconds: number): void {
  let summary: RunSummary | undefined;
  try {
    summary = JSON.parse(readFileSync(runFiles(p.runDir).summary, "utf8")) as RunSummary;
  } catch {
    summary = undefined;
  }
  const evals = Object.entries(summary?.benchmarks ?? {}).map(([name, b]) => {
    const pct = (v: number | null) => (v === null ? "–" : `${(100 * v).toFixed(1)}%`);
    return `${name} ${b.metric} ${pct(b.initial)} → ${pct(b.final)} (best ${pct(b.best)} at step ${b.best_step ?? "–"})`;
  });
  const steps = `${o.steps_done}/${p.config.settings.steps} steps`;
  if (o.status === "failed") {
    ctx.stderr.write(`Run failed after ${steps}: ${o.error}\n${o.hint ? `Hint: ${o.hint}\n` : ""}Run directory: ${p.runDir}\n`);
    return;
  }
  const table = evalTable(readEvents(runFiles(p.runDir).events).events);
  const lines = [
    `Run ${o.status}: ${steps} in ${formatDuration(seconds)}.`,
    ...evals,
    ...(table ? ["", formatEvalTable(table), ""] : []),
    ...(summary?.last_checkpoint ? [`Last checkpoint: ${path.join(p.runDir, summary.last_checkpoint)}`] : []),
    ...(summary?.best_checkpoint ? [`Best checkpoint: ${path.join(p.runDir, summary.best_checkpoint)}`] : []),
    ...(o.status === "stopped" ? [`Continue with: oneshot train --resume ${p.runDir}`] : []),
  ];
  ctx.stdout.write(lines.join("\n") + "\n");
}

/** Re-runs this command as a detached process writing RUN_DIR/controller.log; returns once it runs. */
async function detach(p: Prepared, args: string[], ctx: CliContext): Promise<number> {
  // The child re-checks what is cheap; the verifier was checked here already.
  const childArgs = p.resume
    ? ["--resume", p.runDir, ...passThrough(args, ["--python"])]
    : [...withoutFlags(args, ["--detach", "--run-dir", "--runs-root", "--skip-verifier-check"]), "--run-dir", p.runDir, "--skip-verifier-check"];
  // The bundle (dist/cli.js) runs on plain node; from sources, keep the loader flags (e.g. tsx).
  const bundled = path.join(ctx.installDir, "cli.js");
  const [script, execArgv] = existsSync(bundled) ? [bundled, []] : [process.argv[1], process.execArgv];
  const files = runFiles(p.runDir);
  const logFd = openSync(files.controllerLog, "a");
  const child = spawn(process.execPath, [...execArgv, script, "train", ...childArgs], {
    cwd: ctx.cwd,
    env: { ...ctx.env, ONESHOT_DETACHED: "1" },
    detached: true,
    stdio: ["ignore", logFd, logFd],
  });
  closeSync(logFd);
  let exitCode: number | null | undefined;
  child.once("exit", (code) => (exitCode = code));
  child.unref();
  // Wait until the child holds the directory (status "running" with its pid) or gives up.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) break;
    const status = existsSync(files.status) ? readFileSync(files.status, "utf8") : undefined;
    const pid = existsSync(files.pid) ? Number(readFileSync(files.pid, "utf8")) : undefined;
    if (status?.trim() === "running" && pid === child.pid) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (exitCode !== undefined && exitCode !== 0) {
    const tail = readFileSync(files.controllerLog, "utf8").trim().split("\n").slice(-5).join("\n");
    throw new UserError(`the background run exited at once (code ${exitCode}):\n${tail}`);
  }
  ctx.stdout.write(`${p.runDir}\n`);
  ctx.stderr.write(`Training in the background (pid ${child.pid}). Follow it with: tail -f ${files.controllerLog}\nStop it with: oneshot stop ${p.runDir}\n`);
  return 0;
}

const BOOLEAN_FLAGS = ["--detach", "--skip-verifier-check"];

/** Drops options (and their values) from an argument list. */
function withoutFlags(args: string[], flags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const name = a.split("=")[0];
    if (flags.includes(name)) {
      if (!a.includes("=") && !BOOLEAN_FLAGS.includes(name)) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

function passThrough(args: string[], flags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].split("=")[0];
    if (!flags.includes(name)) continue;
    out.push(args[i]);
    if (!args[i].includes("=") && i + 1 < args.length) out.push(args[++i]);
  }
  return out;
}
