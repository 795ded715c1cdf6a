// What a run that ended short can be offered: Resume only when a resumable checkpoint is on disk
// and looks intact (the controller would otherwise start over from the base model in the same
// directory, which is a retry under a misleading name); otherwise Retry: the same config.json in a
// new run directory (`oneshot train --retry`).
import * as path from "node:path";
import type { CheckpointEvent, ObservedRunStatus } from "../run/events";
import { checkpointDamage } from "../train/resumePoint";

export type Recovery = "resume" | "retry";

export function recoveryFor(
  status: ObservedRunStatus,
  runDir: string,
  checkpoints: readonly CheckpointEvent[],
  damage: (dir: string) => string | undefined = checkpointDamage,
): Recovery | undefined {
  if (status !== "stopped" && status !== "failed" && status !== "interrupted") return undefined;
  // `best` checkpoints hold no optimizer state; retention deletes old ones (their folders are gone).
  const intact = checkpoints.some((c) => c.resumable !== false && c.reason !== "best" && damage(path.join(runDir, c.path)) === undefined);
  return intact ? "resume" : "retry";
}
