// One checkpoint of a training run: the engine saves it (with the optimizer state when it is
// resumable), the run records it, and retention drops what it no longer keeps.
import { rmSync } from "node:fs";
import * as path from "node:path";
import { asDiskFull, bestEffort } from "../run/diskFull";
import type { CheckpointEvent } from "../run/events";
import { checkpointDir } from "../run/layout";
import type { EngineRpc } from "./evaluate";
import type { ProgressSink } from "./progress";
import type { RunState } from "./runState";

export async function saveCheckpoint(run: RunState, engine: EngineRpc, step: number, reason: CheckpointEvent["reason"], progress?: ProgressSink): Promise<void> {
  const { runDir, keeper } = run;
  const dir = checkpointDir(runDir, step);
  const resumable = reason !== "best";
  progress?.phase(`saving checkpoint step ${step}`);
  try {
    await engine.request("save", { path: dir, include_state: resumable });
  } catch (e) {
    // A half-written folder is no checkpoint (none is recorded) and holds space a full disk needs.
    if (!keeper.has(step)) bestEffort(() => rmSync(dir, { recursive: true, force: true }));
    throw asDiskFull(e, dir);
  }
  const rel = path.relative(runDir, dir).split(path.sep).join("/");
  keeper.add({ step, path: rel, resumable });
  const e = run.emit({ type: "checkpoint", step, path: rel, reason, resumable }, true) as CheckpointEvent;
  progress?.checkpoint(e);
  for (const dropped of keeper.pruneDirs(runDir)) run.summary.dropCheckpoint(dropped.path);
}
