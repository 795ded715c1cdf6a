// The Hugging Face hub cache, where the engine's snapshot_download keeps hub models: read here
// without Python (the plan's config.json, the dry run's tokenizer), never written.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";

/** The hub cache folder, as huggingface_hub finds it. */
export function hubCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return path.join(env.HF_HOME, "hub");
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), ".cache"), "huggingface", "hub");
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
