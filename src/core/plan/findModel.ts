// Where the planner reads a model's config.json: the model's own folder, the Hugging Face cache
// (where the engine's snapshot_download puts hub models), or, for the hub models the presets name,
// the built-in table. Nothing is downloaded: a plan must be instant and work offline.
import { existsSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { cachedFile, MODEL_HUB_ID } from "../engine/hubCache";
import { KNOWN_CONFIGS } from "./knownShapes";
import { ShapeError, shapeFromConfig, type ModelShape } from "./shape";

export interface FoundShape {
  shape: ModelShape;
  /** Where the shape came from: a config.json path, or "built-in table (…)" */
  source: string;
}

/** The shape of `model` (a folder or a hub id); a ShapeError says what is missing and how to get it. */
export function findShape(model: string, env: NodeJS.ProcessEnv = process.env): FoundShape {
  const read = (file: string): FoundShape => {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new ShapeError(`${file} cannot be read as JSON (${(e as Error).message})`);
    }
    return { shape: shapeFromConfig(raw, file), source: file };
  };
  if (existsSync(model) && statSync(model).isDirectory()) {
    const file = path.join(model, "config.json");
    if (!existsSync(file)) throw new ShapeError(`the model folder ${model} has no config.json, which the plan needs`);
    return read(file);
  }
  if (!MODEL_HUB_ID.test(model)) throw new ShapeError(`model ${model} is neither a folder nor a hub id (OWNER/NAME)`);
  const cached = cachedFile(model, "config.json", env);
  if (cached) return read(cached);
  const known = KNOWN_CONFIGS[model];
  if (known) return { shape: shapeFromConfig(known, model), source: `built-in table (${model})` };
  throw new ShapeError(
    `the plan needs ${model}'s config.json, which is not on this machine: fetch it with \`hf download ${model} config.json\` (or run once, which downloads the model), or set model to a local folder`,
  );
}
