// Two controllers never write the same run directory: the first creates `lock` exclusively
// (O_EXCL) with its pid and start marker (processIdentity.ts); a second finds it and refuses,
// unless that process is gone (a crashed controller, or its pid now belongs to another program),
// in which case the stale lock is taken over.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import * as path from "node:path";
import { writingTo } from "./diskFull";
import { formatIdentity, identityOf, isSameProcess, parseIdentity } from "./processIdentity";
import { runFiles } from "./runDir";

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
      try {
        writingTo(file, () => writeSync(fd, formatIdentity(identityOf(pid))));
      } catch (e) {
        // A lock without its pid (e.g. a full disk) would block the directory: leave none.
        closeSync(fd);
        unlinkSync(file);
        throw e;
      }
      closeSync(fd);
      held.add(file);
      return {
        release: () => {
          held.delete(file);
          try {
            if (parseIdentity(readFileSync(file, "utf8"))?.pid === pid) unlinkSync(file);
          } catch {
            // Already gone.
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue; // released in between: try again
    }
    const holder = parseIdentity(text);
    if (holder && (holder.pid === pid ? held.has(file) : isSameProcess(holder))) {
      throw new RunLockError(`The run directory ${dir} is in use by another controller (pid ${holder.pid})`, holder.pid);
    }
    try {
      unlinkSync(file); // stale: its controller is gone
    } catch {
      // Someone else removed it first; retry.
    }
  }
  throw new RunLockError(`Could not lock the run directory ${dir}; another controller keeps taking it`);
}
