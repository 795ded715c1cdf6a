// Where a new run may be written: a directory that is new or empty, created one level at a time.
// Node's recursive mkdir loops forever under /proc (every level reports ENOENT), and its errors
// for a file in the way, a read-only mount or a missing permission are stack traces to a user;
// here each becomes one sentence naming the path.
import { accessSync, constants, mkdirSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";

/** A run directory that cannot be used, with the sentence that says why. */
export class RunDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunDirError";
  }
}

/**
 * Throws RunDirError unless `dir` is an empty directory (but for `ignore`d names) or could be
 * created (its nearest existing ancestor is a writable directory). Creates nothing.
 */
export function checkNewRunDir(dir: string, ignore: readonly string[] = []): void {
  const st = statOf(dir);
  if (st) {
    if (!st.isDirectory()) throw new RunDirError(`${dir} exists and is not a directory: give a new or empty directory`);
    if (entries(dir).some((f) => !ignore.includes(f))) throw new RunDirError(`${dir} is not empty: give a new or empty directory`);
    if (!writable(dir)) throw new RunDirError(`${dir} is not writable (a read-only file system, or no permission)`);
    return;
  }
  const { ancestor } = missingLevels(dir);
  const a = statOf(ancestor);
  if (!a?.isDirectory()) throw new RunDirError(`cannot create ${dir}: ${ancestor} is not a directory`);
  if (!writable(ancestor)) throw new RunDirError(`cannot create ${dir}: ${ancestor} is not writable (a read-only file system, or no permission)`);
}

/** Creates `dir` and its missing parents, one level at a time; false when `dir` already existed. */
export function makeDirs(dir: string): boolean {
  const { missing } = missingLevels(dir);
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST" && statOf(level)?.isDirectory()) continue;
      throw new RunDirError(`cannot create ${level}: ${describe(code, e as Error)}`);
    }
  }
  return missing.length > 0;
}

/** The first existing ancestor of `dir` and the levels below it that do not exist yet, top first. */
function missingLevels(dir: string): { ancestor: string; missing: string[] } {
  const missing: string[] = [];
  let p = path.resolve(dir);
  while (!statOf(p)) {
    missing.unshift(p);
    const parent = path.dirname(p);
    if (parent === p) break;
    p = parent;
  }
  return { ancestor: p, missing };
}

export function describe(code: string | undefined, e: Error): string {
  switch (code) {
    case "EROFS":
      return "the file system is read-only";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOTDIR":
      return "a part of the path is a file, not a directory";
    case "EEXIST":
      return "a file of that name is in the way";
    case "ENOENT":
      return "this location does not accept new directories";
    case "ENOSPC":
      return "the disk is full";
    default:
      return e.message;
  }
}

function statOf(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
