import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { ensurePythonEnv, PythonEnvError } from "../../../src/core/engine/pythonEnv";

function engineFixture(): { engineDir: string; venvDir: string } {
  const root = mkdtempSync(path.join(tmpdir(), "pyenv-"));
  const engineDir = path.join(root, "engine");
  return { engineDir, venvDir: path.join(root, ".venv") };
}

test("creates the venv once; a second call with nothing changed is a no-op; an edit reinstalls", async () => {
  const { engineDir, venvDir } = engineFixture();
  mkdirSync(engineDir, { recursive: true });
  // Requirements holding only comments keep the test offline and fast while pip still runs.
  writeFileSync(path.join(engineDir, "requirements.txt"), "# none\n");
  writeFileSync(path.join(engineDir, "requirements-dev.txt"), "# none\n");

  const first = await ensurePythonEnv({ engineDir, venvDir, dev: true });
  assert.equal(first.changed, true);
  assert.match(first.pythonVersion, /^3\.\d+\.\d+$/);

  const t0 = Date.now();
  const again = await ensurePythonEnv({ engineDir, venvDir });
  assert.equal(again.changed, false, "a plain set-up after a --dev one needs nothing");
  assert.ok(Date.now() - t0 < 2000);

  appendFileSync(path.join(engineDir, "requirements.txt"), "# edited\n");
  assert.equal((await ensurePythonEnv({ engineDir, venvDir })).changed, true);
});

test("no usable Python is one sentence naming what was tried and the setting to use", async () => {
  const { engineDir, venvDir } = engineFixture();
  mkdirSync(engineDir, { recursive: true });
  writeFileSync(path.join(engineDir, "requirements.txt"), "");
  const saved = process.env.PATH;
  process.env.PATH = "/nonexistent";
  try {
    await assert.rejects(
      ensurePythonEnv({ engineDir, venvDir, basePython: "/no/such/python" }),
      (e: unknown) =>
        e instanceof PythonEnvError &&
        /No Python 3\.10 or newer .*tried: \/no\/such\/python, .*python3, python.*oneshot\.engine\.pythonPath/.test(e.message),
    );
  } finally {
    process.env.PATH = saved;
  }
});

test("a missing requirement file is reported before anything is created", async () => {
  const { engineDir, venvDir } = engineFixture();
  await assert.rejects(ensurePythonEnv({ engineDir, venvDir }), /requirement file is missing/);
});
