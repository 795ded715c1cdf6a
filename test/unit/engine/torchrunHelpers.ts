// For tests of the engine under torchrun: the Python that runs the real torchrun with the fake
// oneshot_engine package (fixtures/torchrun-python), and the ranks' pids it writes.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

export const TORCHRUN_PYTHON = path.resolve("test/unit/engine/fixtures/torchrun-python");

/** The pids the ranks wrote, once both have. */
export async function rankPids(dir: string, n = 2): Promise<number[]> {
  for (let i = 0; i < 200 && readdirSync(dir).length < n; i++) await new Promise((r) => setTimeout(r, 50));
  return readdirSync(dir).map((f) => Number(readFileSync(path.join(dir, f), "utf8")));
}

/** Alive, and not a zombie waiting for a parent that does not reap it. */
export function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(")").at(-1)!.trim()[0] !== "Z";
  } catch {
    return false;
  }
}

/** The live processes whose environment has NAME=VALUE, with their RANK (torchrun's) when they have one. */
export function processesTagged(name: string, value: string): { pid: number; rank?: number }[] {
  const out: { pid: number; rank?: number }[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    let env: string[];
    try {
      env = readFileSync(`/proc/${e}/environ`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (!env.includes(`${name}=${value}`) || !alive(Number(e))) continue;
    const rank = env.find((v) => v.startsWith("RANK="));
    out.push({ pid: Number(e), ...(rank ? { rank: Number(rank.slice(5)) } : {}) });
  }
  return out;
}
