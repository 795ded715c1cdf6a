// Checkpoint retention: keep the last `keep` resumable checkpoints plus the best one by evaluation.
// Resumable checkpoints (interval, final, stop) carry the optimizer state; a checkpoint saved only
// because an evaluation set a new best carries weights alone and never counts toward `keep`.
import { rmSync } from "node:fs";
import * as path from "node:path";

export interface SavedCheckpoint {
  step: number;
  /** Relative to the run directory. */
  path: string;
  resumable: boolean;
}

export class CheckpointKeeper {
  private saved: SavedCheckpoint[] = [];
  private bestStep: number | undefined;

  constructor(private readonly keep: number) {}

  /** Rebuilds the state of a resumed run from what its directory still holds. */
  restore(saved: SavedCheckpoint[], bestStep: number | undefined): void {
    this.saved = [...saved].sort((a, b) => a.step - b.step);
    this.bestStep = bestStep;
  }

  has(step: number): boolean {
    return this.saved.some((c) => c.step === step);
  }

  add(c: SavedCheckpoint): void {
    this.saved = [...this.saved.filter((s) => s.step !== c.step), c].sort((a, b) => a.step - b.step);
  }

  setBest(step: number): void {
    this.bestStep = step;
  }

  get best(): SavedCheckpoint | undefined {
    return this.saved.find((c) => c.step === this.bestStep);
  }

  get lastResumable(): SavedCheckpoint | undefined {
    return this.resumableNewestFirst[0];
  }

  get resumableNewestFirst(): SavedCheckpoint[] {
    return [...this.saved].reverse().filter((c) => c.resumable);
  }

  /** Stops tracking a checkpoint (a damaged one a resume passed over); its folder stays. */
  forget(step: number): void {
    this.saved = this.saved.filter((c) => c.step !== step);
  }

  /** Forgets and returns the checkpoints retention no longer keeps. */
  prune(): SavedCheckpoint[] {
    const resumable = this.saved.filter((c) => c.resumable);
    const keepSteps = new Set(resumable.slice(-this.keep).map((c) => c.step));
    if (this.bestStep !== undefined) keepSteps.add(this.bestStep);
    const dropped = this.saved.filter((c) => !keepSteps.has(c.step));
    this.saved = this.saved.filter((c) => keepSteps.has(c.step));
    return dropped;
  }

  /** Prunes and deletes the dropped checkpoint folders. */
  pruneDirs(runDir: string): SavedCheckpoint[] {
    const dropped = this.prune();
    for (const c of dropped) rmSync(path.join(runDir, c.path), { recursive: true, force: true });
    return dropped;
  }
}
