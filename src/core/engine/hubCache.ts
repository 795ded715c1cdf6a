// The Hugging Face hub cache, where the engine's snapshot_download keeps hub models: read here
// without Python (the plan's config.json, the dry run's tokenizer), never written.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";

/** A hub id as the engine accepts one (engine/oneshot_engine/hub.py, _REPO_ID). */
export const MODEL_HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/** huggingface_hub's cache folder: HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME/huggingface/hub, ~/.cache/huggingface/hub. */
export function hubCacheDir(env: NodeJS.ProcessEnv, home: string = homedir()): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  const hfHome = env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(home, ".cache"), "huggingface");
  return path.join(hfHome, "hub");
}

/** `file` of a cached hub model: in the snapshot refs/main points to, else in the newest snapshot that has it. */
export function cachedFile(id: string, file: string, env: NodeJS.ProcessEnv): string | undefined {
  const repo = path.join(hubCacheDir(env), `models--${id.replace("/", "--")}`);
  const snapshots = path.join(repo, "snapshots");
  if (!existsSync(snapshots)) return undefined;
  const ref = path.join(repo, "refs", "main");
  if (existsSync(ref)) {
    const found = path.join(snapshots, readFileSync(ref, "utf8").trim(), file);
    if (existsSync(found)) return found;
  }
  return readdirSync(snapshots)
    .map((d) => path.join(snapshots, d, file))
    .filter((f) => existsSync(f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}
