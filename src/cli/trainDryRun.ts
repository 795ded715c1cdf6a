// `oneshot train FILE --dry-run`: every check a new run gets before it starts, then what the run
// would train with — the settings that matter for time and memory and the training prompt as the
// model will see it — without writing a run directory or starting the engine.
import { existsSync } from "node:fs";
import * as path from "node:path";
import { cachedFile } from "../core/engine/hubCache";
import type { TrainConfig } from "../core/example/config";
import { loraSummary } from "../core/example/lora";
import { trainingMessages } from "../core/train/runEngine";
import { ModelTokenizer } from "../core/try/tokenizer";
import { TryError } from "../core/try/errors";
import type { CliContext } from "./command";
import { resolveNewRun, type MakeVerifier, type NewRunRequest } from "./trainPrepare";

export async function dryRun(r: NewRunRequest, ctx: CliContext, root: string, makeVerifier: MakeVerifier): Promise<number> {
  let machine: string[] = [];
  const config = await resolveNewRun(r, ctx, root, makeVerifier, undefined, undefined, (problems) => (machine = problems));
  const s = config.settings;
  const from = Object.entries(config.overrides).map(([k, src]) => `${k} (${src === "--set" ? "--set" : "the file"})`);
  const lines = [
    `Dry run of ${r.file}: the example and its settings check out${r.skipVerifierCheck ? "" : ", and the verifier gives the reference answer reward 1"}. Nothing was written; no engine started.`,
    `  preset      ${config.preset}${from.length ? `; from elsewhere: ${from.join(", ")}` : ""}`,
    `  model       ${s.model} (${s.dtype} on ${s.device}${s.devices === "auto" ? "" : `, ${s.devices} ${s.devices === 1 ? "process" : "processes"}`})`,
    `  steps       ${s.steps} × ${s.prompt_copies} prompt copies × ${s.rollouts} rollouts = ${s.prompt_copies * s.rollouts} rollouts per step, up to ${s.max_response_tokens} tokens each, temperature ${s.temperature}`,
    `  training    ${loraSummary(s)}`,
    `  optimizer   lr ${s.lr}${config.derived?.lr ? ` (${config.derived.lr})` : ""}, kl_coef ${s.kl_coef}, entropy_coef ${s.entropy_coef}`,
    `  evaluation  ${s.eval_every > 0 ? `${s.eval_benchmarks.join(", ")} every ${s.eval_every} steps` : "none (eval_every 0)"}`,
    "",
    ...promptLines(config, ctx.env),
    ...(machine.length ? ["", "On this machine the run would be refused before it starts:", ...machine.map((m) => `  ${m}`)] : []),
  ];
  ctx.stdout.write(lines.join("\n") + "\n");
  return 0;
}

/** The training prompt rendered here when the model's tokenizer files are on disk, else its messages. */
function promptLines(config: TrainConfig, env: NodeJS.ProcessEnv): string[] {
  const s = config.settings;
  const messages = trainingMessages(config);
  const dir = tokenizerDir(s.model, env);
  if (dir) {
    try {
      const tok = ModelTokenizer.load(dir);
      const text = tok.formatPrompt(messages, s.prompt_template ?? undefined);
      const how = s.prompt_template ? "prompt_template" : tok.chatTemplate ? "the model's chat template" : "plain text: the model has no chat template";
      return [`Training prompt (${tok.encode(text).length} tokens; ${how}):`, text];
    } catch (e) {
      if (!(e instanceof TryError)) throw e;
      return [`Training prompt: not rendered here (${e.message}); the engine renders these messages:`, ...messageLines(messages)];
    }
  }
  return [`Training prompt: ${s.model} is not on this machine, so the engine renders these messages with its chat template when it loads it:`, ...messageLines(messages)];
}

const messageLines = (messages: { role: string; content: string }[]) => messages.map((m) => `  ${m.role}: ${m.content}`);

/** A local model folder, or the cached snapshot of a hub id (its `main` revision first), that holds tokenizer files. */
function tokenizerDir(model: string, env: NodeJS.ProcessEnv): string | undefined {
  if (existsSync(model)) return existsSync(path.join(model, "tokenizer.json")) ? model : undefined;
  const file = cachedFile(model, "tokenizer.json", env);
  return file && path.dirname(file);
}
