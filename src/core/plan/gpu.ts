// The card a plan is for: its memory, and the two rates the step-time estimate needs. Memory comes
// from --gpu-memory, else from nvidia-smi; the rates from a small table of datasheet figures
// (memory bandwidth, dense bf16 tensor TFLOP/s with fp32 accumulation), since nothing cheap can
// measure them before a run.
import { execFileSync } from "node:child_process";

export interface GpuRates {
  /** Memory bandwidth, bytes/s (datasheet). */
  bandwidth: number;
  /** Dense bf16 matrix rate, FLOP/s (datasheet). */
  flops: number;
}

export interface Card {
  /** "NVIDIA H200", "a 24 GB card", "CPU". */
  name: string;
  /** Memory the plan may use, GiB (1024³ bytes, as nvidia-smi's MiB and PyTorch count). */
  memoryGb: number;
  kind: "gpu" | "cpu";
  rates: GpuRates;
  /** Whether the rates are a known card's (else an assumption, said in the plan). */
  knownRates: boolean;
  /** Where the memory figure came from. */
  memorySource: "--gpu-memory" | "nvidia-smi" | "system memory";
}

const TB = 1e12;
const TF = 1e12;

/** Datasheet figures, matched against nvidia-smi's name in order (the first pattern that matches wins). */
export const KNOWN_GPUS: readonly { pattern: RegExp; label: string; rates: GpuRates }[] = [
  { pattern: /H200/i, label: "H200", rates: { bandwidth: 4.8 * TB, flops: 989 * TF } },
  { pattern: /H100.*(PCIe)/i, label: "H100 PCIe", rates: { bandwidth: 2.0 * TB, flops: 756 * TF } },
  { pattern: /H100.*NVL/i, label: "H100 NVL", rates: { bandwidth: 3.9 * TB, flops: 835 * TF } },
  { pattern: /H100/i, label: "H100 SXM", rates: { bandwidth: 3.35 * TB, flops: 989 * TF } },
  { pattern: /A100.*80/i, label: "A100 80GB", rates: { bandwidth: 2.0 * TB, flops: 312 * TF } },
  { pattern: /A100/i, label: "A100 40GB", rates: { bandwidth: 1.555 * TB, flops: 312 * TF } },
  { pattern: /L40S/i, label: "L40S", rates: { bandwidth: 0.864 * TB, flops: 362 * TF } },
  { pattern: /A10\b|A10G/i, label: "A10", rates: { bandwidth: 0.6 * TB, flops: 125 * TF } },
  { pattern: /\bL4\b/i, label: "L4", rates: { bandwidth: 0.3 * TB, flops: 121 * TF } },
  { pattern: /4090/i, label: "RTX 4090", rates: { bandwidth: 1.008 * TB, flops: 165 * TF } },
  { pattern: /3090/i, label: "RTX 3090", rates: { bandwidth: 0.936 * TB, flops: 71 * TF } },
  { pattern: /A5000/i, label: "RTX A5000", rates: { bandwidth: 0.768 * TB, flops: 111 * TF } },
];

/** What an unknown GPU is assumed to do (about an RTX 3090/A5000: the low end of cards that train these models). */
export const UNKNOWN_GPU_RATES: GpuRates = { bandwidth: 0.8 * TB, flops: 100 * TF };
/** A CPU's assumed rates (a workstation's DRAM bandwidth and a few hundred GFLOP/s of fp32). */
export const CPU_RATES: GpuRates = { bandwidth: 0.05 * TB, flops: 0.5 * TF };

export function ratesFor(name: string): { rates: GpuRates; known: boolean } {
  const hit = KNOWN_GPUS.find((g) => g.pattern.test(name));
  return hit ? { rates: hit.rates, known: true } : { rates: UNKNOWN_GPU_RATES, known: false };
}

export interface SmiGpu {
  name: string;
  totalGb: number;
  freeGb: number;
}

/** nvidia-smi's `name, memory.total, memory.free` CSV lines (MiB, no units) → one entry per GPU. */
export function parseSmi(csv: string): SmiGpu[] {
  const out: SmiGpu[] = [];
  for (const line of csv.split(/\r?\n/)) {
    const parts = line.split(",").map((p) => p.trim());
    if (parts.length < 3) continue;
    const total = Number(parts[parts.length - 2]);
    const free = Number(parts[parts.length - 1]);
    if (!Number.isFinite(total) || !Number.isFinite(free) || total <= 0) continue;
    out.push({ name: parts.slice(0, -2).join(","), totalGb: total / 1024, freeGb: free / 1024 });
  }
  return out;
}

/** The GPUs nvidia-smi lists, or [] when it is missing or fails (then the plan is for the CPU). */
export function queryGpus(run: (cmd: string, args: string[]) => string = defaultRun): SmiGpu[] {
  try {
    return parseSmi(run("nvidia-smi", ["--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"]));
  } catch {
    return [];
  }
}

function defaultRun(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", timeout: 5000, stdio: ["ignore", "pipe", "ignore"] });
}

export interface CardChoice {
  /** --gpu-memory GB. */
  gpuMemoryGb?: number;
  /** The run's `device` setting: `cpu` plans for the CPU whatever is found. */
  device: "auto" | "cpu" | "cuda";
  /** nvidia-smi's answer (queryGpus), for tests. */
  gpus?: SmiGpu[];
  /** The machine's memory in GiB, for a CPU plan. */
  systemMemoryGb: number;
}

/**
 * The card to plan for: --gpu-memory wins (a card of that size, with the detected GPU's rates when
 * one is found); else the first GPU nvidia-smi lists, its free memory when another process holds
 * more than 1 GiB of it; else the CPU with the machine's memory.
 */
export function chooseCard(c: CardChoice): Card {
  const gpus = c.device === "cpu" ? [] : (c.gpus ?? queryGpus());
  const gpu = gpus[0];
  if (c.gpuMemoryGb !== undefined) {
    const { rates, known } = gpu ? ratesFor(gpu.name) : { rates: UNKNOWN_GPU_RATES, known: false };
    const name = gpu ? `${gpu.name} capped at ${fmtGb(c.gpuMemoryGb)}` : `${article(c.gpuMemoryGb)} ${fmtGb(c.gpuMemoryGb)} card`;
    return { name, memoryGb: c.gpuMemoryGb, kind: "gpu", rates, knownRates: known, memorySource: "--gpu-memory" };
  }
  if (gpu) {
    const { rates, known } = ratesFor(gpu.name);
    const memoryGb = gpu.totalGb - gpu.freeGb > 1 ? gpu.freeGb : gpu.totalGb;
    return { name: gpu.name, memoryGb, kind: "gpu", rates, knownRates: known, memorySource: "nvidia-smi" };
  }
  return { name: "CPU (no GPU found)", memoryGb: c.systemMemoryGb, kind: "cpu", rates: CPU_RATES, knownRates: false, memorySource: "system memory" };
}

/** "an 8 GB card", "an 80 GB card", "a 24 GB card": the article as the number is spoken. */
function article(gb: number): string {
  const spoken = fmtGb(gb);
  return /^8/.test(spoken) || /^1[18]\b/.test(spoken) ? "an" : "a";
}

export function fmtGb(gb: number): string {
  if (gb < 1) return `${gb.toFixed(2)} GB`;
  return `${gb >= 100 ? gb.toFixed(0) : gb.toFixed(1).replace(/\.0$/, "")} GB`;
}
