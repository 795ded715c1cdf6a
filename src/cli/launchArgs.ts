// `oneshot train`'s options for where the engine runs: --devices (this machine's engine
// processes, overriding the `devices` setting) and --nnodes/--node-rank/--rdzv-endpoint for several
// machines. Checked as they are read, before any run directory exists; the GPUs are counted then too.
import { ONE_MACHINE, parseDevices, parseNnodes, parseNodes, planRanks, resolveTopology, type DevicesSetting, type Nodes, type Topology } from "../core/engine/topology";
import { visibleGpus } from "../core/plan/visibleGpus";
import type { TrainSettings } from "../core/example/config";
import { UsageError, UserError } from "./command";

/** The settings that place a run's engine processes (a LoRA run: one process). */
type RunPlace = Pick<TrainSettings, "devices" | "device"> & Partial<Pick<TrainSettings, "lora_rank">>;

export interface LaunchFlags {
  /** --devices; undefined: the run's `devices` setting decides. */
  devices?: DevicesSetting;
  nodes: Nodes;
}

/** The parseArgs options these flags add. */
export const LAUNCH_OPTIONS = {
  devices: { type: "string" },
  nnodes: { type: "string" },
  "node-rank": { type: "string" },
  "rdzv-endpoint": { type: "string" },
} as const;

export function launchFlags(values: { devices?: string; nnodes?: string; "node-rank"?: string; "rdzv-endpoint"?: string }): LaunchFlags {
  const devices = devicesFlag(values.devices);
  const nodes = parseNodes({ nnodes: values.nnodes, nodeRank: values["node-rank"], rdzvEndpoint: values["rdzv-endpoint"] });
  if (typeof nodes === "string") throw new UsageError(nodes);
  return { ...(devices !== undefined ? { devices } : {}), nodes };
}

function devicesFlag(raw: string | undefined): DevicesSetting | undefined {
  const devices = raw === undefined ? undefined : parseDevices(raw);
  if (typeof devices === "string" && devices !== "auto") throw new UsageError(devices);
  return devices;
}

/** The flags again, for the background child of --detach. */
export function launchArgv(f: LaunchFlags): string[] {
  const n = f.nodes;
  return [
    ...(f.devices !== undefined ? ["--devices", String(f.devices)] : []),
    ...(n.nnodes > 1 ? ["--nnodes", String(n.nnodes), "--node-rank", String(n.nodeRank), "--rdzv-endpoint", n.rdzvEndpoint ?? ""] : []),
  ];
}

/** The sentence that refuses the run's devices on this machine (more than its visible GPUs), or undefined. */
export function topologyProblem(settings: RunPlace, f: LaunchFlags, env: NodeJS.ProcessEnv): string | undefined {
  const t = resolve(settings, f, env);
  return typeof t === "string" ? t : undefined;
}

/** This machine's engine processes for the run, refused in one sentence (a UserError). */
export function topologyFor(settings: RunPlace, f: LaunchFlags, env: NodeJS.ProcessEnv): Topology {
  const t = resolve(settings, f, env);
  if (typeof t === "string") throw new UserError(t);
  return t;
}

/** The engine processes a plan is for (planRanks), with this machine's GPUs counted for `auto`. */
export function runPlanRanks(settings: RunPlace, f: Pick<LaunchFlags, "devices"> & { nnodes: number }, env: NodeJS.ProcessEnv): number {
  return planRanks(f.devices ?? settings.devices, settings.device, f.nnodes, visibleGpus(env), (settings.lora_rank ?? 0) > 0);
}

/** `oneshot plan`'s --devices and --nnodes (a plan counts machines; it needs no rendezvous). */
export function planFlags(values: { devices?: string; nnodes?: string }): Pick<LaunchFlags, "devices"> & { nnodes: number } {
  const devices = devicesFlag(values.devices);
  const nnodes = parseNnodes(values.nnodes);
  if (typeof nnodes === "string") throw new UsageError(nnodes);
  return { ...(devices !== undefined ? { devices } : {}), nnodes };
}

function resolve(settings: RunPlace, f: LaunchFlags, env: NodeJS.ProcessEnv): Topology | string {
  return resolveTopology(f.devices ?? settings.devices, settings.device, f.nodes, visibleGpus(env), (settings.lora_rank ?? 0) > 0);
}

export const SINGLE: LaunchFlags = { nodes: ONE_MACHINE };
