/// <reference lib="dom" />
// The "Try the Model" panel in a real browser, driven by a real TryPanelSession: a run's
// checkpoint and its base model (both the built-in tiny model here, exported once with the
// engine's Python) answer a synthetic problem side by side through onnxruntime-node; both columns
// stream, then show the rendered answer, the extracted answer and the verdict, under the strict CSP.
// Screenshot: test-artifacts/try-panel.png.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { venvPython } from "../../src/core/engine/pythonEnv";
import { ensureExport } from "../../src/core/try/exporter";
import { OnnxModel } from "../../src/core/try/onnxModel";
import { TryPanelSession } from "../../src/core/try/panelSession";
import { resolveTarget } from "../../src/core/try/target";
import { createVerifier } from "../../src/core/verifier/index";
import type { ExtensionToTryView, TryViewToExtension } from "../../src/protocol/tryMessages";
import { startHarness, type Harness } from "./harness";

const ROOT = path.resolve(import.meta.dirname, "../..");
const ARTIFACTS = path.join(ROOT, "test-artifacts");
let h: Harness;
let work: string;
let runDir: string;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  work = mkdtempSync(path.join(tmpdir(), "try-panel-"));
  // A run with one checkpoint (the built-in model's weights) whose base is the built-in model.
  runDir = path.join(work, "runs", "20260101-demo");
  cpSync(path.join(ROOT, "examples/models/tiny-math"), path.join(runDir, "checkpoints", "step-1"), { recursive: true });
  // The base model copied too: its export is cached beside it, which must not be in the checkout.
  const base = path.join(work, "base", "tiny-math");
  cpSync(path.join(ROOT, "examples/models/tiny-math"), base, { recursive: true });
  const config = {
    version: 1,
    run_id: "20260101-demo",
    created: "2026-01-01T00:00:00Z",
    example: { file: "x.rlvr.md", problem: "Solve for $x$: $2x + 30 = 44$.", answer: "7", verifier: { kind: "math" } },
    preset: "cpu-demo",
    settings: { model: base, stop: [], prompt_template: null },
    overrides: {},
  };
  writeFileSync(path.join(runDir, "config.json"), JSON.stringify(config));
  h = await startHarness();
});

after(async () => {
  await h?.close();
});

test("both answers stream side by side and end with the extracted answer and the verdict", async () => {
  const cacheRoot = path.join(work, "onnx-cache");
  const exportOptions = { python: venvPython(path.join(ROOT, ".venv")), engineDir: path.join(ROOT, "engine"), env: { ...process.env, OMP_NUM_THREADS: "1" } };
  const target = resolveTarget(runDir, work);
  const page = await h.browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(120_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const sent: ExtensionToTryView[] = [];
  let queue: Promise<unknown> = Promise.resolve();
  const session = new TryPanelSession({
    send: (m) => {
      sent.push(m);
      const json = JSON.stringify(m);
      queue = queue.then(() => page.evaluate((s) => window.postMessage(JSON.parse(s), "*"), json)).catch(() => undefined);
    },
    models: () => [{ choice: { id: target.model, label: target.label, description: "completed", hasBase: true }, target }],
    load: async (t, onStatus, signal) => {
      onStatus("exporting to ONNX (first use)…");
      const { dir } = await ensureExport(t.model, cacheRoot, { ...exportOptions, signal });
      return OnnxModel.load(dir, { threads: 1 });
    },
    verifier: createVerifier({ kind: "math" }, { boxedOnly: true }),
    syntheticFile: path.join(ROOT, "examples/bench/synthetic.jsonl"),
    cwd: work,
  });
  await page.exposeBinding("__toHost", (_src, m: TryViewToExtension) => session.handle(m));
  await page.goto(`${h.origin}/try?theme=dark`);
  // The run's example is offered first; picking it fills the problem and its answer.
  await page.waitForFunction(() => document.body.dataset.lastMessage === "problems");
  assert.equal(await page.locator('[data-testid="compare"]').getAttribute("disabled"), null, "a run has a base to compare with");
  const choice = page.locator('[data-testid="problem-choice"]');
  await choice.evaluate((e: HTMLElement & { value: string }) => {
    e.value = "example";
    e.dispatchEvent(new Event("change"));
  });
  assert.equal(await page.locator('[data-testid="answer"]').evaluate((e: HTMLElement & { value: string }) => e.value), "7");
  await page.locator('[data-testid="max-tokens"], vscode-textfield[aria-label="Max tokens"]').first().evaluate((e: HTMLElement & { value: string }) => {
    e.value = "96";
  });
  await page.locator('[data-testid="ask"]').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid^="verdict-"]').length === 2 && document.body.dataset.busy === "false");
  await queue;
  const types = sent.map((m) => m.type);
  for (const side of ["model", "base"] as const) {
    const deltas = sent.filter((m) => m.type === "delta" && m.side === side).length;
    assert.ok(deltas > 3, `the ${side} answer streamed (${deltas} deltas)`);
    const done = sent.find((m): m is Extract<ExtensionToTryView, { type: "done" }> => m.type === "done" && m.side === side)!;
    assert.ok(done.answer.verdict, `${side}: a verdict`);
    const shown = await page.locator(`[data-testid="verdict-${side}"]`).textContent();
    assert.equal(shown, done.answer.verdict.correct ? "correct" : "incorrect");
  }
  assert.ok(types.indexOf("start") < types.indexOf("delta") && types.at(-1) === "idle");
  // Same weights on both sides, greedy: the same text.
  const texts = await page.locator(".try-text").allTextContents();
  assert.equal(texts.length, 2);
  assert.equal(texts[0], texts[1]);
  assert.ok(texts[0]!.length > 10);
  const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
  assert.deepEqual(violations, [], "no CSP violations");
  assert.deepEqual(errors, []);
  assert.deepEqual(sent.filter((m) => m.type === "failed"), []);
  await page.screenshot({ path: path.join(ARTIFACTS, "try-panel.png"), fullPage: true });
  session.dispose();
  await page.close();
});
