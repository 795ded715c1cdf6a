// Checks a new run's settings against this machine before a run directory exists, so that a
// mistake caught here (a model folder that is not there, a hub model neither cached nor
// downloadable, a benchmark file that is missing, a GPU preset on a machine without a GPU) leaves
// nothing behind. Each is cheap: file system look-ups and at most one short request to the hub, no
// Python. The engine still checks everything again when it loads. (Whether the engine's Python
// exists is checked before this, for every kind of start: missingPython in ../engine/launch.ts.)
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import type { TrainConfig, TrainSettings } from "../example/config";
import { BenchmarkError, classify } from "../bench/load";
import { MODEL_HUB_ID } from "../engine/hubCache";
import { hubModelProblem, realHubLookups, type HubLookups } from "./hubModel";

/** Model types the engine implements (engine/oneshot_engine/config.py, SUPPORTED_MODEL_TYPES). */
export const ENGINE_MODEL_TYPES: readonly string[] = ["qwen2", "llama", "qwen3"];

/** Device files through which a GPU PyTorch can use shows up (NVIDIA, WSL2's GPU, AMD ROCm). */
const GPU_DEVICE_FILES = ["/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg", "/dev/kfd"];

export interface PreflightOptions {
  projectRoot: string;
  platform?: NodeJS.Platform;
  /** For tests: whether a device file exists. */
  deviceExists?: (file: string) => boolean;
  /** The environment whose Hugging Face variables (HF_HUB_OFFLINE, HF_HUB_CACHE, HF_ENDPOINT …) the engine will see. */
  env?: NodeJS.ProcessEnv;
  /** For tests: the cache and hub look-ups. */
  hub?: HubLookups;
}

/** One sentence per problem found; empty when the run can start. */
export async function preflightProblems(config: TrainConfig, o: PreflightOptions): Promise<string[]> {
  const s = config.settings;
  const out: string[] = [];
  const model = modelProblem(s.model) ?? contextProblem(s.model, s.max_response_tokens);
  if (model) out.push(model);
  else if (!existsSync(s.model) && MODEL_HUB_ID.test(s.model)) {
    const hub = await hubModelProblem(s.model, o.env ?? process.env, o.hub ?? realHubLookups);
    if (hub) out.push(hub);
  }
  if (s.eval_every > 0) {
    const exampleDir = path.dirname(config.example.file);
    for (const ref of s.eval_benchmarks) {
      const missing = missingBenchmarkFile(ref, exampleDir, o.projectRoot);
      if (missing) out.push(`eval_benchmarks: the benchmark file ${missing} does not exist`);
    }
  }
  const need = gpuNeed(s);
  const gpu = need && noGpuReason(o.platform ?? process.platform, o.deviceExists ?? existsSync);
  if (gpu && s.device === "cuda") out.push(`device is cuda, but ${gpu}: use device auto or cpu, or run on a machine with a GPU`);
  else if (gpu) out.push(`${need}, but ${gpu}: train with preset cpu-demo, or set device: cpu and dtype: float32 to train this model on the CPU`);
  return out;
}

/**
 * Why these settings need a GPU, or undefined when the CPU will do: device cuda, or device auto
 * with 16-bit weights (the paper and local presets), which no CPU trains at a usable speed.
 */
export function gpuNeed(s: Pick<TrainSettings, "device" | "dtype">): string | undefined {
  if (s.device === "cuda") return "device is cuda";
  if (s.device === "auto" && s.dtype !== "float32") return `dtype ${s.dtype} with device auto needs a GPU`;
  return undefined;
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

/**
 * A response as long as the model's whole context can never be generated: said here in settings
 * words rather than as the engine's parameter error after the run has started. (Prompt plus
 * response against the context is the engine's check, once the prompt's tokens are known.)
 */
function contextProblem(model: string, maxResponse: number): string | undefined {
  if (!existsSync(path.join(model, "config.json"))) return undefined;
  const raw = JSON.parse(readFileSync(path.join(model, "config.json"), "utf8")) as Record<string, unknown>;
  const context = raw.max_position_embeddings;
  if (typeof context !== "number" || maxResponse < context) return undefined;
  const n = (v: number) => v.toLocaleString("en-US");
  return `max_response_tokens is ${n(maxResponse)}, but the model's context is ${n(context)} tokens (max_position_embeddings in ${path.join(model, "config.json")}): lower max_response_tokens below ${n(context)}`;
}

/** Why PyTorch cannot see a CUDA GPU here, when a look at the device files can tell. */
export function noGpuReason(platform: NodeJS.Platform, exists: (file: string) => boolean): string | undefined {
  if (platform === "darwin") return "macOS has no CUDA";
  if (platform !== "linux") return undefined;
  return GPU_DEVICE_FILES.some(exists) ? undefined : "this machine shows no GPU (no /dev/nvidia* device)";
}
