// Hub datasets over HTTPS, cached on disk. The datasets server lists a dataset's parquet files per
// config and split (it converts every public dataset, whatever its original format); the files
// themselves come from the hub's resolve URLs. A cached split is used without touching the
// network, so benchmarks work offline once fetched; `refresh` downloads again.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";

export interface HubOptions {
  /** Root of the dataset cache (default ~/.cache/oneshot-rlvr/datasets). */
  cacheDir: string;
  /** The hub (HF_ENDPOINT), default https://huggingface.co. */
  endpoint: string;
  /** The datasets server, default https://datasets-server.huggingface.co. */
  datasetsServer: string;
  /** HF_TOKEN, for gated datasets. */
  token?: string;
  /** Download again even when cached. */
  refresh?: boolean;
  timeoutMs?: number;
  fetch?: typeof fetch;
  onProgress?: (message: string) => void;
}

/** A dataset that cannot be had: offline and not cached, not found, gated. One sentence for the user. */
export class DatasetUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatasetUnavailableError";
  }
}

export function defaultCacheRoot(env: NodeJS.ProcessEnv): string {
  if (env.ONESHOT_CACHE_DIR) return env.ONESHOT_CACHE_DIR;
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), ".cache"), "oneshot-rlvr");
}

export function hubOptionsFromEnv(env: NodeJS.ProcessEnv, overrides: Partial<HubOptions> = {}): HubOptions {
  return {
    cacheDir: path.join(defaultCacheRoot(env), "datasets"),
    endpoint: (env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, ""),
    datasetsServer: (env.ONESHOT_DATASETS_SERVER || "https://datasets-server.huggingface.co").replace(/\/+$/, ""),
    token: env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined,
    ...overrides,
  };
}

export const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

export interface HubDatasetRef {
  id: string;
  config?: string;
  split?: string;
}

export interface FetchedDataset {
  id: string;
  config: string;
  split: string;
  files: string[];
  fromCache: boolean;
}

interface Manifest {
  id: string;
  config: string;
  split: string;
  files: string[];
  urls: string[];
  fetched_at: string;
}

interface ParquetListing {
  parquet_files?: { config: string; split: string; url: string; filename: string; size?: number }[];
  error?: string;
}

const datasetDir = (o: HubOptions, id: string) => path.join(o.cacheDir, "hub", ...id.split("/"));
const splitDir = (o: HubOptions, id: string, config: string, split: string) => path.join(datasetDir(o, id), config, split);

/** The cached {config, split} pairs of a dataset. */
function cachedSplits(o: HubOptions, id: string): { config: string; split: string }[] {
  const root = datasetDir(o, id);
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((config) => {
    const dir = path.join(root, config);
    try {
      return readdirSync(dir)
        .filter((split) => existsSync(path.join(dir, split, "manifest.json")))
        .map((split) => ({ config, split }));
    } catch {
      return [];
    }
  });
}

/**
 * Picks the split to use: the one asked for, else "test", else the only one. Config defaults to
 * "default" (what the datasets server calls a dataset without named configs), else the only one.
 */
export function pickSplit(
  available: { config: string; split: string }[],
  want: { config?: string; split?: string },
  id: string,
): { config: string; split: string } | undefined {
  const configs = [...new Set(available.map((a) => a.config))];
  const config = want.config ?? (configs.includes("default") ? "default" : configs.length === 1 ? configs[0] : undefined);
  if (config === undefined) {
    if (!configs.length) return undefined;
    throw new DatasetUnavailableError(`${id} has several configs (${configs.join(", ")}): name one as ${id}:CONFIG`);
  }
  const splits = available.filter((a) => a.config === config).map((a) => a.split);
  if (want.split) return splits.includes(want.split) ? { config, split: want.split } : undefined;
  if (splits.includes("test")) return { config, split: "test" };
  if (splits.length === 1) return { config, split: splits[0]! };
  if (!splits.length) return undefined;
  throw new DatasetUnavailableError(`${id} (${config}) has several splits (${splits.join(", ")}): name one as ${id}@SPLIT`);
}

function readManifest(o: HubOptions, id: string, config: string, split: string): Manifest | undefined {
  const dir = splitDir(o, id, config, split);
  try {
    const m = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest;
    return m.files.every((f) => existsSync(path.join(dir, f))) ? m : undefined;
  } catch {
    return undefined;
  }
}

function fromManifest(o: HubOptions, m: Manifest): FetchedDataset {
  const dir = splitDir(o, m.id, m.config, m.split);
  return { id: m.id, config: m.config, split: m.split, files: m.files.map((f) => path.join(dir, f)), fromCache: true };
}

/** The dataset's parquet files for one split, from the cache or downloaded into it. */
export async function fetchHubDataset(ref: HubDatasetRef, o: HubOptions): Promise<FetchedDataset> {
  if (!HUB_ID.test(ref.id)) throw new DatasetUnavailableError(`'${ref.id}' is not a hub dataset id (expected OWNER/NAME)`);
  if (!o.refresh) {
    const cached = pickSplit(cachedSplits(o, ref.id), ref, ref.id);
    const m = cached && readManifest(o, ref.id, cached.config, cached.split);
    if (m) return fromManifest(o, m);
  }
  const listingUrl = `${o.datasetsServer}/parquet?dataset=${encodeURIComponent(ref.id)}`;
  let listing: ParquetListing;
  try {
    listing = (await (await request(listingUrl, o, ref.id)).json()) as ParquetListing;
  } catch (e) {
    if (e instanceof Unreachable) return offlineFallback(ref, o, e);
    throw e;
  }
  const files = listing.parquet_files ?? [];
  const chosen = pickSplit(files, ref, ref.id);
  if (!chosen) {
    const have = [...new Set(files.map((f) => `${f.config}/${f.split}`))].join(", ") || "none";
    throw new DatasetUnavailableError(
      `${ref.id} has no ${[ref.config, ref.split].filter(Boolean).join("/") || "usable"} split on the hub (available: ${have})`,
    );
  }
  const parts = files.filter((f) => f.config === chosen.config && f.split === chosen.split);
  const dir = splitDir(o, ref.id, chosen.config, chosen.split);
  mkdirSync(dir, { recursive: true });
  const names: string[] = [];
  try {
    for (const [i, part] of parts.entries()) {
      const name = `${String(i).padStart(4, "0")}-${safeName(part.filename)}`;
      o.onProgress?.(`downloading ${ref.id} ${chosen.config}/${chosen.split} ${i + 1}/${parts.length} (${part.filename})`);
      await downloadTo(part.url, path.join(dir, name), o, ref.id);
      names.push(name);
    }
  } catch (e) {
    if (e instanceof Unreachable) return offlineFallback(ref, o, e);
    throw e;
  }
  const manifest: Manifest = { ...chosen, id: ref.id, files: names, urls: parts.map((p) => p.url), fetched_at: new Date().toISOString() };
  writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return { ...fromManifest(o, manifest), fromCache: false };
}

/** A dataset file at a URL, cached by the URL's hash; the returned path keeps the file's extension. */
export async function fetchUrlFile(url: string, o: HubOptions): Promise<{ file: string; fromCache: boolean }> {
  const base = safeName(path.basename(new URL(url).pathname) || "data");
  const dir = path.join(o.cacheDir, "url", createHash("sha256").update(url).digest("hex").slice(0, 16));
  const file = path.join(dir, base);
  if (!o.refresh && existsSync(file)) return { file, fromCache: true };
  mkdirSync(dir, { recursive: true });
  try {
    await downloadTo(url, file, o, url);
  } catch (e) {
    if (e instanceof Unreachable) {
      if (existsSync(file)) return { file, fromCache: true };
      throw new DatasetUnavailableError(
        `cannot download ${url} (${e.message}) and it is not cached in ${o.cacheDir}; connect once, or pass a local file`,
      );
    }
    throw e;
  }
  return { file, fromCache: false };
}

function offlineFallback(ref: HubDatasetRef, o: HubOptions, e: Unreachable): FetchedDataset {
  // A refresh that cannot reach the network still has whatever was cached before.
  const cached = pickSplit(cachedSplits(o, ref.id), ref, ref.id);
  const m = cached && readManifest(o, ref.id, cached.config, cached.split);
  if (m) return fromManifest(o, m);
  throw new DatasetUnavailableError(
    `cannot download ${ref.id} (${e.message}) and it is not in the dataset cache ${o.cacheDir}; connect to the internet once, or pass a local JSONL/JSON/parquet file instead`,
  );
}

/** The network could not be reached (as opposed to the server answering with an error). */
class Unreachable extends Error {}

async function request(url: string, o: HubOptions, what: string): Promise<Response> {
  const doFetch = o.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, {
      headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
      signal: AbortSignal.timeout(o.timeoutMs ?? 60_000),
      redirect: "follow",
    });
  } catch (e) {
    throw new Unreachable(describeNetworkError(e, url));
  }
  if (res.ok) return res;
  if (res.status === 401 || res.status === 403) {
    throw new DatasetUnavailableError(`${what} needs authorisation on the hub (HTTP ${res.status}): accept its terms on the hub and set HF_TOKEN`);
  }
  if (res.status === 404) throw new DatasetUnavailableError(`${what} was not found on the hub (HTTP 404 for ${url})`);
  throw new DatasetUnavailableError(`the hub answered HTTP ${res.status} for ${url}; try again later`);
}

async function downloadTo(url: string, file: string, o: HubOptions, what: string): Promise<void> {
  const res = await request(url, o, what);
  let body: ArrayBuffer;
  try {
    body = await res.arrayBuffer();
  } catch (e) {
    throw new Unreachable(describeNetworkError(e, url));
  }
  const part = `${file}.part`;
  writeFileSync(part, Buffer.from(body));
  renameSync(part, file);
  rmSync(part, { force: true });
}

function describeNetworkError(e: unknown, url: string): string {
  const err = e as Error & { cause?: { code?: string } };
  if (err.name === "TimeoutError" || err.name === "AbortError") return `no answer from ${new URL(url).host} in time`;
  const code = err.cause?.code;
  return code ? `${code} reaching ${new URL(url).host}` : `no connection to ${new URL(url).host}`;
}

function safeName(name: string): string {
  return name.replace(/[^\w.-]+/g, "_");
}
