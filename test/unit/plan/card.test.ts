// Which card a plan is for, and where a model's shape is read from.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { chooseCard, parseSmi, queryGpus, ratesFor, UNKNOWN_GPU_RATES } from "../../../src/core/plan/gpu";
import { findShape } from "../../../src/core/plan/findModel";
import { ShapeError } from "../../../src/core/plan/shape";

test("nvidia-smi's CSV: name, total and free MiB per GPU (GiB out), names with commas kept", () => {
  assert.deepEqual(parseSmi("NVIDIA H200, 143771, 143000\nNVIDIA GeForce RTX 4090, 24564, 20000\n\n"), [
    { name: "NVIDIA H200", totalGb: 143771 / 1024, freeGb: 143000 / 1024 },
    { name: "NVIDIA GeForce RTX 4090", totalGb: 24564 / 1024, freeGb: 20000 / 1024 },
  ]);
  assert.deepEqual(parseSmi("No devices were found"), []);
  assert.deepEqual(queryGpus(() => { throw new Error("ENOENT"); }), []);
});

test("the card: --gpu-memory wins; else nvidia-smi's first GPU (its free memory when another process holds some); else the CPU", () => {
  const gpus = [{ name: "NVIDIA A100-SXM4-80GB", totalGb: 80, freeGb: 79.5 }];
  const given = chooseCard({ gpuMemoryGb: 24, device: "auto", gpus, systemMemoryGb: 64 });
  assert.equal(given.memoryGb, 24);
  assert.equal(given.memorySource, "--gpu-memory");
  assert.equal(given.rates.bandwidth, 2.0e12, "the detected card's rates");
  const found = chooseCard({ device: "auto", gpus, systemMemoryGb: 64 });
  assert.equal(found.memoryGb, 80);
  assert.equal(chooseCard({ device: "auto", gpus: [{ name: "NVIDIA L4", totalGb: 22.5, freeGb: 10 }], systemMemoryGb: 64 }).memoryGb, 10);
  const cpu = chooseCard({ device: "auto", gpus: [], systemMemoryGb: 64 });
  assert.equal(cpu.kind, "cpu");
  assert.equal(cpu.name, "CPU (no GPU found)");
  assert.equal(chooseCard({ device: "cpu", gpus, systemMemoryGb: 64 }).kind, "cpu", "device: cpu plans for the CPU");
  assert.equal(chooseCard({ gpuMemoryGb: 24, device: "auto", gpus: [], systemMemoryGb: 64 }).name, "a 24 GB card");
  assert.equal(chooseCard({ gpuMemoryGb: 80, device: "auto", gpus: [], systemMemoryGb: 64 }).name, "an 80 GB card");
  assert.equal(chooseCard({ gpuMemoryGb: 11, device: "auto", gpus: [], systemMemoryGb: 64 }).name, "an 11 GB card");
});

test("rates of known cards by nvidia-smi's name, and the stated assumption for others", () => {
  assert.equal(ratesFor("NVIDIA H100 80GB HBM3").rates.bandwidth, 3.35e12);
  assert.equal(ratesFor("NVIDIA H100 PCIe").rates.bandwidth, 2.0e12);
  assert.equal(ratesFor("NVIDIA A100-PCIE-40GB").rates.bandwidth, 1.555e12);
  assert.equal(ratesFor("NVIDIA GeForce RTX 3090").rates.flops, 71e12);
  assert.equal(ratesFor("NVIDIA RTX A5000").known, true);
  assert.equal(ratesFor("NVIDIA L4").rates.bandwidth, 0.3e12);
  assert.equal(ratesFor("NVIDIA L40S").rates.bandwidth, 0.864e12);
  assert.equal(ratesFor("NVIDIA A10G").known, true);
  assert.deepEqual(ratesFor("Some Future GPU"), { rates: UNKNOWN_GPU_RATES, known: false });
});

test("a model's shape: its folder, the Hugging Face cache (refs/main), the built-in table, or a sentence saying how to get its config.json", () => {
  const root = mkdtempSync(path.join(tmpdir(), "plan-shape-"));
  const config = { model_type: "llama", hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 128, vocab_size: 512 };
  const folder = path.join(root, "m");
  mkdirSync(folder);
  writeFileSync(path.join(folder, "config.json"), JSON.stringify(config));
  assert.equal(findShape(folder, {}).shape.hidden, 64);
  const snap = path.join(root, "hub", "models--acme--tiny", "snapshots", "abc123");
  mkdirSync(snap, { recursive: true });
  writeFileSync(path.join(snap, "config.json"), JSON.stringify({ ...config, hidden_size: 96, num_attention_heads: 6 }));
  mkdirSync(path.join(root, "hub", "models--acme--tiny", "refs"));
  writeFileSync(path.join(root, "hub", "models--acme--tiny", "refs", "main"), "abc123\n");
  const cached = findShape("acme/tiny", { HF_HUB_CACHE: path.join(root, "hub") });
  assert.equal(cached.shape.hidden, 96);
  assert.equal(cached.source, path.join(snap, "config.json"));
  assert.equal(findShape("acme/tiny", { HF_HOME: root }).shape.hidden, 96, "HF_HOME/hub");
  const table = findShape("Qwen/Qwen2.5-Math-1.5B", { HF_HUB_CACHE: path.join(root, "hub") });
  assert.equal(table.source, "built-in table (Qwen/Qwen2.5-Math-1.5B)");
  assert.throws(() => findShape("acme/other", { HF_HUB_CACHE: path.join(root, "hub") }), (e: Error) => {
    assert.ok(e instanceof ShapeError);
    assert.equal(e.message, "the plan needs acme/other's config.json, which is not on this machine: fetch it with `hf download acme/other config.json` (or run once, which downloads the model), or set model to a local folder");
    return true;
  });
  mkdirSync(path.join(root, "empty"));
  assert.throws(() => findShape(path.join(root, "empty"), {}), /has no config\.json, which the plan needs/);
});
