import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { isRunDir } from "../../../src/core/run/layout";

test("isRunDir: a run's config.json, event log, status or lock make a run; a model folder's config.json does not", () => {
  const root = mkdtempSync(path.join(tmpdir(), "oneshot-layout-"));
  const dir = (name: string, files: Record<string, string>) => {
    const d = path.join(root, name);
    mkdirSync(d);
    for (const [f, text] of Object.entries(files)) writeFileSync(path.join(d, f), text);
    return d;
  };
  assert.equal(isRunDir(dir("prepared", { "config.json": JSON.stringify({ version: 1, example: {}, settings: {} }) })), true);
  assert.equal(isRunDir(dir("events", { "events.jsonl": "" })), true);
  assert.equal(isRunDir(dir("status", { status: "running\n" })), true);
  assert.equal(isRunDir(dir("lock", { lock: "1" })), true);
  assert.equal(isRunDir(dir("model", { "config.json": '{"model_type": "qwen2"}', "model.safetensors": "" })), false);
  assert.equal(isRunDir(dir("empty", {})), false);
  assert.equal(isRunDir(path.join(root, "missing")), false);
  assert.equal(isRunDir(path.join(root, "model", "model.safetensors")), false);
});
