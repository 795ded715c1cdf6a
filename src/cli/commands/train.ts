import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { choosePython, engineLaunch, missingPython } from "../../core/engine/launch";
import type { TrainConfig } from "../../core/example/config";
import { memoryLimitEnv } from "../../core/plan/index";
import { evalTable, formatEvalTable } from "../../core/run/evalTable";
import { readEvents } from "../../core/run/eventLog";
import type { RunSummary } from "../../core/run/events";
import { runFiles } from "../../core/run/layout";
import { RunLockError } from "../../core/run/lock";
import { RunController, type RunOutcome } from "../../core/train/controller";
import type { HubLookups } from "../../core/train/hubModel";
import { createProgress, formatDuration } from "../../core/train/progress";
import type { Verifier, VerifierOptions, VerifierSpec } from "../../core/verifier/api";
import { createVerifier } from "../../core/verifier/index";
import type { CliContext, Command } from "../command";
import { UsageError, UserError } from "../command";
import { DETACHED_ENV, detachRun } from "../detach";
import { defaultVenvDir, engineDir, projectRoot } from "../paths";
import { runEngineRanks } from "../engineRanks";
import { LAUNCH_OPTIONS, launchArgv, launchFlags, topologyFor, type LaunchFlags } from "../launchArgs";
import { glueNegativeValues, gpuMemoryOption } from "../trainArgs";
import { dryRun } from "../trainDryRun";
import { checkRunDirAlone, prepareNewRun, prepareRetry, preparedRun } from "../trainPrepare";

const USAGE = `Usage: oneshot train EXAMPLE.rlvr.md [options]
       oneshot train --resume RUN_DIR [--python PATH] [--detach] [--devices N]
       oneshot train --start RUN_DIR [--python PATH]
       oneshot train --retry RUN_DIR [--runs-root DIR] [--python PATH] [--detach]
       oneshot train --nnodes M --node-rank R --rdzv-endpoint HOST:PORT [--devices N]

Trains a model on the one example in EXAMPLE with GRPO, writing a run directory:
config.json, events.jsonl, summary.json, checkpoints/step-N (Hugging Face format).
The example is read once, when the command starts: config.json holds the settings
the run trains with, and later edits of the file do not change them.

  --preset P         paper | local | lora | cpu-demo (default: the file's \`preset:\`, else local)
  --set KEY=VALUE    override a setting, e.g. --set lr=2e-6 (repeatable; YAML values)
  --steps N          shorthand for --set steps=N
  --run-dir DIR      write the run here (new or empty); default RUNS_ROOT/<run id>
  --dry-run          check the example and settings as a new run would, print what it
                     would train with and its training prompt (rendered with the
                     model's chat template when the model is on this machine);
                     writes nothing and starts no engine
  --gpu-memory GB    plan for a card of GB gigabytes and cap the engine to it (as a
                     smaller card would be); a plan that does not fit is refused
                     before anything is created (exit code 4; see \`oneshot plan\`)
  --skip-verifier-check
                     train even if the verifier does not load or does not give the
                     reference answer reward 1 (checked before a new run starts)
  --runs-root DIR    where new run directories go (default .oneshot/runs)
  --python PATH      Python of the engine (default: $ONESHOT_PYTHON, then the .venv
                     created by \`oneshot setup\`)
  --devices N|auto   engine processes on this machine, one per GPU (default: the
                     \`devices\` setting, auto = every visible GPU, honouring
                     CUDA_VISIBLE_DEVICES); above 1 the engine runs under torchrun;
                     without GPUs (or with device: cpu) N CPU processes on gloo
  --nnodes M         machines of the run (default 1); each runs \`oneshot train\`
  --node-rank R      this machine's place, 0 … M-1: node-rank 0 gives the example
                     and runs the controller, which alone writes the run directory;
                     the others give no example and start only their engine ranks
  --rdzv-endpoint HOST:PORT
                     node-rank 0's address and a free port, reachable from every
                     machine (needed with --nnodes 2 or more)
  --detach           keep training in the background; prints the run directory
                     (output goes to RUN_DIR/controller.log)
  --resume RUN_DIR   continue a stopped or failed run from its last checkpoint,
                     with the configuration in RUN_DIR/config.json
  --retry RUN_DIR    start a new run with RUN_DIR's config.json (beside it, or
                     under --runs-root): for a run with no checkpoint to resume
  --start RUN_DIR    start the run prepared in RUN_DIR (its config.json, not yet
                     started); what --detach runs in the background

Ctrl-C (or SIGTERM, or \`oneshot stop RUN_DIR\`) finishes the current step, saves a
checkpoint and ends the run as stopped; a second Ctrl-C (or SIGUSR2, or
\`oneshot stop --force\`) stops at once without a checkpoint.`;

export interface TrainDeps {
  createVerifier: (spec: VerifierSpec, options: VerifierOptions) => Verifier;
  /** The pre-flight's Hugging Face cache and hub look-ups (tests pass their own). */
  hub?: HubLookups;
}

/** A run directory whose controller may start: its config.json, read back. */
interface Prepared {
  config: TrainConfig;
  runDir: string;
  resume: boolean;
}

export function createTrainCommand(deps: TrainDeps): Command {
  return {
    name: "train",
    summary: "Train a model on one example (or resume a run)",
    usage: USAGE,
    async run(args, ctx) {
      const { values, positionals } = parseArgs({
        args: glueNegativeValues(args, ["--steps", "--set", "--gpu-memory", "--devices", "--nnodes", "--node-rank"]),
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
          start: { type: "string" },
          retry: { type: "string" },
          "skip-verifier-check": { type: "boolean", default: false },
          "dry-run": { type: "boolean", default: false },
          "gpu-memory": { type: "string" },
          ...LAUNCH_OPTIONS,
        },
      });
      const root = projectRoot(ctx.installDir);
      const launch = launchFlags(values);
      if (launch.nodes.nodeRank > 0) {
        const others = [positionals.length > 0, values.preset, values.set, values.steps, values["run-dir"], values["runs-root"], values.resume, values.start, values.retry, values.detach, values["dry-run"], values["gpu-memory"], values["skip-verifier-check"]];
        if (others.some((v) => v !== undefined && v !== false)) throw new UsageError(`--node-rank ${launch.nodes.nodeRank} starts only this machine's engine ranks: give no example, run directory or settings (the node-rank 0 machine's \`oneshot train\` has them)`);
        return runEngineRanks(launch, values.python, root, ctx);
      }
      if (values["dry-run"]) {
        if (values.resume !== undefined || values.start !== undefined || values.detach) throw new UsageError("--dry-run checks a new run: it takes an example file, not --resume, --start or --detach");
        if (positionals.length !== 1) throw new UsageError("give exactly one example file to --dry-run");
        const r = { file: positionals[0], preset: values.preset, set: values.set, steps: values.steps, skipVerifierCheck: values["skip-verifier-check"], gpuMemoryGb: gpuMemoryOption(values["gpu-memory"]), launch };
        return dryRun(r, ctx, root, verifierFactory(ctx, deps));
      }
      const choice = choosePython(values.python, ctx.env, defaultVenvDir(root), ctx.cwd);
      const missing = missingPython(choice);
      if (missing) throw new UserError(missing);
      const request = {
        file: positionals[0],
        preset: values.preset,
        set: values.set,
        steps: values.steps,
        runDir: values["run-dir"],
        runsRoot: values["runs-root"],
        skipVerifierCheck: values["skip-verifier-check"],
        gpuMemoryGb: gpuMemoryOption(values["gpu-memory"]),
        launch,
      };
      let runDir: string;
      const resume = values.resume !== undefined;
      const given = values.resume ?? values.start;
      if ([values.resume, values.start, values.retry].filter((v) => v !== undefined).length > 1) throw new UsageError("give one of --resume, --start and --retry");
      if (values.retry !== undefined) {
        checkRunDirAlone("--retry", request, positionals);
        runDir = await prepareRetry(values.retry, values["runs-root"], ctx, root, deps.hub);
      } else if (given !== undefined) {
        checkRunDirAlone(resume ? "--resume" : "--start", request, positionals);
        runDir = path.resolve(ctx.cwd, given);
      } else {
        if (positionals.length !== 1) throw new UsageError(positionals.length ? "give exactly one example file" : "give the example file to train on, e.g. oneshot train examples/pipe.rlvr.md");
        runDir = await prepareNewRun(request, ctx, root, verifierFactory(ctx, deps), deps.hub);
      }
      if (values.detach) {
        // The child checks the directory itself; a resume is refused here already when it cannot run.
        if (resume) preparedRun(runDir, given!, true, ctx);
        return detachRun(runDir, resume, choice.python, ctx, launchArgv(launch));
      }
      const p = preparedRun(runDir, given ?? runDir, resume, ctx);
      return attached(p, choice.python, root, ctx, deps, launch);
    },
  };
}

export const trainCommand: Command = createTrainCommand({ createVerifier });

/** Custom verifiers run in the sandbox bundle shipped beside the CLI (as in `oneshot verify`). */
function verifierFactory(ctx: CliContext, deps: TrainDeps): TrainDeps["createVerifier"] {
  return (spec, o) => deps.createVerifier(spec, { sandboxPath: ctx.env.ONESHOT_VERIFIER_SANDBOX ?? path.join(ctx.installDir, "verifier-sandbox.cjs"), ...o });
}

async function attached(p: Prepared, python: string, root: string, ctx: CliContext, deps: TrainDeps, launch: LaunchFlags): Promise<number> {
  // This machine's GPUs are counted again: a resumed or detached run may start on another machine.
  const topology = topologyFor(p.config.settings, launch, ctx.env);
  const progress = createProgress(ctx.stdout as NodeJS.WritableStream & { isTTY?: boolean });
  if (!ctx.env[DETACHED_ENV]) ctx.stdout.write(`Run directory: ${p.runDir}\n`);
  const controller = new RunController({
    config: p.config,
    runDir: p.runDir,
    engine: engineLaunch(python, engineDir(root), { ...ctx.env, ...memoryLimitEnv(p.config.plan) }, topology),
    createVerifier: verifierFactory(ctx, deps),
    projectRoot: root,
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
