// How many GPUs this machine offers a run, counted before any engine starts (the engine's `hello`
// comes too late: the number decides how many engine processes torchrun starts). nvidia-smi lists
// every GPU of the machine whatever CUDA_VISIBLE_DEVICES says, so the variable is honoured here.
import { execFileSync } from "node:child_process";
import type { GpuCount } from "../engine/topology";
import { queryGpus } from "./gpu";

/**
 * The GPUs CUDA would use: nvidia-smi's list, narrowed by CUDA_VISIBLE_DEVICES when it is set
 * (CUDA reads its entries up to the first invalid one, so "-1" or an empty entry ends the list).
 */
export function visibleGpus(env: NodeJS.ProcessEnv, smiCount: () => number = () => smiGpus(env)): GpuCount {
  const found = smiCount();
  const cvd = env.CUDA_VISIBLE_DEVICES;
  if (cvd === undefined) return { count: found, source: "nvidia-smi" };
  const entries: string[] = [];
  for (const raw of cvd.split(",")) {
    const e = raw.trim();
    if (e === "" || e.startsWith("-")) break;
    entries.push(e);
  }
  return { count: Math.min(entries.length, found), source: `CUDA_VISIBLE_DEVICES=${cvd}` };
}

/** nvidia-smi's GPUs, found on the PATH of `env` (the run's environment); 0 without it. */
function smiGpus(env: NodeJS.ProcessEnv): number {
  return queryGpus((cmd, args) => execFileSync(cmd, args, { env, encoding: "utf8", timeout: 5000, stdio: ["ignore", "pipe", "ignore"] })).length;
}
