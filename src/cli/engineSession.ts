// The real session behind `oneshot eval` and `oneshot rank`: the engine started from the
// project's Python environment with the model loaded for inference only, and the math verifier.
import { EngineClient } from "../core/engine/client";
import { EngineError } from "../core/engine/errors";
import { choosePython, engineLaunch, missingPython } from "../core/engine/launch";
import { createVerifier } from "../core/verifier/index";
import { UserError } from "./command";
import type { EvalSession, OpenSession } from "./evalSession";
import { defaultVenvDir, engineDir, projectRoot } from "./paths";

export const openEngineSession: OpenSession = async (o) => {
  const root = projectRoot(o.ctx.installDir);
  const choice = choosePython(o.python, o.ctx.env, defaultVenvDir(root), o.ctx.cwd);
  const missing = missingPython(choice);
  if (missing) throw new UserError(missing);
  const stderr: string[] = [];
  const engine = EngineClient.start(engineLaunch(choice.python, engineDir(root), o.ctx.env), {
    onStderr: (line) => {
      if (o.ctx.env.ONESHOT_DEBUG) o.ctx.stderr.write(`[engine] ${line}\n`);
      stderr.push(line);
    },
  });
  let device: string;
  try {
    const hello = await engine.request("hello", {});
    const gpu = hello.cuda_available && o.device !== "cpu";
    const loaded = await engine.request("load", {
      model: o.model,
      dtype: o.dtype ?? (gpu ? "bfloat16" : "float32"),
      device: o.device,
      seed: o.seed,
      train: false,
      reference_model: false,
      gradient_checkpointing: false,
    });
    device = loaded.device;
  } catch (e) {
    await engine.stop();
    if (e instanceof EngineError) throw new UserError(`${e.message}${e.hint ? ` (${e.hint})` : ""}`);
    throw e;
  }
  const verifier = createVerifier({ kind: "math" }, { boxedOnly: o.boxedOnly });
  const session: EvalSession = {
    backend: {
      formatPrompt: (p) => engine.request("format_prompt", p),
      generate: (p) => engine.request("generate", p),
    },
    verifier,
    device,
    close: async () => {
      await verifier.dispose();
      await engine.stop();
    },
  };
  return session;
};
