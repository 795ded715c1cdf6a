import { parseArgs } from "node:util";
import { ensurePythonEnv, PythonEnvError } from "../../core/engine/pythonEnv";
import type { Command } from "../command";
import { UserError } from "../command";
import { defaultVenvDir, engineDir, projectRoot } from "../paths";

export const setupCommand: Command = {
  name: "setup",
  summary: "Create or update the engine's Python environment",
  usage: `Usage: oneshot setup [--venv DIR] [--python PATH] [--dev]

Creates a virtual environment for the training engine and installs its packages
(torch, safetensors, tokenizers, …). Running it again when nothing changed takes
under a second. Works offline against a local package mirror that pip is
configured with.

  --venv DIR      where to create the environment (default: .venv beside the engine)
  --python PATH   the Python used to create it (default: $ONESHOT_PYTHON, python3, python)
  --dev           also install the test tools (pytest, ruff, transformers)
  --quiet         print only the result line`,
  async run(args, ctx) {
    const { values } = parseArgs({
      args,
      options: {
        venv: { type: "string" },
        python: { type: "string" },
        dev: { type: "boolean", default: false },
        quiet: { type: "boolean", default: false },
      },
    });
    const root = projectRoot(ctx.installDir);
    const venvDir = values.venv ?? defaultVenvDir(root);
    try {
      const res = await ensurePythonEnv({
        engineDir: engineDir(root),
        venvDir,
        basePython: values.python,
        dev: values.dev,
        onOutput: values.quiet ? undefined : (line) => ctx.stderr.write(line + "\n"),
      });
      ctx.stdout.write(
        `${res.changed ? "Engine environment ready" : "Engine environment up to date"}: ${res.python} (Python ${res.pythonVersion})\n`,
      );
      return 0;
    } catch (e) {
      if (e instanceof PythonEnvError) throw new UserError(e.message);
      throw e;
    }
  },
};
