// The memory plan of an example as the editor shows it (the preset lens's tooltip, the check before
// Train starts): the file resolved as `oneshot train` resolves it (src/core/example/resolve.ts,
// with the same --preset/--set the editor passes), planned by the same core function.
import * as path from "node:path";
import * as vscode from "vscode";
import { planRanks } from "../core/engine/topology";
import { resolveConfig } from "../core/example";
import { usesLora } from "../core/example/lora";
import { AUTO_SHARE, planForSettings, queryGpus, type PlanOutcome, type SmiGpu } from "../core/plan";
import { visibleGpus } from "../core/plan/visibleGpus";
import { parsed } from "./exampleDocs";
import { runChoices } from "./runChoices";
import { settings } from "./settings";

type Planned = Extract<PlanOutcome, { ok: true }>;

// nvidia-smi once per session: the card does not change under a running editor.
let gpus: SmiGpu[] | undefined;
// The last plan per document version: lenses are asked for again on every change and scroll.
const cache = new Map<string, { stamp: string; out: Planned | undefined }>();

/**
 * The plan of a GPU run of `doc` on the GPU found or the `oneshot.gpuMemory` size, or undefined (a
 * file with errors, a CPU run, a model whose config.json is not here).
 */
export function planOfDocument(doc: vscode.TextDocument, extensionPath: string): Planned | undefined {
  const key = doc.uri.toString();
  // The editor's default preset and model settings change what the file trains with.
  const stamp = `${doc.version} ${settings().gpuMemory} ${JSON.stringify(runChoices(parsed(doc).example?.frontMatter ?? {}))}`;
  const hit = cache.get(key);
  if (hit?.stamp === stamp) return hit.out;
  const out = plan(doc, extensionPath);
  cache.set(key, { stamp, out });
  return out;
}

function plan(doc: vscode.TextDocument, extensionPath: string): Planned | undefined {
  const example = parsed(doc).example;
  if (!example) return undefined;
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath ?? path.dirname(doc.uri.fsPath);
  const { preset, sets } = runChoices(example.frontMatter);
  const resolved = resolveConfig({ example, runId: "plan", projectRoot: extensionPath, cwd: folder, preset, sets });
  const gpuMemoryGb = settings().gpuMemory;
  // As `oneshot train` decides: a CPU run is planned only for a given card size.
  if (!resolved.config || (resolved.config.settings.device === "cpu" && gpuMemoryGb === undefined)) return undefined;
  gpus ??= queryGpus();
  const s = resolved.config.settings;
  // As `oneshot train` plans it: one of `devices` processes (auto: every visible GPU; one for LoRA).
  const ranks = planRanks(s.devices, s.device, 1, visibleGpus(process.env, () => gpus?.length ?? 0), usesLora(s));
  const out = planForSettings({ settings: s, problem: resolved.config.example.problem, gpus, gpuMemoryGb, ranks });
  return out.ok && out.plan.input.card.kind === "gpu" ? out : undefined;
}

/** A plan whose peak is past the share of the card auto settings leave free: worth a warning. */
export const nearlyFull = (out: Planned) => out.plan.fits && out.plan.peak.bytes > AUTO_SHARE * out.plan.input.card.memoryGb * 1024 ** 3;
