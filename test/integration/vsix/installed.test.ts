// Runs against the One-Shot RLVR installed from the packaged .vsix (scripts/test-integration.mjs
// installs it into a fresh extensions folder, named by ONESHOT_TEST_EXTENSIONS_DIR).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { COMMANDS, FOCUS_RUNS_VIEW } from "../../../src/vscode/commands";

const EXTENSION_ID = "oneshot-rlvr.oneshot-rlvr";

describe("installed .vsix", () => {
  it("is installed in the profile's extensions folder and activates", async () => {
    const ext = vscode.extensions.getExtension<{ extensionPath: string }>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    const extensionsDir = process.env.ONESHOT_TEST_EXTENSIONS_DIR;
    assert.ok(extensionsDir, "ONESHOT_TEST_EXTENSIONS_DIR is not set");
    assert.equal(path.dirname(ext.extensionPath), fs.realpathSync(extensionsDir));
    const api = await ext.activate();
    assert.equal(ext.isActive, true);
    assert.equal(api.extensionPath, ext.extensionPath);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.ok(registered.has(COMMANDS.setupEngine), "the Set Up Engine Environment command is not registered");
    assert.ok(registered.has(FOCUS_RUNS_VIEW), "the Runs view is not contributed");
  });

  it("ships the bundles and the engine's Python sources, not the development files", () => {
    const dir = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    for (const f of ["dist/extension.cjs", "dist/cli.js", "engine/requirements.txt", "engine/pyproject.toml", "engine/oneshot_engine/__init__.py", "LICENSE.txt"]) {
      assert.ok(fs.existsSync(path.join(dir, f)), `${f} is missing from the installed extension`);
    }
    for (const f of ["src", "test", "node_modules", ".venv", "tsconfig.json", "esbuild.mjs", "scripts", "engine/tests"]) {
      assert.ok(!fs.existsSync(path.join(dir, f)), `${f} should not be in the installed extension`);
    }
  });

  it("ships every file the manifest contributes (snippets, grammars, walkthrough media)", () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const c = ext.packageJSON.contributes;
    const files: string[] = [
      ...(c.snippets ?? []).map((s: { path: string }) => s.path),
      ...(c.grammars ?? []).map((g: { path: string }) => g.path),
      ...(c.walkthroughs ?? []).flatMap((w: { steps: { media: Record<string, string> }[] }) =>
        w.steps.flatMap((s) => Object.values(s.media).filter((m) => typeof m === "string" && /\.(md|svg|png)$/.test(m))),
      ),
    ];
    assert.ok(files.length >= 3, `only ${files.length} contributed files found`);
    const missing = files.filter((f) => !fs.existsSync(path.join(ext.extensionPath, f)));
    assert.deepEqual(missing, [], "contributed files missing from the .vsix (.vscodeignore needs a pattern)");
  });

  it("ships every file of the engine package (else .vscodeignore needs a new pattern)", function () {
    const checkout = process.env.ONESHOT_TEST_CHECKOUT;
    if (!checkout) this.skip();
    const dir = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    const pkg = path.join("engine", "oneshot_engine");
    const sources = fs
      .readdirSync(path.join(checkout, pkg), { recursive: true, encoding: "utf8" })
      .filter((f) => {
        const parts = f.split(path.sep);
        // synthetic/ holds the dev-time scripts that built the shipped tiny model; it is not shipped.
        if (parts.includes("__pycache__") || parts[0] === "synthetic") return false;
        return fs.statSync(path.join(checkout, pkg, f)).isFile();
      })
    assert.ok(sources.length > 0);
    const missing = sources.filter((f) => !fs.existsSync(path.join(dir, pkg, f)));
    assert.deepEqual(missing, [], "engine files missing from the .vsix");
  });
});
