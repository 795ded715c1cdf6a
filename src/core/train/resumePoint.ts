// Which checkpoint a resumed run continues from. The newest resumable checkpoint may be damaged
// (a disk that filled up, a copy cut short, a file deleted by hand): it is passed over, with a
// warning, for the newest intact earlier one, and with none left the run starts over from the
// base model. Damage is looked for cheaply here first (files present, non-empty, safetensors
// no shorter than their header says); what only loading reveals, the engine reports as
// BadCheckpoint, which moves on to the next checkpoint the same way.
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import * as path from "node:path";
import { EngineError } from "../engine/errors";
import { EngineErrorCode } from "../engine/protocol";
import type { SavedCheckpoint } from "./checkpoints";

/** The optimizer, RNG and step state the engine writes into resumable checkpoints. */
const STATE_FILE = "engine_state.pt";
const INDEX_FILE = "model.safetensors.index.json";

/** What is wrong with a resumable checkpoint folder, or undefined when it looks intact. */
export function checkpointDamage(dir: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return "its folder cannot be read";
  }
  const weights = names.filter((n) => n.endsWith(".safetensors"));
  const index = names.includes(INDEX_FILE) ? shardsOf(path.join(dir, INDEX_FILE)) : [];
  if (index === undefined) return `${INDEX_FILE} cannot be read`;
  const lost = index.find((shard) => !weights.includes(shard));
  if (lost) return `the shard ${lost} is missing`;
  if (!weights.length) return "it has no *.safetensors weights";
  for (const name of ["config.json", STATE_FILE, ...weights]) {
    const problem = name.endsWith(".safetensors") ? safetensorsProblem(path.join(dir, name)) : sizeProblem(path.join(dir, name));
    if (problem) return `${name} ${problem}`;
  }
  return undefined;
}

/** The shard files a sharded checkpoint's index names; undefined when the index is unreadable. */
function shardsOf(indexFile: string): string[] | undefined {
  try {
    const index = JSON.parse(readFileSync(indexFile, "utf8")) as { weight_map?: Record<string, string> };
    return [...new Set(Object.values(index.weight_map ?? {}))];
  } catch {
    return undefined;
  }
}

function sizeProblem(file: string): string | undefined {
  try {
    return statSync(file).size > 0 ? undefined : "is empty";
  } catch {
    return "is missing";
  }
}

/** A safetensors file is an 8-byte header length, a JSON header, then the tensors it lists. */
function safetensorsProblem(file: string): string | undefined {
  const missing = sizeProblem(file);
  if (missing) return missing;
  const size = statSync(file).size;
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(8);
    if (readSync(fd, head, 0, 8, 0) < 8) return "is truncated";
    const headerLen = Number(head.readBigUInt64LE(0));
    if (headerLen > size - 8 || headerLen > 100_000_000) return "is truncated";
    const header = Buffer.alloc(headerLen);
    readSync(fd, header, 0, headerLen, 8);
    let end = 0;
    const entries = JSON.parse(header.toString("utf8")) as Record<string, { data_offsets?: [number, number] }>;
    for (const [name, t] of Object.entries(entries)) if (name !== "__metadata__" && t.data_offsets) end = Math.max(end, t.data_offsets[1]);
    return 8 + headerLen + end > size ? "is truncated" : undefined;
  } catch {
    return "has an unreadable header";
  } finally {
    closeSync(fd);
  }
}

export interface ResumePoint<T> {
  /** The checkpoint loaded; undefined: the base model (no intact checkpoint). */
  from?: SavedCheckpoint;
  loaded: T;
  /** Checkpoints passed over as damaged, newest first. */
  damaged: SavedCheckpoint[];
}

/**
 * Loads the newest intact checkpoint among `candidates` (newest first) with `load`, warning about
 * each damaged one; `load(undefined)` loads the base model when none is intact.
 */
export async function loadResumePoint<T>(
  candidates: readonly SavedCheckpoint[],
  runDir: string,
  load: (from: SavedCheckpoint | undefined) => Promise<T>,
  warn: (message: string) => void,
): Promise<ResumePoint<T>> {
  const damaged: SavedCheckpoint[] = [];
  const passOver = (c: SavedCheckpoint, why: string) => {
    damaged.push(c);
    const next = candidates[candidates.indexOf(c) + 1];
    warn(`Checkpoint ${c.path} is damaged (${why}); ${next ? `resuming from the earlier ${next.path} instead` : "no earlier checkpoint is left, so the run starts over from the base model"}.`);
  };
  for (const c of candidates) {
    const damage = checkpointDamage(path.join(runDir, c.path));
    if (damage) {
      passOver(c, damage);
      continue;
    }
    try {
      return { from: c, loaded: await load(c), damaged };
    } catch (e) {
      if (!(e instanceof EngineError) || e.code !== EngineErrorCode.BadCheckpoint) throw e;
      passOver(c, e.message);
    }
  }
  return { loaded: await load(undefined), damaged };
}
