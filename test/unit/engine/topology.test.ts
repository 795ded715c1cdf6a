import assert from "node:assert/strict";
import { test } from "node:test";
import { engineLaunch, ENGINE_GROUP_ENV } from "../../../src/core/engine/launch";
import { expectedWorldSize, LORA_ONE_PROCESS, ONE_MACHINE, parseDevices, parseNodes, planRanks, resolveTopology, torchrunArgs } from "../../../src/core/engine/topology";
import { visibleGpus } from "../../../src/core/plan/visibleGpus";

const gpus = (count: number) => ({ count, source: "nvidia-smi" });

test("--devices: auto or a whole number of at least 1, else one sentence", () => {
  assert.equal(parseDevices("auto"), "auto");
  assert.equal(parseDevices("4"), 4);
  for (const bad of ["0", "-1", "1.5", "two", ""]) assert.equal(parseDevices(bad), `--devices must be auto or a whole number of at least 1, not '${bad}'`);
});

test("several machines need an endpoint and a node-rank in range", () => {
  assert.deepEqual(parseNodes({}), ONE_MACHINE);
  assert.deepEqual(parseNodes({ nnodes: "2", nodeRank: "1", rdzvEndpoint: "10.0.0.1:29500" }), { nnodes: 2, nodeRank: 1, rdzvEndpoint: "10.0.0.1:29500" });
  assert.deepEqual(parseNodes({ nnodes: "2", rdzvEndpoint: "[fe80::1]:29500" }), { nnodes: 2, nodeRank: 0, rdzvEndpoint: "[fe80::1]:29500" });
  assert.match(parseNodes({ nnodes: "2" }) as string, /^--nnodes 2 needs --rdzv-endpoint HOST:PORT: /);
  assert.equal(parseNodes({ nnodes: "2", nodeRank: "2", rdzvEndpoint: "h:1" }), "--node-rank 2 is out of range: with --nnodes 2 it is 0 to 1");
  assert.equal(parseNodes({ nodeRank: "1" }), "--node-rank 1 needs --nnodes: one machine is node-rank 0");
  assert.equal(parseNodes({ nnodes: "0" }), "--nnodes must be a whole number of at least 1, not '0'");
  assert.match(parseNodes({ nodeRank: "-1" }) as string, /^--node-rank must be a whole number/);
  assert.equal(parseNodes({ rdzvEndpoint: "h:1" }), "--rdzv-endpoint is for several machines: give --nnodes (2 or more) with it");
  for (const bad of ["host", "host:", "host:99999", ":29500"]) assert.equal(parseNodes({ nnodes: "3", rdzvEndpoint: bad }), `--rdzv-endpoint must be HOST:PORT (e.g. 10.0.0.1:29500), not '${bad}'`);
});

test("devices: auto is every visible GPU (1 without one), a number may not exceed them, CPU processes are not limited", () => {
  assert.equal((resolveTopology("auto", "auto", ONE_MACHINE, gpus(8), false) as { devices: number }).devices, 8);
  assert.equal((resolveTopology("auto", "auto", ONE_MACHINE, gpus(0), false) as { devices: number }).devices, 1);
  assert.equal((resolveTopology("auto", "cpu", ONE_MACHINE, gpus(8), false) as { devices: number }).devices, 1);
  assert.equal(resolveTopology(3, "auto", ONE_MACHINE, gpus(2), false), "devices 3 asks for more GPUs than this machine shows: 2 (nvidia-smi); use at most 2, or auto");
  assert.equal((resolveTopology(2, "auto", ONE_MACHINE, gpus(0), false) as { devices: number }).devices, 2, "no GPU: N CPU processes (gloo)");
  const cpu = resolveTopology(4, "cpu", ONE_MACHINE, gpus(1), false);
  assert.deepEqual(cpu, { ...ONE_MACHINE, devices: 4, cpuOnly: true }, "device: cpu: N CPU processes");
  assert.equal(engineLaunch("py", "/e", { CUDA_VISIBLE_DEVICES: "0" }, cpu as Exclude<typeof cpu, string>).env?.CUDA_VISIBLE_DEVICES, "", "which see no GPU");
  assert.equal(engineLaunch("py", "/e", { CUDA_VISIBLE_DEVICES: "0" }, { ...ONE_MACHINE, devices: 2 }).env?.CUDA_VISIBLE_DEVICES, "0");
  const two = resolveTopology(4, "cuda", { nnodes: 2, nodeRank: 1, rdzvEndpoint: "h:1" }, gpus(4), false);
  assert.ok(typeof two !== "string");
  assert.equal(expectedWorldSize(two), 8);
});

test("a LoRA run is one engine process: auto is 1 whatever the GPUs, more processes are refused in the engine's sentence", () => {
  assert.deepEqual(resolveTopology("auto", "auto", ONE_MACHINE, gpus(8), true), { ...ONE_MACHINE, devices: 1 });
  assert.deepEqual(resolveTopology(1, "auto", ONE_MACHINE, gpus(8), true), { ...ONE_MACHINE, devices: 1 });
  assert.equal(resolveTopology(2, "auto", ONE_MACHINE, gpus(8), true), LORA_ONE_PROCESS);
  assert.equal(resolveTopology(2, "cpu", ONE_MACHINE, gpus(0), true), LORA_ONE_PROCESS);
  assert.equal(resolveTopology("auto", "auto", { nnodes: 2, nodeRank: 0, rdzvEndpoint: "h:1" }, gpus(8), true), LORA_ONE_PROCESS);
  assert.equal(planRanks("auto", "auto", 1, gpus(8), true), 1);
});

test("visible GPUs honour CUDA_VISIBLE_DEVICES up to its first invalid entry", () => {
  assert.deepEqual(visibleGpus({}, () => 4), { count: 4, source: "nvidia-smi" });
  assert.equal(visibleGpus({ CUDA_VISIBLE_DEVICES: "0,2" }, () => 4).count, 2);
  assert.equal(visibleGpus({ CUDA_VISIBLE_DEVICES: "GPU-5e0c,GPU-77a1,GPU-0b3d" }, () => 4).count, 3);
  assert.equal(visibleGpus({ CUDA_VISIBLE_DEVICES: "1,-1,2" }, () => 4).count, 1);
  assert.equal(visibleGpus({ CUDA_VISIBLE_DEVICES: "" }, () => 4).count, 0);
  assert.equal(visibleGpus({ CUDA_VISIBLE_DEVICES: "0,1" }, () => 0).count, 0, "no GPU at all");
});

test("one process on one machine starts the engine directly; more start it under torchrun with a marker", () => {
  const direct = engineLaunch("py", "/e", {}, { ...ONE_MACHINE, devices: 1 });
  assert.deepEqual(direct.args, ["-m", "oneshot_engine", "serve"]);
  assert.equal(direct.torchrun, undefined);
  const local = engineLaunch("py", "/e", {}, { ...ONE_MACHINE, devices: 2 });
  assert.deepEqual(local.args, ["-m", "torch.distributed.run", "--nproc-per-node", "2", "--standalone", "-m", "oneshot_engine", "serve"]);
  assert.equal(local.torchrun?.marker.name, ENGINE_GROUP_ENV);
  const other = engineLaunch("py", "/e", {}, { nnodes: 2, nodeRank: 1, rdzvEndpoint: "10.0.0.1:29500", devices: 1 });
  assert.deepEqual(other.args.slice(0, -3), ["-m", "torch.distributed.run", "--nproc-per-node", "1", "--nnodes", "2", "--node-rank", "1", "--rdzv-endpoint", "10.0.0.1:29500"]);
  assert.notEqual(local.torchrun?.marker.value, other.torchrun?.marker.value, "each launch is marked apart");
  assert.deepEqual(torchrunArgs({ ...ONE_MACHINE, devices: 8 }), ["-m", "torch.distributed.run", "--nproc-per-node", "8", "--standalone"]);
});

test("a plan is for devices × machines processes: auto counts this machine's GPUs, a number is taken as given", () => {
  assert.equal(planRanks("auto", "auto", 2, gpus(4), false), 8);
  assert.equal(planRanks(3, "auto", 1, gpus(0), false), 3, "a plan may be for another machine");
  assert.equal(planRanks("auto", "cpu", 1, gpus(8), false), 1);
  assert.equal(planRanks("auto", "auto", 1, gpus(0), false), 1);
});
