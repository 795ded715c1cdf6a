// The worker thread that runs an OnnxModel for the editor: onnxruntime-node loads models and runs
// each step synchronously on the calling thread, which in the extension host would freeze every
// extension for the length of a step (seconds per token for a 1.5B model on a CPU). Messages:
// see workerModel.ts, its other side.
import { parentPort, workerData } from "node:worker_threads";
import { OnnxModel } from "./onnxModel";
import type { FromWorker, ToWorker } from "./workerModel";

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);
const running = new Map<number, AbortController>();
let model: OnnxModel | undefined;

const { dir, threads, freeMemory } = workerData as { dir: string; threads?: number; freeMemory?: number };
const errorOf = (e: unknown) => ({ name: e instanceof Error ? e.name : "Error", message: e instanceof Error ? e.message : String(e) });

OnnxModel.load(dir, { ...(threads ? { threads } : {}), ...(freeMemory !== undefined ? { freeMemory } : {}) }).then(
  (m) => {
    model = m;
    post({ type: "loaded" });
  },
  (e: unknown) => post({ type: "loadFailed", error: errorOf(e) }),
);

port.on("message", (m: ToWorker) => {
  if (m.type === "abort") running.get(m.id)?.abort();
  else if (m.type === "dispose") {
    for (const ac of running.values()) ac.abort();
    void (model?.dispose() ?? Promise.resolve()).finally(() => port.close());
  } else if (m.type === "generate") {
    const ac = new AbortController();
    running.set(m.id, ac);
    model!
      .generate(m.prompt, { ...m.options, signal: ac.signal, onText: (text) => post({ type: "text", id: m.id, text }) })
      .then(
        (output) => post({ type: "done", id: m.id, output }),
        (e: unknown) => post({ type: "failed", id: m.id, error: errorOf(e) }),
      )
      .finally(() => running.delete(m.id));
  }
});
