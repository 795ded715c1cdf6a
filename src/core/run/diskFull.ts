// A full disk is an ending, not an internal error: the run says "The disk is full (PATH)" with
// a hint, records what it still can, and releases its lock. Node reports ENOSPC (EDQUOT for a
// quota) on our own writes, without the file's path when it writes through a descriptor; the
// engine reports its own failed writes (checkpoints) in its error message.
import { statfsSync } from "node:fs";

export const DISK_FULL_HINT = "Free some space on that disk (or move the run directory to another one), then continue the run with `oneshot train --resume RUN_DIR`.";

export class DiskFullError extends Error {
  constructor(readonly path: string) {
    super(`The disk is full (${path})`);
    this.name = "DiskFullError";
  }
}

const CODES = new Set(["ENOSPC", "EDQUOT"]);
// Python's OSError (errno 28, or 122 for a quota), safetensors' Rust io::Error, PyTorch's writer.
const ENGINE_MESSAGE = /No space left on device|\[Errno 28\]|StorageFull|Disk quota exceeded|\[Errno 122\]/i;

/** Whether `e` is a write that failed for want of space: ours (errno) or the engine's (its message). */
export function isDiskFull(e: unknown): boolean {
  if (e instanceof DiskFullError) return true;
  if (!(e instanceof Error)) return false;
  const code = (e as NodeJS.ErrnoException).code;
  return (typeof code === "string" && CODES.has(code)) || ENGINE_MESSAGE.test(e.message);
}

/** `e` as a DiskFullError naming `file` when it is one; otherwise `e` itself. */
export function asDiskFull(e: unknown, file: string): unknown {
  if (e instanceof DiskFullError || !isDiskFull(e)) return e;
  return new DiskFullError((e as NodeJS.ErrnoException).path ?? file);
}

/** Runs a write to `file`, naming the file when it fails because the disk is full. */
export function writingTo<T>(file: string, write: () => T): T {
  try {
    return write();
  } catch (e) {
    throw asDiskFull(e, file);
  }
}

/** True when the filesystem holding `dir` has no block left for us (statfs; false when unknown). */
export function noSpaceLeft(dir: string): boolean {
  try {
    return statfsSync(dir).bavail === 0;
  } catch {
    return false;
  }
}

/** Runs a write that must not end anything when the disk is full (undefined then); other errors propagate. */
export function bestEffort<T>(write: () => T): T | undefined {
  try {
    return write();
  } catch (e) {
    if (isDiskFull(e)) return undefined;
    throw e;
  }
}
