// Two controllers never write the same run directory: the first creates `lock` exclusively
// (O_EXCL) with its pid; a second finds it and refuses, unless the pid in it is dead (a crashed
// controller), in which case the stale lock is taken over.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import * as path from "node:path";
import { isPidAlive, runFiles } from "./runDir";

export class RunLockError extends Error {
  constructor(
    message: string,
    readonly holder?: number,
  ) {
    super(message);
    this.name = "RunLockError";
  }
}

export interface RunLock {
  release(): void;
}

// Locks this process holds: a lock file with our own pid is ours only if it is listed here;
// otherwise it was left by an earlier process that happened to have the same pid.
const held = new Set<string>();

export function acquireRunLock(dir: string, pid = process.pid): RunLock {
  const file = path.resolve(runFiles(dir).lock);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      held.add(file);
      return {
        release: () => {
          held.delete(file);
          try {
            if (Number(readFileSync(file, "utf8").trim()) === pid) unlinkSync(file);
          } catch {
            // Already gone.
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let holder: number | undefined;
    try {
      holder = Number(readFileSync(file, "utf8").trim());
    } catch {
      continue; // released in between: try again
    }
    if (holder && (holder === pid ? held.has(file) : isPidAlive(holder))) {
      throw new RunLockError(`The run directory ${dir} is in use by another controller (pid ${holder})`, holder);
    }
    try {
      unlinkSync(file); // stale: its controller is gone
    } catch {
      // Someone else removed it first; retry.
    }
  }
  throw new RunLockError(`Could not lock the run directory ${dir}; another controller keeps taking it`);
}
