import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { COMMANDS } from "../../../src/vscode/commands";

interface SetupResult {
  python: string;
  changed: boolean;
  pythonVersion: string;
}

// "Set Up Engine Environment" run for real: it creates a fresh venv in a temporary folder (via the
// oneshot.engine.venvPath setting) and runs pip on the engine's requirements. To finish in seconds
// offline, PYTHONPATH lends it the packages of the checkout's .venv, so pip finds every requirement
// already satisfied; the checkout's own .venv and its stamp are left untouched.
describe("Set Up Engine Environment command", function () {
  this.timeout(180_000);
  const config = () => vscode.workspace.getConfiguration("oneshot");
  let tmp: string | undefined;
  let saved: { pythonPath: string | undefined } | undefined;

  before(function () {
    // In an untrusted workspace the command asks the user to manage trust instead (a later suite).
    if (!vscode.workspace.isTrusted) this.skip();
    const ext = vscode.extensions.getExtension("oneshot-rlvr.oneshot-rlvr")!;
    const repoPython = path.join(ext.extensionPath, ".venv", "bin", "python");
    if (!fs.existsSync(repoPython)) {
      throw new Error(`The checkout has no engine environment at ${repoPython}; run "node dist/cli.js setup --dev" first.`);
    }
    const sitePackages = execFileSync(repoPython, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], {
      encoding: "utf8",
    }).trim();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "oneshot-setup-test-"));
    saved = { pythonPath: process.env.PYTHONPATH };
    process.env.PYTHONPATH = sitePackages;
    return Promise.all([
      config().update("engine.venvPath", path.join(tmp, "venv"), vscode.ConfigurationTarget.Global),
      config().update("engine.pythonPath", repoPython, vscode.ConfigurationTarget.Global),
    ]);
  });

  after(async () => {
    if (!saved) return;
    if (saved.pythonPath === undefined) delete process.env.PYTHONPATH;
    else process.env.PYTHONPATH = saved.pythonPath;
    await config().update("engine.venvPath", undefined, vscode.ConfigurationTarget.Global);
    await config().update("engine.pythonPath", undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(tmp!, { recursive: true, force: true });
  });

  it("creates the engine environment where the setting points", async () => {
    const venv = path.join(tmp!, "venv");
    const result = await vscode.commands.executeCommand<SetupResult | undefined>(COMMANDS.setupEngine);
    assert.ok(result, 'the command reported an error (see the "One-Shot RLVR" output channel)');
    assert.equal(result.changed, true);
    assert.equal(result.python, path.join(venv, "bin", "python"));
    assert.match(result.pythonVersion, /^3\.\d+\.\d+$/);
    assert.ok(fs.existsSync(path.join(venv, "pyvenv.cfg")), "no venv was created");
    // The stamp records what pip installed: the runtime requirements, not the test tools.
    const stamp = JSON.parse(fs.readFileSync(path.join(venv, ".oneshot-stamp"), "utf8"));
    assert.deepEqual(Object.keys(stamp), ["requirements.txt"]);
    assert.match(stamp["requirements.txt"], /^[0-9a-f]{64}$/);
  });

  it("returns at once when nothing changed", async () => {
    const started = Date.now();
    const result = await vscode.commands.executeCommand<SetupResult | undefined>(COMMANDS.setupEngine);
    assert.ok(result);
    assert.equal(result.changed, false);
    assert.ok(Date.now() - started < 5_000, `the second run took ${Date.now() - started} ms`);
  });
});
