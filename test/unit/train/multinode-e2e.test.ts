// One run on two "machines" (two `oneshot train` on this host, one engine process each, the real
// engine on gloo): node-rank 0 runs the controller and writes the run directory, node-rank 1 starts
// only its engine rank, which joins through the rendezvous endpoint and ends with the run.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { createTrainCommand } from "../../../src/cli/commands/train";
import { venvPython } from "../../../src/core/engine/pythonEnv";
import { createVerifier } from "../../../src/core/verifier/index";
import { captureCli } from "../cliContext";
import { eventsOf } from "./helpers";

const PY = venvPython(path.resolve(".venv"));
const skip = process.platform !== "linux" || !existsSync(PY);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

test("--nnodes 2: machine 0 trains with machine 1's engine rank, which writes nothing and ends with the run", { skip }, async () => {
  const work = mkdtempSync(path.join(tmpdir(), "oneshot-nodes-"));
  const other = mkdtempSync(path.join(tmpdir(), "oneshot-node1-"));
  const train = createTrainCommand({ createVerifier });
  const ctx = (cwd: string) => captureCli({ installDir: path.resolve("dist"), cwd, env: { ...process.env, ONESHOT_PYTHON: PY, OMP_NUM_THREADS: "1" } });
  const endpoint = `127.0.0.1:${await freePort()}`;
  const nodes = (rank: number) => ["--devices", "1", "--nnodes", "2", "--node-rank", String(rank), "--rdzv-endpoint", endpoint];
  const c0 = ctx(work);
  const c1 = ctx(other);
  const [code1, code0] = await Promise.all([
    train.run(nodes(1), c1),
    train.run([path.resolve("examples/arithmetic.rlvr.md"), "--preset", "cpu-demo", "--steps", "2", "--set", "eval_every=0", "--set", "prompt_copies=2", "--run-dir", "r", ...nodes(0)], c0),
  ]);
  assert.equal(code0, 0, c0.err());
  assert.equal(code1, 0, c1.err());
  assert.match(c0.out(), /on cpu × 2 processes/);
  assert.match(c1.out(), /^Machine 1 of 2: starting 1 engine rank for the run at 127\.0\.0\.1:\d+ \(it ends with the run\)\.\nThe engine ranks of machine 1 ended with the run\.\n$/);
  const started = eventsOf(path.join(work, "r")).find((e) => e.type === "run_started");
  assert.ok(started?.type === "run_started" && started.world_size === 2);
  assert.ok(existsSync(path.join(work, "r/checkpoints/step-2/engine_state_sharded")));
  assert.deepEqual(readdirSync(other), [], "machine 1 writes nothing where its ranks run");
});
