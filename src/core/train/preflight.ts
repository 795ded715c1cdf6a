// Checks a new run's settings against this machine before a run directory exists, so that a
// mistake caught here (a model folder that is not there, a benchmark file that is missing,
// `device: cuda` on a machine without a GPU) leaves nothing behind. Each is cheap: file system
// look-ups only, no Python. The engine still checks everything again when it loads.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import type { TrainConfig } from "../example/config";
import { BenchmarkError, classify } from "../bench/load";

/** Model types the engine implements (engine/oneshot_engine/config.py, SUPPORTED_MODEL_TYPES). */
export const ENGINE_MODEL_TYPES: readonly string[] = ["qwen2", "llama", "qwen3"];

/** Device files through which a GPU PyTorch can use shows up (NVIDIA, WSL2's GPU, AMD ROCm). */
const GPU_DEVICE_FILES = ["/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg", "/dev/kfd"];

export interface PreflightOptions {
  projectRoot: string;
  platform?: NodeJS.Platform;
  /** For tests: whether a device file exists. */
  deviceExists?: (file: string) => boolean;
}

/** One sentence per problem found; empty when the run can start. */
export function preflightProblems(config: TrainConfig, o: PreflightOptions): string[] {
  const s = config.settings;
  const out: string[] = [];
  const model = modelProblem(s.model);
  if (model) out.push(model);
  if (s.eval_every > 0) {
    const exampleDir = path.dirname(config.example.file);
    for (const ref of s.eval_benchmarks) {
      const missing = missingBenchmarkFile(ref, exampleDir, o.projectRoot);
      if (missing) out.push(`eval_benchmarks: the benchmark file ${missing} does not exist`);
    }
  }
  if (s.device === "cuda") {
    const gpu = noGpuReason(o.platform ?? process.platform, o.deviceExists ?? existsSync);
    if (gpu) out.push(`device is cuda, but ${gpu}: use device auto or cpu, or run on a machine with a GPU`);
  }
  return out;
}

/** Relative benchmark paths are looked up next to the example, then in the project. */
export function benchmarkCwd(ref: string, exampleDir: string, projectRoot: string): string {
  return existsSync(path.resolve(exampleDir, ref)) || !existsSync(path.resolve(projectRoot, ref)) ? exampleDir : projectRoot;
}

function missingBenchmarkFile(ref: string, exampleDir: string, root: string): string | undefined {
  try {
    const { source } = classify(ref, { root, cwd: benchmarkCwd(ref, exampleDir, root) });
    if (source.kind !== "file") return undefined;
    // As the loader reads it: a preset's file is relative to the project.
    const file = path.isAbsolute(source.path) ? source.path : path.join(root, source.path);
    return existsSync(file) ? undefined : file;
  } catch (e) {
    // Not a file, a preset or a hub id: the controller trains without it and says so.
    if (e instanceof BenchmarkError) return undefined;
    throw e;
  }
}

/**
 * A model that names a folder (an absolute or ./-relative path, or an existing folder) must hold
 * a config.json of a model type the engine runs and safetensors weights. Anything else is taken
 * for a hub id, which only the engine can check.
 */
export function modelProblem(model: string): string | undefined {
  const isPath = path.isAbsolute(model) || /^\.{1,2}[\\/]/.test(model);
  if (!existsSync(model)) return isPath ? `model: the folder ${model} does not exist` : undefined;
  if (!statSync(model).isDirectory()) return `model: ${model} is a file; give the model's folder (config.json and *.safetensors)`;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path.join(model, "config.json"), "utf8"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "has no config.json" : `has a config.json that is not valid JSON (${(e as Error).message})`;
    return `model: the folder ${model} ${why}`;
  }
  const type = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>).model_type : undefined;
  if (typeof type !== "string" || !ENGINE_MODEL_TYPES.includes(type)) {
    return `model: ${model}/config.json has model_type ${JSON.stringify(type) ?? "(none)"}; the engine runs ${ENGINE_MODEL_TYPES.join(", ")}`;
  }
  if (!readdirSync(model).some((f) => f.endsWith(".safetensors"))) return `model: the folder ${model} has no *.safetensors weights`;
  return undefined;
}

/** Why PyTorch cannot see a CUDA GPU here, when a look at the device files can tell. */
export function noGpuReason(platform: NodeJS.Platform, exists: (file: string) => boolean): string | undefined {
  if (platform === "darwin") return "macOS has no CUDA";
  if (platform !== "linux") return undefined;
  return GPU_DEVICE_FILES.some(exists) ? undefined : "this machine shows no GPU (no /dev/nvidia* device)";
}
