import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { test } from "node:test";
import { PRESETS } from "../../../src/core/example";
import { hubCacheDir } from "../../../src/core/engine/hubCache";
import { hubModelProblem, realHubLookups, type HubLookups } from "../../../src/core/train/hubModel";
import { ENGINE_MODEL_TYPES, gpuNeed, noGpuReason, preflightProblems } from "../../../src/core/train/preflight";
import { presetNeeds } from "../../../src/core/train/presetNeeds";
import { config, project } from "./helpers";

test("the model types the pre-check accepts are the engine's", () => {
  const py = /SUPPORTED_MODEL_TYPES = \(([^)]*)\)/.exec(readFileSync("engine/oneshot_engine/config.py", "utf8"));
  assert.ok(py, "SUPPORTED_MODEL_TYPES not found in engine/oneshot_engine/config.py");
  assert.deepEqual([...py[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]), [...ENGINE_MODEL_TYPES]);
});

test("no GPU is concluded only where the device files can tell", () => {
  assert.equal(noGpuReason("linux", none), "this machine shows no GPU (no /dev/nvidia* device)");
  assert.equal(noGpuReason("linux", (f) => f === "/dev/nvidiactl"), undefined);
  assert.equal(noGpuReason("linux", (f) => f === "/dev/dxg"), undefined, "WSL2");
  assert.equal(noGpuReason("darwin", none), "macOS has no CUDA");
  assert.equal(noGpuReason("win32", none), undefined);
});

// The pre-flight's machine checks, on injected look-ups: no network, no real cache, no GPU probe.
const none = () => false;

function lookups(files: string[], reachable: boolean | "unused") {
  const asked: string[] = [];
  const l: HubLookups = {
    exists: (f) => files.includes(f),
    list: (dir) => [...new Set(files.filter((f) => f.startsWith(dir + path.sep)).map((f) => f.slice(dir.length + 1).split(path.sep)[0]))],
    home: () => "/home/u",
    reachable: async (url) => {
      asked.push(url);
      if (reachable === "unused") throw new Error("the hub was asked");
      return reachable;
    },
  };
  return { l, asked };
}

test("the Hugging Face cache folder is found as huggingface_hub finds it", () => {
  assert.equal(hubCacheDir({}, "/home/u"), "/home/u/.cache/huggingface/hub");
  assert.equal(hubCacheDir({ XDG_CACHE_HOME: "/x" }, "/home/u"), "/x/huggingface/hub");
  assert.equal(hubCacheDir({ HF_HOME: "/hf", XDG_CACHE_HOME: "/x" }, "/home/u"), "/hf/hub");
  assert.equal(hubCacheDir({ HUGGINGFACE_HUB_CACHE: "/old", HF_HOME: "/hf" }, "/home/u"), "/old");
  assert.equal(hubCacheDir({ HF_HUB_CACHE: "/new", HUGGINGFACE_HUB_CACHE: "/old" }, "/home/u"), "/new");
});

test("a cached hub model passes without asking the hub, offline or not", async () => {
  const snap = "/home/u/.cache/huggingface/hub/models--Qwen--Qwen2.5-Math-1.5B/snapshots/abc";
  const { l } = lookups([path.join(snap, "config.json")], "unused");
  assert.equal(await hubModelProblem("Qwen/Qwen2.5-Math-1.5B", {}, l), undefined);
  assert.equal(await hubModelProblem("Qwen/Qwen2.5-Math-1.5B", { HF_HUB_OFFLINE: "1" }, l), undefined);
  // A snapshot without config.json (an interrupted download) is not a model.
  const partial = lookups([path.join(snap, "model.safetensors")], false);
  assert.match((await hubModelProblem("Qwen/Qwen2.5-Math-1.5B", {}, partial.l)) ?? "", /is not in the Hugging Face cache/);
});

test("offline and not cached: refused in one line with the command that fetches it, without asking the hub", async () => {
  const { l } = lookups([], "unused");
  for (const env of [{ HF_HUB_OFFLINE: "1" }, { HF_HUB_OFFLINE: "true" }, { TRANSFORMERS_OFFLINE: "1" }]) {
    assert.equal(
      await hubModelProblem("Org/M", env, l),
      "model: Org/M is not in the Hugging Face cache (/home/u/.cache/huggingface/hub) and HF_HUB_OFFLINE is set: download it first with `hf download Org/M` (the engine's environment has the hf command), or set model to a local folder",
    );
  }
});

test("online and not cached: the hub (HF_ENDPOINT) is asked once; unreachable is refused, reachable passes, a proxy is not second-guessed", async () => {
  const down = lookups([], false);
  assert.equal(
    await hubModelProblem("Org/M", { HF_ENDPOINT: "https://mirror.example/" }, down.l),
    "model: Org/M is not in the Hugging Face cache (/home/u/.cache/huggingface/hub) and https://mirror.example cannot be reached: download it first with `hf download Org/M` (the engine's environment has the hf command), or set model to a local folder",
  );
  assert.deepEqual(down.asked, ["https://mirror.example"]);
  const up = lookups([], true);
  assert.equal(await hubModelProblem("Org/M", {}, up.l), undefined);
  assert.deepEqual(up.asked, ["https://huggingface.co"]);
  assert.equal(await hubModelProblem("Org/M", { HTTPS_PROXY: "http://proxy:3128" }, lookups([], "unused").l), undefined);
});

test("the real hub look-up gives up within its timeout on a host that never answers", async () => {
  const server = net.createServer(() => {}); // accepts, never answers
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  const started = Date.now();
  assert.equal(await realHubLookups.reachable(`http://127.0.0.1:${port}`, 300), false);
  assert.ok(Date.now() - started < 2000);
  server.close();
});

test("a GPU is needed for device cuda and for 16-bit weights on device auto (the paper and local presets), not for cpu-demo", () => {
  assert.equal(gpuNeed({ device: "cuda", dtype: "float32" }), "device is cuda");
  assert.equal(gpuNeed(PRESETS.local), "dtype bfloat16 with device auto needs a GPU");
  assert.equal(gpuNeed(PRESETS.paper), "dtype bfloat16 with device auto needs a GPU");
  assert.equal(gpuNeed(PRESETS["cpu-demo"]), undefined);
  assert.equal(gpuNeed({ device: "auto", dtype: "float32" }), undefined);
  assert.equal(gpuNeed({ device: "cpu", dtype: "bfloat16" }), undefined);
  // The memory plan of the preset's own model: the smallest of 12, 24, 40 and 80 GB it fits.
  assert.match(presetNeeds("local"), /^GPU · fits 24 GB \(planned (1\d|2[01])\.\d GB\)$/);
  // paper: waves of ~100 rollouts and 24 recomputed layers on 24 GB (without checkpointing on 80 GB and up).
  assert.match(presetNeeds("paper"), /^GPU · fits (24|40|80) GB \(planned \d+\.\d GB\)$/);
  assert.equal(presetNeeds("cpu-demo"), "CPU · under 1 GB");
  // LoRA: frozen bf16 weights and fp32 adapters, a 12 GB card.
  assert.match(presetNeeds("lora"), /^GPU · fits 12 GB \(planned (8|9|10)\.\d GB\)$/);
});

test("preflightProblems: the local preset without a GPU and a hub model neither cached nor reachable are two sentences", async () => {
  const { root, example } = project();
  const c = config(root, example, ["model=Org/M", "device=auto", "dtype=bfloat16", "eval_every=0"]);
  const { l } = lookups([], false);
  const problems = await preflightProblems(c, { projectRoot: root, platform: "linux", deviceExists: none, env: {}, hub: l });
  assert.deepEqual(problems, [
    "model: Org/M is not in the Hugging Face cache (/home/u/.cache/huggingface/hub) and https://huggingface.co cannot be reached: download it first with `hf download Org/M` (the engine's environment has the hf command), or set model to a local folder",
    "dtype bfloat16 with device auto needs a GPU, but this machine shows no GPU (no /dev/nvidia* device): train with preset cpu-demo, or set device: cpu and dtype: float32 to train this model on the CPU",
  ]);
  const gpu = await preflightProblems(c, { projectRoot: root, platform: "linux", deviceExists: (f) => f === "/dev/nvidia0", env: {}, hub: lookups([], true).l });
  assert.deepEqual(gpu, []);
});
