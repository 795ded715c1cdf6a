// The one place where the example's `optimizer_state: auto` becomes the state the engine builds.
import type { OptimizerState } from "../engine/protocol";
import type { TrainSettings } from "../example/config";
import type { RunPlan } from "../plan/record";

/**
 * The optimizer state to load with: an explicit choice as given; `auto` as the run's memory plan
 * decided (config.json's `plan`: compact when the fp32 state would not fit the card), and fp32
 * masters for a run without a plan (a CPU run, whose fp32 weights get plain AdamW either way, or a
 * model whose config.json was not on the machine before the run).
 */
export function resolveOptimizerState(settings: Pick<TrainSettings, "optimizer_state">, plan?: Pick<RunPlan, "resolved">): OptimizerState {
  if (settings.optimizer_state !== "auto") return settings.optimizer_state;
  return plan?.resolved.optimizer_state ?? "fp32";
}
