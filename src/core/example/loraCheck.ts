// LoRA's checks against the model a run trains: its shape is read as the planner reads it (the
// model's config.json, the Hugging Face cache or the built-in table), and a model whose shape is
// not on this machine is checked for everything but layer widths.
import { findShape } from "../plan/findModel";
import { ShapeError } from "../plan/shape";
import type { TrainSettings } from "./config";
import { loraProblems, usesLora, type SettingProblem } from "./lora";

export function loraSettingProblems(settings: TrainSettings, env: NodeJS.ProcessEnv = process.env): SettingProblem[] {
  if (!usesLora(settings)) return [];
  let shape;
  try {
    shape = findShape(settings.model, env).shape;
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
  }
  return loraProblems(settings, shape);
}
