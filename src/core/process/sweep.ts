// Processes a child started that its process group does not reach. torchrun starts every engine
// rank in a session of its own (start_new_session), so a signal to torchrun's group leaves the
// ranks alive, and a rank outlives a torchrun that was killed. Each such child is started with a
// marker variable in its environment, which every process it starts inherits; the marked processes
// are found by their environment (Linux /proc: a process reads the environment of its own user's
// processes only) and killed, wherever they were reparented.
import { readdirSync, readFileSync } from "node:fs";

export interface Marker {
  /** Environment variable name. */
  name: string;
  /** Its value, unique to one launch. */
  value: string;
}

/** Pids of the live processes (not this one) whose environment holds the marker; [] where /proc is missing. */
export function markedProcesses(m: Marker, procDir = "/proc"): number[] {
  let entries: string[];
  try {
    entries = readdirSync(procDir);
  } catch {
    return [];
  }
  const needle = Buffer.from(`${m.name}=${m.value}\0`);
  const out: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    let env: Buffer;
    try {
      env = readFileSync(`${procDir}/${e}/environ`);
    } catch {
      continue; // another user's process, or one that just ended
    }
    const at = env.indexOf(needle);
    if (at === 0 || (at > 0 && env[at - 1] === 0)) out.push(Number(e));
  }
  return out;
}

/** SIGKILLs every marked process; returns their pids. */
export function killMarked(m: Marker, procDir = "/proc"): number[] {
  const pids = markedProcesses(m, procDir);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}
