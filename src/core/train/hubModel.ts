// Whether a model named by a Hugging Face hub id can be had before a run starts: in the local
// Hugging Face cache (where the engine's snapshot_download looks first, with the same environment
// variables), or from the hub, which is asked once with a short timeout. Nothing is downloaded here.
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { hubCacheDir } from "../engine/hubCache";

/** How long the hub may take to answer before it counts as unreachable. */
export const HUB_TIMEOUT_MS = 3000;

/** The file-system and network look-ups the check makes; tests pass their own. */
export interface HubLookups {
  exists: (file: string) => boolean;
  list: (dir: string) => string[];
  home: () => string;
  /** Whether `url` answers at all (any HTTP status) within the timeout. */
  reachable: (url: string, timeoutMs: number) => Promise<boolean>;
}

export const realHubLookups: HubLookups = {
  exists: existsSync,
  list: (dir) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
  home: homedir,
  reachable: async (url, timeoutMs) => {
    try {
      await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(timeoutMs) });
      return true;
    } catch {
      return false;
    }
  },
};

/** As huggingface_hub reads HF_HUB_OFFLINE (and transformers' TRANSFORMERS_OFFLINE). */
export function hubOffline(env: NodeJS.ProcessEnv): boolean {
  const v = (env.HF_HUB_OFFLINE || env.TRANSFORMERS_OFFLINE || "").trim().toLowerCase();
  return ["1", "true", "yes", "on"].includes(v);
}

/** A snapshot of `id` in the cache that holds a config.json, or undefined. */
export function cachedSnapshot(id: string, cacheDir: string, l: Pick<HubLookups, "exists" | "list">): string | undefined {
  const snapshots = path.join(cacheDir, `models--${id.replace(/\//g, "--")}`, "snapshots");
  return l
    .list(snapshots)
    .map((s) => path.join(snapshots, s))
    .find((s) => l.exists(path.join(s, "config.json")));
}

/**
 * Why the hub model `id` cannot be had now, or undefined when it is cached or the hub answers.
 * Behind a proxy (HTTPS_PROXY and the like) Node's fetch would not take the route Python takes,
 * so there the hub is not asked and the engine finds out.
 */
export async function hubModelProblem(id: string, env: NodeJS.ProcessEnv, l: HubLookups = realHubLookups): Promise<string | undefined> {
  const cache = hubCacheDir(env, l.home());
  if (cachedSnapshot(id, cache, l)) return undefined;
  const fetchIt = `download it first with \`hf download ${id}\` (the engine's environment has the hf command), or set model to a local folder`;
  if (hubOffline(env)) return `model: ${id} is not in the Hugging Face cache (${cache}) and HF_HUB_OFFLINE is set: ${fetchIt}`;
  if (["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"].some((k) => env[k])) return undefined;
  const endpoint = (env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, "");
  if (await l.reachable(endpoint, HUB_TIMEOUT_MS)) return undefined;
  return `model: ${id} is not in the Hugging Face cache (${cache}) and ${endpoint} cannot be reached: ${fetchIt}`;
}
