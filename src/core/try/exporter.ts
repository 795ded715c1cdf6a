// Runs the engine's ONNX export (`python -m oneshot_engine export-onnx`) and finds or fills the
// export cache: beside the checkpoint (<checkpoint>/onnx-fp32, onnx-int8 or onnx-q4), or under a cache
// folder when the model's folder cannot be written (the built-in model inside an installed extension).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, existsSync } from "node:fs";
import * as path from "node:path";
import { defaultHint } from "../engine/errors";
import type { ErrorReason } from "../engine/protocol";
import { engineEnv } from "../engine/pythonEnv";
import { TryError } from "./errors";
import { type ExportManifest, isCurrent, readManifest } from "./manifest";

/** int8: 8-bit weights (dynamic quantisation); q4: 4-bit weights of the MatMuls (MatMulNBits). */
export type Quantize = "int8" | "q4" | undefined;
export const QUANTIZE = ["int8", "q4"] as const;

export interface ExportOptions {
  python: string;
  engineDir: string;
  env?: NodeJS.ProcessEnv;
  quantize?: Quantize;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

/** Where the cached export of `modelDir` lives: inside it when writable, else under `cacheRoot`. */
export function exportCacheDir(modelDir: string, quantize: Quantize, cacheRoot: string): string {
  const name = `onnx-${quantize ?? "fp32"}`;
  // A hub id: the engine downloads it into its cache, which is not ours to write into.
  if (!existsSync(modelDir)) return path.join(cacheRoot, modelDir.replace(/[^\w.-]+/g, "__"), name);
  try {
    accessSync(modelDir, constants.W_OK);
    return path.join(modelDir, name);
  } catch {
    const key = createHash("sha256").update(path.resolve(modelDir)).digest("hex").slice(0, 12);
    return path.join(cacheRoot, `${path.basename(modelDir)}-${key}`, name);
  }
}

/** The cached export when it exists and matches the weights now in `modelDir`. */
export function cachedExport(dir: string, modelDir: string): ExportManifest | undefined {
  if (!existsSync(dir)) return undefined;
  try {
    const m = readManifest(dir);
    // For a hub id the weights are where the engine found them (the manifest's source).
    return isCurrent(m, existsSync(modelDir) ? modelDir : m.source) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Exports `model` (a folder or hub id) to `out`, replacing what is there; resolves with the manifest. */
export function runExport(model: string, out: string, o: ExportOptions): Promise<ExportManifest> {
  const args = ["-m", "oneshot_engine", "export-onnx", model, "--out", out, ...(o.quantize ? ["--quantize", o.quantize] : [])];
  const child = spawn(o.python, args, {
    env: { OMP_WAIT_POLICY: "PASSIVE", ...engineEnv(o.engineDir, o.env ?? process.env) },
    stdio: ["ignore", "pipe", "pipe"],
    ...(o.signal ? { signal: o.signal, killSignal: "SIGTERM" as const } : {}),
  });
  let stdout = "";
  const stderr: string[] = [];
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  let partial = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    const lines = (partial + d).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      try {
        const msg = JSON.parse(line) as { progress?: string };
        if (typeof msg.progress === "string") {
          o.onProgress?.(msg.progress);
          continue;
        }
      } catch {
        // not one of ours: Python's own output, kept for the error message
      }
      if (line.trim()) stderr.push(line);
    }
  });
  return new Promise((resolve, reject) => {
    child.on("error", (e) => {
      if (o.signal?.aborted) reject(new TryError("the export was cancelled; nothing was kept"));
      else reject(new TryError(`the engine's Python (${o.python}) could not be started for the export: ${e.message}`));
    });
    child.on("close", (code) => {
      if (o.signal?.aborted) return reject(new TryError("the export was cancelled; nothing was kept"));
      const last = stdout.trim().split("\n").pop() ?? "";
      let reply: { result?: ExportManifest; error?: { code: number; message: string; reason?: ErrorReason | null } } = {};
      try {
        reply = JSON.parse(last) as typeof reply;
      } catch {
        // falls through to the stderr tail below
      }
      if (code === 0 && reply.result) return resolve(reply.result);
      if (reply.error) {
        const hint = defaultHint(reply.error.code, reply.error.reason ?? undefined);
        return reject(new TryError(`${reply.error.message}${hint ? ` (${hint})` : ""}`));
      }
      const tail = stderr.slice(-1)[0] ?? `exit code ${code}`;
      reject(new TryError(`the ONNX export failed: ${tail}`));
    });
  });
}

/** The export of `modelDir` to run: the cached one when current, else a fresh export into the cache. */
export async function ensureExport(modelDir: string, cacheRoot: string, o: ExportOptions): Promise<{ dir: string; manifest: ExportManifest; exported: boolean }> {
  const dir = exportCacheDir(modelDir, o.quantize, cacheRoot);
  const cached = cachedExport(dir, modelDir);
  if (cached) return { dir, manifest: cached, exported: false };
  const manifest = await runExport(modelDir, dir, o);
  return { dir, manifest, exported: true };
}
