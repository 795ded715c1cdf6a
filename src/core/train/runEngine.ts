// The engine of a training run: started with its stderr in RUN_DIR/engine.log and its log,
// progress and outputs (rows of a generate that finished early) notifications passed on, checked to speak this controller's protocol, and asked to
// format the run's prompt (which must fit max_prompt_tokens).
import { EngineClient, type EngineLaunch } from "../engine/client";
import { ENGINE_PROTOCOL_VERSION, type StreamedOutput } from "../engine/protocol";
import type { TrainConfig } from "../example/config";
import type { LogLevel } from "../run/events";
import { LogFile } from "../run/logFile";
import { chatMessages, type EngineRpc } from "./evaluate";
import type { ProgressSink } from "./progress";
import { RunFailure } from "./runFailure";

type Log = (level: LogLevel, message: string, source: "engine") => void;

export function startRunEngine(
  launch: EngineLaunch,
  runDir: string,
  engineLogFile: string,
  log: Log,
  progress?: ProgressSink,
  onProgress?: (phase: string, done: number, total: number) => void,
  onOutputs?: (rows: StreamedOutput[]) => void,
): { engine: EngineClient; engineLog: LogFile } {
  const engineLog = new LogFile(engineLogFile);
  const engine = EngineClient.start(
    { ...launch, cwd: launch.cwd ?? runDir },
    {
      logHint: `The engine's output is in ${engineLog.file}.`,
      onStderr: (line) => engineLog.append(line + "\n"),
      onNotification: (n) => {
        if (n.method === "log") log(n.params.level, n.params.message, "engine");
        else if (n.method === "progress") {
          progress?.phase(`${n.params.phase} ${n.params.done}/${n.params.total}`);
          onProgress?.(n.params.phase, n.params.done, n.params.total);
        } else if (n.method === "outputs" && Array.isArray(n.params?.outputs)) onOutputs?.(n.params.outputs);
      },
    },
  );
  return { engine, engineLog };
}

/** The engine's `hello`, refused when it speaks another protocol version. */
export async function checkProtocol(engine: EngineRpc) {
  const hello = await engine.request("hello", {});
  if (hello.protocol_version !== ENGINE_PROTOCOL_VERSION) {
    throw new RunFailure(`The engine speaks protocol ${hello.protocol_version}, this controller ${ENGINE_PROTOCOL_VERSION}`, "Update the engine environment with `oneshot setup`.");
  }
  return hello;
}

/**
 * The training prompt's messages: the problem with `prompt_suffix` after it in the user turn (the
 * paper's training data carries an instruction there that its evaluation prompt does not).
 */
export function trainingMessages(config: Pick<TrainConfig, "settings" | "example">) {
  const s = config.settings;
  return chatMessages(s.system_prompt, config.example.problem + (s.prompt_suffix ?? ""));
}

/** The run's prompt in the model's chat format. */
export async function formatRunPrompt(engine: EngineRpc, config: TrainConfig) {
  const s = config.settings;
  const prompt = await engine.request("format_prompt", { messages: trainingMessages(config), ...(s.prompt_template ? { prompt_template: s.prompt_template } : {}) });
  if (prompt.tokens > s.max_prompt_tokens) {
    throw new RunFailure(`The formatted prompt has ${prompt.tokens} tokens, more than max_prompt_tokens (${s.max_prompt_tokens})`, "Shorten the problem, prompt_suffix or system prompt, or raise max_prompt_tokens.");
  }
  return prompt;
}
