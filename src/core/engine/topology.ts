// Where a run's engine runs: how many engine processes on this machine (`devices`, one per GPU, or
// CPU processes on gloo), on how many machines, and which machine this is. One process on one
// machine is the engine started directly; anything more is started by PyTorch's own launcher,
// torchrun (`python -m torch.distributed.run`), whose rank 0 speaks JSON-RPC to the controller.

/** The `devices` setting: every visible GPU, or a number of engine processes on this machine. */
export type DevicesSetting = "auto" | number;

export interface Nodes {
  nnodes: number;
  /** This machine's place, 0 … nnodes − 1; node-rank 0 runs the controller. */
  nodeRank: number;
  /** HOST:PORT of node-rank 0's rendezvous, reachable from every machine (needed when nnodes > 1). */
  rdzvEndpoint?: string;
}

export interface Topology extends Nodes {
  /** Engine processes on this machine. */
  devices: number;
  /** `device: cpu`: the processes must not see the GPUs (under torchrun a rank computes where CUDA is). */
  cpuOnly?: true;
}

export const ONE_MACHINE: Nodes = { nnodes: 1, nodeRank: 0 };

/** The GPUs this machine shows a run (plan/visibleGpus.ts counts them) and where the count came from. */
export interface GpuCount {
  count: number;
  source: string;
}

/** `--devices` as given: "auto" or a whole number ≥ 1; else the sentence that says what is wrong. */
export function parseDevices(raw: string): DevicesSetting | string {
  const v = raw.trim();
  if (v === "auto") return "auto";
  if (/^\d+$/.test(v) && Number(v) >= 1) return Number(v);
  return `--devices must be auto or a whole number of at least 1, not '${raw}'`;
}

const whole = (v: string | undefined, min: number) => (v !== undefined && /^\s*\d+\s*$/.test(v) && Number(v) >= min ? Number(v) : undefined);

/** `--nnodes` (default 1), or the sentence that says what is wrong with it. */
export function parseNnodes(raw: string | undefined): number | string {
  return raw === undefined ? 1 : (whole(raw, 1) ?? `--nnodes must be a whole number of at least 1, not '${raw}'`);
}

/** --nnodes, --node-rank and --rdzv-endpoint checked together; a sentence when they do not fit. */
export function parseNodes(raw: { nnodes?: string; nodeRank?: string; rdzvEndpoint?: string }): Nodes | string {
  const nnodes = parseNnodes(raw.nnodes);
  if (typeof nnodes === "string") return nnodes;
  const nodeRank = raw.nodeRank === undefined ? 0 : whole(raw.nodeRank, 0);
  if (nodeRank === undefined) return `--node-rank must be a whole number (0 for the machine that runs the controller), not '${raw.nodeRank}'`;
  if (nodeRank >= nnodes) {
    return nnodes === 1 ? `--node-rank ${nodeRank} needs --nnodes: one machine is node-rank 0` : `--node-rank ${nodeRank} is out of range: with --nnodes ${nnodes} it is 0 to ${nnodes - 1}`;
  }
  if (nnodes === 1) {
    if (raw.rdzvEndpoint !== undefined) return "--rdzv-endpoint is for several machines: give --nnodes (2 or more) with it";
    return ONE_MACHINE;
  }
  if (raw.rdzvEndpoint === undefined) return `--nnodes ${nnodes} needs --rdzv-endpoint HOST:PORT: an address of the node-rank 0 machine that every machine can reach, and a free port (e.g. 10.0.0.1:29500)`;
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(raw.rdzvEndpoint.trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return `--rdzv-endpoint must be HOST:PORT (e.g. 10.0.0.1:29500), not '${raw.rdzvEndpoint}'`;
  return { nnodes, nodeRank, rdzvEndpoint: raw.rdzvEndpoint.trim() };
}

/** The sentence that refuses LoRA on several engine processes (the engine's own at load, said before launch). */
export const LORA_ONE_PROCESS = "LoRA does not run under torchrun yet; use --devices 1";

/**
 * The engine processes of this machine for a run's `devices` and `device` settings. `auto` is
 * every visible GPU (1 without a GPU, or with `device: cpu`; 1 for a LoRA run, which refuses more);
 * a number on a machine without GPUs (or with `device: cpu`) is that many CPU processes on gloo;
 * more than the visible GPUs is refused.
 */
export function resolveTopology(devices: DevicesSetting, device: "auto" | "cpu" | "cuda", nodes: Nodes, gpus: GpuCount, lora: boolean): Topology | string {
  const onGpus = device !== "cpu" && gpus.count > 0;
  const cpu = device === "cpu" ? { cpuOnly: true as const } : {};
  if (lora) {
    // The engine's LoRA has no FSDP2 path yet (it refuses a LoRA load under torchrun): one process.
    if (devices === "auto" && nodes.nnodes === 1) return { ...nodes, devices: 1, ...cpu };
    if (devices !== 1 || nodes.nnodes > 1) return LORA_ONE_PROCESS;
  }
  if (devices === "auto") return { ...nodes, devices: onGpus ? gpus.count : 1, ...cpu };
  if (onGpus && devices > gpus.count) {
    return `devices ${devices} asks for more GPUs than this machine shows: ${gpus.count} (${gpus.source}); use ${gpus.count === 1 ? "1" : `at most ${gpus.count}`}, or auto`;
  }
  return { ...nodes, devices, ...cpu };
}

/**
 * The engine processes a plan is for: devices × machines, a number of devices taken as given (a
 * plan may be for another machine), `auto` as the GPUs counted here. `lora` has no default: a caller
 * that forgot it planned a LoRA run for every GPU, which `oneshot train` runs on one process.
 */
export function planRanks(devices: DevicesSetting, device: "auto" | "cpu" | "cuda", nnodes: number, gpus: GpuCount, lora: boolean): number {
  return (devices === "auto" ? (resolveTopology(devices, device, ONE_MACHINE, gpus, lora) as Topology).devices : devices) * nnodes;
}

/** devices × nnodes: the ranks of the run when every machine starts the same number of processes. */
export function expectedWorldSize(t: Topology): number {
  return t.devices * t.nnodes;
}

/** One process on one machine runs the engine directly, as before torchrun. */
export function needsTorchrun(t: Topology): boolean {
  return t.devices > 1 || t.nnodes > 1;
}

/** torchrun's arguments up to the module it runs (`-m oneshot_engine serve` follows). */
export function torchrunArgs(t: Topology): string[] {
  const where = t.nnodes > 1 ? ["--nnodes", String(t.nnodes), "--node-rank", String(t.nodeRank), "--rdzv-endpoint", t.rdzvEndpoint ?? ""] : ["--standalone"];
  return ["-m", "torch.distributed.run", "--nproc-per-node", String(t.devices), ...where];
}
