// An OnnxModel in a worker thread (worker.ts), with the same surface as OnnxModel for what `try`
// needs: the tokenizer (loaded here too, for formatting prompts) and generate/dispose. The editor
// uses it so that ONNX Runtime's synchronous steps never block the extension host.
import { Worker } from "node:worker_threads";
import { TryError } from "./errors";
import type { GenerateOptions, GenerateOutput, TryModel } from "./onnxModel";
import { ModelTokenizer } from "./tokenizer";

type SerializedError = { name: string; message: string };

export type ToWorker =
  | { type: "generate"; id: number; prompt: string; options: Omit<GenerateOptions, "signal" | "onText"> }
  | { type: "abort"; id: number }
  | { type: "dispose" };

export type FromWorker =
  | { type: "loaded" }
  | { type: "loadFailed"; error: SerializedError }
  | { type: "text"; id: number; text: string }
  | { type: "done"; id: number; output: GenerateOutput }
  | { type: "failed"; id: number; error: SerializedError };

// TryError keeps its one-sentence meaning across the thread boundary; anything else is an Error.
const revive = (e: SerializedError) => (e.name === "TryError" ? new TryError(e.message) : new Error(e.message));

export interface WorkerLoadOptions {
  /** The worker's script: dist/try-worker.cjs (built from worker.ts). */
  workerFile: string;
  /** Node options of the worker (tests run worker.ts through tsx). */
  execArgv?: string[];
  threads?: number;
  freeMemory?: number;
}

export class WorkerModel implements TryModel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (o: GenerateOutput) => void; reject: (e: Error) => void; onText?: (t: string) => void }>();

  private constructor(
    private readonly worker: Worker,
    readonly tokenizer: ModelTokenizer,
  ) {
    worker.on("message", (m: FromWorker) => {
      if (m.type !== "text" && m.type !== "done" && m.type !== "failed") return;
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === "text") p.onText?.(m.text);
      else {
        this.pending.delete(m.id);
        if (m.type === "done") p.resolve(m.output);
        else p.reject(revive(m.error));
      }
    });
    worker.on("error", (e) => this.failAll(e));
    worker.on("exit", () => this.failAll(new Error("the model's worker thread ended")));
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  static async load(dir: string, o: WorkerLoadOptions): Promise<WorkerModel> {
    // The tokenizer first: its sentence for a folder without tokenizer.json comes before a thread starts.
    const tokenizer = ModelTokenizer.load(dir);
    const worker = new Worker(o.workerFile, {
      workerData: { dir, threads: o.threads, freeMemory: o.freeMemory },
      ...(o.execArgv ? { execArgv: o.execArgv } : {}),
    });
    const listeners: [string, (arg: never) => void][] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const onExit = () => reject(new Error("the model's worker thread ended while loading"));
        const onMessage = (m: FromWorker) => {
          if (m.type === "loaded") resolve();
          else if (m.type === "loadFailed") reject(revive(m.error));
        };
        listeners.push(["message", onMessage], ["error", reject], ["exit", onExit]);
        for (const [event, f] of listeners) worker.on(event, f as (arg: unknown) => void);
      });
    } catch (e) {
      await worker.terminate();
      throw e;
    } finally {
      // Only ours: Worker keeps its message port referenced through listeners of its own.
      for (const [event, f] of listeners) worker.off(event, f as (arg: unknown) => void);
    }
    return new WorkerModel(worker, tokenizer);
  }

  generate(prompt: string, o: GenerateOptions): Promise<GenerateOutput> {
    const id = this.nextId++;
    const { signal, onText, ...options } = o;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(onText ? { onText } : {}) });
      const abort = () => this.worker.postMessage({ type: "abort", id } satisfies ToWorker);
      if (signal?.aborted) abort();
      else signal?.addEventListener("abort", abort, { once: true });
      this.worker.postMessage({ type: "generate", id, prompt, options } satisfies ToWorker);
    });
  }

  async dispose(): Promise<void> {
    const exited = new Promise((r) => this.worker.once("exit", r));
    this.worker.postMessage({ type: "dispose" } satisfies ToWorker);
    // A worker stuck in a long step is ended after a grace period.
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }
}
