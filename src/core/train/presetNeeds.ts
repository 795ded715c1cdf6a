// What each preset needs of the machine, in the words the preset and model pickers show next to
// its name. Whether a GPU is needed is the pre-flight's own rule (gpuNeed); the memory is what the
// presets' comments and bench/README.md record, rough on purpose (no planner estimates it yet).
import { PRESETS, type PresetName } from "../example";
import { gpuNeed } from "./preflight";

const MEMORY: Record<PresetName, string> = {
  paper: "80 GB class (not measured)",
  local: "~36 GB peak measured on the 1.5B",
  "cpu-demo": "under 1 GB",
};

/** e.g. "GPU · ~36 GB peak measured on the 1.5B", "CPU · under 1 GB". */
export function presetNeeds(name: PresetName): string {
  return `${gpuNeed(PRESETS[name]) ? "GPU" : "CPU"} · ${MEMORY[name]}`;
}
