// The small parts of `try` that need no model: streamed text deltas, sampling, and the sentences
// for folders that are not (finished) exports.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { TryError } from "../../../src/core/try/errors";
import { cachedExport, exportCacheDir } from "../../../src/core/try/exporter";
import { type ExportManifest, MANIFEST, checkMemory, readManifest } from "../../../src/core/try/manifest";
import { OnnxModel } from "../../../src/core/try/onnxModel";
import { argmax, sampleToken, seededRandom } from "../../../src/core/try/sampling";
import { TextStream } from "../../../src/core/try/textStream";

const work = mkdtempSync(path.join(tmpdir(), "try-pieces-"));

test("streamed deltas hold back a possible stop string and half characters, and add up to the answer", () => {
  const s = new TextStream(["</answer>"]);
  const shown: string[] = [];
  const steps = ["The answer", "The answer is 4 </ans", "The answer is 4 </answer>"];
  for (const text of steps.slice(0, 2)) shown.push(s.push(text));
  const final = steps[2]!;
  const cut = s.stopAt(final);
  assert.equal(cut, "The answer is 4 ".length);
  shown.push(s.finish(final.slice(0, cut)));
  assert.equal(shown.join(""), "The answer is 4 ");
  assert.ok(!shown.join("").includes("</"), "no part of the stop string was shown");
  const u = new TextStream([]);
  assert.equal(u.push("π is \ufffd"), "π is ");
  assert.equal(u.push("π is ≈ 3.14"), "≈ 3.14");
});

test("greedy takes the argmax; sampling is reproducible from its seed and respects top-p", () => {
  const logits = Float32Array.from([0.1, 3, 2.9, -1]);
  assert.equal(argmax(logits), 1);
  assert.equal(sampleToken(logits, 0, 1, seededRandom(1)), 1);
  const draw = (seed: number, topP: number) => {
    const random = seededRandom(seed);
    return Array.from({ length: 50 }, () => sampleToken(logits, 1, topP, random));
  };
  assert.deepEqual(draw(7, 1), draw(7, 1));
  assert.ok(new Set(draw(7, 1)).size > 2, "temperature 1 samples more than the two likeliest tokens");
  assert.deepEqual([...new Set(draw(3, 0.9))].sort(), [1, 2], "top-p 0.9 keeps the two likeliest tokens only");
});

test("folders that are not finished exports are refused with one sentence each", async () => {
  const empty = path.join(work, "empty");
  mkdirSync(empty);
  await assert.rejects(OnnxModel.load(empty), (e: Error) => e instanceof TryError && /is not a finished ONNX export \(it has no oneshot_export.json\)/.test(e.message));
  const noModel = path.join(work, "no-model");
  mkdirSync(noModel);
  const manifest = { format_version: 1, model_file: "onnx/model.onnx", source_weights: [] } as unknown as ExportManifest;
  writeFileSync(path.join(noModel, MANIFEST), JSON.stringify(manifest));
  assert.throws(() => readManifest(noModel), /lacks its model file onnx\/model.onnx/);
  mkdirSync(path.join(noModel, "onnx"));
  writeFileSync(path.join(noModel, "onnx", "model.onnx"), "x".repeat(1000));
  assert.throws(() => readManifest(noModel), /has no tokenizer.json/);
  writeFileSync(path.join(noModel, "tokenizer.json"), "{}");
  assert.throws(() => checkMemory(noModel, readManifest(noModel), 100), /needs about .* GiB of memory to run but only .* GiB is free/);
  checkMemory(noModel, readManifest(noModel), 2000);
  // The weights of a graph over 2 GiB are in model.onnx_data: they count too.
  writeFileSync(path.join(noModel, "onnx", "model.onnx_data"), "x".repeat(10_000));
  assert.throws(() => checkMemory(noModel, readManifest(noModel), 2000), /needs about/);
  writeFileSync(path.join(noModel, MANIFEST), "{");
  assert.throws(() => readManifest(noModel), /is not valid JSON/);
});

test("a cached export is used only while the checkpoint's weights are unchanged, and lives beside them", () => {
  const model = path.join(work, "ckpt");
  cpSync("examples/models/tiny-math", model, { recursive: true });
  const dir = exportCacheDir(model, undefined, path.join(work, "cache"));
  assert.equal(dir, path.join(model, "onnx-fp32"));
  assert.equal(exportCacheDir(model, "int8", "/c"), path.join(model, "onnx-int8"));
  assert.match(exportCacheDir("Qwen/Qwen2.5-Math-1.5B", undefined, "/c"), /^\/c\/Qwen__Qwen2\.5-Math-1\.5B\/onnx-fp32$/);
  mkdirSync(path.join(dir, "onnx"), { recursive: true });
  writeFileSync(path.join(dir, "onnx", "model.onnx"), "x");
  writeFileSync(path.join(dir, "tokenizer.json"), "{}");
  const weights = path.join(model, "model.safetensors");
  utimesSync(weights, new Date(1_700_000_000_000), new Date(1_700_000_000_000));
  const mtimeNs = (BigInt(1_700_000_000_000) * 1_000_000n).toString();
  const m = { format_version: 1, model_file: "onnx/model.onnx", source: model, source_weights: [{ name: "model.safetensors", size: 7440008, mtime_ns: mtimeNs }] };
  writeFileSync(path.join(dir, MANIFEST), JSON.stringify(m));
  assert.ok(cachedExport(dir, model), "current");
  utimesSync(weights, new Date(1_700_000_001_000), new Date(1_700_000_001_000));
  assert.equal(cachedExport(dir, model), undefined, "a re-saved checkpoint makes the export stale");
  rmSync(model, { recursive: true });
});
