// Tells a run's controller from a later program that got the same pid. A pid alone is not an
// identity: after a crash or a reboot the number is handed to someone else, and signalling it
// (`oneshot stop`) or calling the run `running` would be wrong. So the lock records the pid with
// the process's start marker, and a reader trusts the pid only while both still match:
//   Linux (/proc): the boot id and the start time in clock ticks since boot (/proc/PID/stat);
//   other Unixes (macOS, BSD): the start time `ps -o lstart=` prints, to the second;
//   Windows: none is read, so the pid's liveness is all there is.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

export interface ProcessIdentity {
  pid: number;
  /** Where the platform allows it, when the process started (see the header); else undefined. */
  start?: string;
}

export type StartMethod = "proc" | "ps" | "none";

export function defaultStartMethod(): StartMethod {
  if (process.platform === "win32") return "none";
  return existsSync("/proc/self/stat") ? "proc" : "ps";
}

export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The start marker of a live process; undefined when it is gone or the platform cannot say. */
export function processStart(pid: number, method: StartMethod = defaultStartMethod()): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    if (method === "proc") {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ticks = fields[19]; // field 22, starttime
      if (!ticks || !/^\d+$/.test(ticks)) return undefined;
      return `proc:${bootId()}:${ticks}`;
    }
    if (method === "ps") {
      const r = spawnSync("ps", ["-o", "lstart=", "-p", String(pid)], { encoding: "utf8", env: { ...process.env, LC_ALL: "C" }, timeout: 5000 });
      const out = r.status === 0 ? r.stdout.trim().replace(/\s+/g, " ") : "";
      return out ? `ps:${out}` : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

let cachedBootId: string | undefined;
function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      cachedBootId = "";
    }
  }
  return cachedBootId;
}

export function identityOf(pid: number): ProcessIdentity {
  const start = processStart(pid);
  return start ? { pid, start } : { pid };
}

/** `PID\nSTART\n`: the first line alone is still a plain pid file for older readers. */
export function formatIdentity(id: ProcessIdentity): string {
  return id.start ? `${id.pid}\n${id.start}\n` : `${id.pid}\n`;
}

export function parseIdentity(text: string | undefined): ProcessIdentity | undefined {
  if (text === undefined) return undefined;
  const [first, second] = text.split("\n").map((l) => l.trim());
  const pid = Number(first);
  if (!first || !Number.isInteger(pid) || pid <= 0) return undefined;
  return second ? { pid, start: second } : { pid };
}

/**
 * Whether the process that recorded `id` is still running under its pid. Without a recorded start
 * (Windows, or a lock from an older version) liveness must do; a start recorded by a method this
 * machine cannot read now also falls back to liveness.
 */
export function isSameProcess(id: ProcessIdentity): boolean {
  if (!isPidAlive(id.pid)) return false;
  if (!id.start) return true;
  const method = id.start.split(":", 1)[0] as StartMethod;
  if (method !== "proc" && method !== "ps") return true;
  const now = processStart(id.pid, method);
  // Unreadable although alive (e.g. /proc mounted with hidepid): cannot tell, so liveness decides.
  if (now === undefined) return isPidAlive(id.pid);
  return now === id.start;
}
