// The plan as JSON: what `oneshot plan --json` prints and a run keeps in config.json and run_started.
// Types only, with no imports, so the webview (which shows run_started) can name them without the
// planner's Node-side code.

/** The optimizer state a run trains with (`optimizer_state` once `auto` is resolved). */
export type OptimizerState = "fp32" | "compact";

/** What the plan chose for the `auto` settings and what the engine will do. */
export interface Resolved {
  optimizer_state: OptimizerState;
  rollout_wave_size: number;
  micro_batch_size: number;
  checkpoint_layers: number;
}

export interface PlanJson {
  version: 1;
  model: { name: string; source: string; params: number };
  /** A LoRA run's adapters (absent: full fine-tuning). */
  lora?: { rank: number; adapter_params: number };
  card: { name: string; memory_gb: number; memory_source: string; kind: "gpu" | "cpu"; known_rates: boolean };
  rollouts: number;
  prompt_tokens: number;
  max_response_tokens: number;
  resolved: Resolved;
  /** Each phase's parts and total, GB (GiB). */
  phases: Record<string, Record<string, number>>;
  slack_gb: number;
  peak_gb: number;
  peak_phase: string;
  fits: boolean;
  step_time_s: number;
  step_time: { rollout_s: number; training_s: number; optimizer_s: number };
  notes: string[];
  refusal: string | null;
  /** Engine processes the plan is for (absent: 1); phases and `rollouts` are then one process's. */
  ranks?: number;
}

export interface RunPlan extends PlanJson {
  /** --gpu-memory GB: the engine plans and is capped as if the GPU had this much (null: the whole card). */
  gpu_memory_gb: number | null;
}
