// What `oneshot export` and `oneshot try` share: the engine's Python for the export, the export
// cache's folder, and TryError shown as a one-sentence UserError.
import * as path from "node:path";
import { defaultCacheRoot } from "../core/bench/hub";
import { choosePython, missingPython } from "../core/engine/launch";
import { TryError } from "../core/try/errors";
import { type ExportOptions, QUANTIZE, type Quantize } from "../core/try/exporter";
import { type CliContext, UsageError, UserError } from "./command";
import { defaultVenvDir, engineDir, projectRoot } from "./paths";

export function parseQuantize(v: string | undefined): Quantize {
  if (v === undefined || v === "none") return undefined;
  const q = QUANTIZE.find((x) => x === v);
  if (q) return q;
  throw new UsageError(`--quantize must be int8, q4 or none, not '${v}'`);
}

export function exportOptions(ctx: CliContext, python: string | undefined, quantize: Quantize): ExportOptions {
  const root = projectRoot(ctx.installDir);
  const choice = choosePython(python, ctx.env, defaultVenvDir(root), ctx.cwd);
  const missing = missingPython(choice);
  if (missing) throw new UserError(missing);
  const tty = (ctx.stderr as NodeJS.WriteStream).isTTY === true;
  return {
    python: choice.python,
    engineDir: engineDir(root),
    env: ctx.env,
    quantize,
    onProgress: (m) => ctx.stderr.write(tty ? `\rexport: ${m}\x1b[K${m === "done" ? "\n" : ""}` : `export: ${m}\n`),
  };
}

/** Where exports of models whose folder cannot be written go. */
export const exportCacheRoot = (ctx: CliContext) => path.join(defaultCacheRoot(ctx.env), "onnx");

export async function userErrors<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof TryError) throw new UserError(e.message);
    throw e;
  }
}
