// One call from a run's resolved settings to its plan, for the CLI and the editor alike: find the
// model's shape, choose the card, plan, and word a refusal. Nothing here starts Python.
import { totalmem } from "node:os";
import { chooseCard, type SmiGpu } from "./gpu";
import { findShape } from "./findModel";
import { estimatePromptTokens, planRun, type Plan, type PlanSettings } from "./plan";
import { refusal } from "./refusal";
import { planJson, planSummary, planText, type PlanJson } from "./render";
import { ShapeError } from "./shape";

export interface PlanRequest {
  settings: PlanSettings & { model: string; device: "auto" | "cpu" | "cuda"; system_prompt: string };
  /** The example's problem text (the prompt's length is estimated from it). */
  problem: string;
  /** --gpu-memory GB. */
  gpuMemoryGb?: number;
  env?: NodeJS.ProcessEnv;
  /** nvidia-smi's answer, for tests (else it is asked). */
  gpus?: SmiGpu[];
  /** Engine processes of the run (devices × machines); the plan is per process. */
  ranks?: number;
}

export type PlanOutcome =
  | { ok: true; plan: Plan; json: PlanJson; text: string; summary: string; refusal?: string }
  /** The plan could not be made (the model's config.json is not here): one sentence. */
  | { ok: false; error: string };

export function planForSettings(r: PlanRequest): PlanOutcome {
  const s = r.settings;
  let found;
  try {
    found = findShape(s.model, r.env ?? process.env);
  } catch (e) {
    if (e instanceof ShapeError) return { ok: false, error: e.message };
    throw e;
  }
  const card = chooseCard({ gpuMemoryGb: r.gpuMemoryGb, device: s.device, gpus: r.gpus, systemMemoryGb: totalmem() / 1024 ** 3 });
  const promptTokens = estimatePromptTokens(`${s.system_prompt}\n${r.problem}`, s.max_prompt_tokens);
  const plan = planRun({ settings: s, shape: found.shape, card, promptTokens, ranks: r.ranks });
  const why = refusal(plan, s.model);
  const labels = { model: s.model, source: found.source, refusal: why };
  return { ok: true, plan, json: planJson(plan, labels), text: planText(plan, labels), summary: planSummary(plan), refusal: why };
}

/** `--gpu-memory GB` → a number, or a sentence saying what is wrong with it. */
export function parseGpuMemory(raw: string): number | string {
  const v = Number(raw.trim().replace(/\s*gi?b$/i, ""));
  if (!Number.isFinite(v) || v <= 0 || raw.trim() === "") return `--gpu-memory must be a positive number of gigabytes (e.g. 24), not '${raw}'`;
  return v;
}
