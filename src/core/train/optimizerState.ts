// The one place where the example's `optimizer_state: auto` becomes the state the engine builds.
import type { OptimizerState } from "../engine/protocol";
import type { TrainSettings } from "../example/config";

/** The optimizer state to load with: an explicit choice as given; `auto` keeps fp32 masters until the
 * memory planner decides from the card's size (issue 15). */
export function resolveOptimizerState(settings: Pick<TrainSettings, "optimizer_state">): OptimizerState {
  return settings.optimizer_state === "auto" ? "fp32" : settings.optimizer_state;
}
