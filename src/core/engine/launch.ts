// How the controller starts the engine: `python -m oneshot_engine serve` from the engine sources,
// with the Python chosen as --python, then $ONESHOT_PYTHON, then the project's venv; several
// processes (GPUs, machines: topology.ts) under torchrun, `python -m torch.distributed.run … -m
// oneshot_engine serve`, whose rank 0 serves the controller on stdio.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import * as path from "node:path";
import type { EngineLaunch } from "./client";
import { engineEnv, venvPython } from "./pythonEnv";
import { needsTorchrun, torchrunArgs, type Topology } from "./topology";

/** Marks every process of one torchrun launch, so none outlives a stop (core/process/sweep.ts). */
export const ENGINE_GROUP_ENV = "ONESHOT_ENGINE_GROUP";

export interface PythonChoice {
  python: string;
  /** Where the choice came from, for messages. */
  source: "--python" | "ONESHOT_PYTHON" | "venv";
}

export function choosePython(explicit: string | undefined, env: NodeJS.ProcessEnv, venvDir: string, cwd = process.cwd()): PythonChoice {
  // The engine runs in the run directory: a relative path to a Python must not depend on that.
  const abs = (p: string) => (p.includes("/") || p.includes("\\") ? path.resolve(cwd, p) : p);
  if (explicit) return { python: abs(explicit), source: "--python" };
  if (env.ONESHOT_PYTHON) return { python: abs(env.ONESHOT_PYTHON), source: "ONESHOT_PYTHON" };
  return { python: venvPython(venvDir), source: "venv" };
}

/** A sentence explaining why the chosen Python cannot run, or undefined when it exists. */
export function missingPython(choice: PythonChoice): string | undefined {
  if (existsSync(choice.python)) return undefined;
  // A bare command (python3) is found on PATH by the spawn; only a path can be checked here.
  if (choice.source !== "venv") return /[\\/]/.test(choice.python) ? `${choice.source} names ${choice.python}, which does not exist: give the Python of the engine's environment (\`oneshot setup\` creates one)` : undefined;
  return `The engine's Python environment does not exist yet (${choice.python}): create it with \`oneshot setup\`, or pass --python (or set ONESHOT_PYTHON) to a Python that has the engine's packages`;
}

export function engineLaunch(python: string, engineDir: string, env: NodeJS.ProcessEnv = process.env, topology?: Topology): EngineLaunch {
  // Spinning OpenMP threads make torch 10-20x slower on a CPU shared with other work (measured by
  // the synthetic-data work: 69 s instead of 5 s for one generation); waiting passively costs nothing on GPU runs.
  const launch = { command: python, args: ["-m", "oneshot_engine", "serve"], env: { OMP_WAIT_POLICY: "PASSIVE", ...engineEnv(engineDir, env) } };
  if (!topology || !needsTorchrun(topology)) return launch;
  // Under torchrun a rank computes where CUDA is: a CPU run hides the GPUs (gloo then).
  const rankEnv = topology.cpuOnly ? { ...launch.env, CUDA_VISIBLE_DEVICES: "" } : launch.env;
  return { ...launch, env: rankEnv, args: [...torchrunArgs(topology), ...launch.args], torchrun: { marker: { name: ENGINE_GROUP_ENV, value: `${process.pid}-${randomUUID()}` } } };
}
