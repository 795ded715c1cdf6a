import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ENGINE_MODEL_TYPES, noGpuReason } from "../../../src/core/train/preflight";

test("the model types the pre-check accepts are the engine's", () => {
  const py = /SUPPORTED_MODEL_TYPES = \(([^)]*)\)/.exec(readFileSync("engine/oneshot_engine/config.py", "utf8"));
  assert.ok(py, "SUPPORTED_MODEL_TYPES not found in engine/oneshot_engine/config.py");
  assert.deepEqual([...py[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]), [...ENGINE_MODEL_TYPES]);
});

test("no GPU is concluded only where the device files can tell", () => {
  const none = () => false;
  assert.equal(noGpuReason("linux", none), "this machine shows no GPU (no /dev/nvidia* device)");
  assert.equal(noGpuReason("linux", (f) => f === "/dev/nvidiactl"), undefined);
  assert.equal(noGpuReason("linux", (f) => f === "/dev/dxg"), undefined, "WSL2");
  assert.equal(noGpuReason("darwin", none), "macOS has no CUDA");
  assert.equal(noGpuReason("win32", none), undefined);
});
