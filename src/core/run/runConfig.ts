// config.json: the resolved specification of a run and the only hand-off between processes.
// `oneshot train FILE` resolves the example once and writes it; the controller that trains the run
// (in that process, in the background child of --detach, or on --resume) reads only this file, so
// an edit of the example saved meanwhile never changes what trains.
import { readFileSync } from "node:fs";
import type { TrainConfig } from "../example/config";
import { checkRunConfig } from "../example/configCheck";
import { runFiles } from "./layout";
import { writeJsonAtomic } from "./summary";

/** A config.json that cannot be trained from, with the sentence that says why. */
export class RunConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunConfigError";
  }
}

export function writeRunConfig(dir: string, config: TrainConfig): void {
  writeJsonAtomic(runFiles(dir).config, config);
}

/**
 * The run's configuration after the example schema's check: the file may have been edited by
 * hand. `filled` names settings an older config.json lacked, taken from its preset.
 */
export function readRunConfig(dir: string): { config: TrainConfig; file: string; filled: string[] } {
  const file = runFiles(dir).config;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new RunConfigError(`${dir} is not a run directory (it has no config.json)`);
  }
  let config: TrainConfig;
  try {
    config = JSON.parse(text) as TrainConfig;
  } catch (e) {
    throw new RunConfigError(`${file} is not valid JSON (${(e as Error).message})`);
  }
  const { problems, filled } = checkRunConfig(config);
  if (problems.length) throw new RunConfigError(`${file}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join("\n  ")}`}`);
  return { config, file, filled };
}
