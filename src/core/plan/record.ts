// The plan as a run keeps it: config.json's `plan` (and run_started's), written by `oneshot train`
// when it planned the run, with the memory cap the run was started with; every controller of the
// run (attached, --detach's child, --resume) passes that cap on to the engine.
import type { RunPlan } from "./json";

export type { RunPlan } from "./json";

/** The engine's environment variable for the run's memory cap (engine/oneshot_engine/options.py). */
export function memoryLimitEnv(plan: RunPlan | undefined): Record<string, string> {
  return plan?.gpu_memory_gb ? { ONESHOT_MEMORY_LIMIT_GB: String(plan.gpu_memory_gb) } : {};
}
