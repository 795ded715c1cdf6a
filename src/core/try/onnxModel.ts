// An exported model run by onnxruntime-node: one prompt at a time, with the KV cache fed back
// step by step (present.* of one step are past_key_values.* of the next).
import { freemem } from "node:os";
import * as path from "node:path";
import type * as Ort from "onnxruntime-node";
import { TryError } from "./errors";
import { type ExportManifest, checkMemory, readManifest } from "./manifest";
import { sampleToken, seededRandom } from "./sampling";
import { TextStream } from "./textStream";
import { ModelTokenizer } from "./tokenizer";

export type TryFinishReason = "stop" | "length" | "stop_string" | "aborted";

export interface GenerateOptions {
  maxTokens: number;
  /** 0 = greedy, as evaluation decodes. */
  temperature: number;
  topP?: number;
  seed?: number;
  stop?: string[];
  signal?: AbortSignal;
  /** Text as it is generated (deltas; their concatenation is the final text). */
  onText?: (delta: string) => void;
}

export interface GenerateOutput {
  text: string;
  /** Generated tokens, the end-of-sequence token included (as the engine counts them). */
  tokens: number;
  finishReason: TryFinishReason;
  /** Milliseconds from the call to the first generated token (the prompt's prefill). */
  firstTokenMs: number;
  /** Tokens per second after the first (the decode rate). */
  tokensPerSecond: number;
}

/** What `try` uses of a model: an OnnxModel here, or one in a worker thread (workerModel.ts). */
export interface TryModel {
  readonly tokenizer: Pick<ModelTokenizer, "formatPrompt">;
  generate(prompt: string, o: GenerateOptions): Promise<GenerateOutput>;
  dispose(): Promise<void>;
}

export interface LoadOptions {
  threads?: number;
  /** Free memory in bytes (tests pass a small number); default: the system's. */
  freeMemory?: number;
}

type OrtModule = typeof Ort;

/** onnxruntime-node, loaded on first use: a native module that the CLI's and the extension's
 * other commands should neither pay for at start-up nor fail on where it is missing. */
async function loadOrt(): Promise<OrtModule> {
  try {
    const mod = (await import("onnxruntime-node")) as OrtModule & { default?: OrtModule };
    // Node's ESM loader may see a CommonJS module's exports only under `default`.
    return mod.InferenceSession ? mod : mod.default!;
  } catch (e) {
    throw new TryError(`onnxruntime-node cannot be loaded on this platform (${process.platform}-${process.arch}): ${(e as Error).message.split("\n")[0]}`);
  }
}

export class OnnxModel implements TryModel {
  private constructor(
    readonly dir: string,
    readonly manifest: ExportManifest,
    readonly tokenizer: ModelTokenizer,
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
  ) {}

  static async load(dir: string, o: LoadOptions = {}): Promise<OnnxModel> {
    const manifest = readManifest(dir);
    checkMemory(dir, manifest, o.freeMemory ?? freemem());
    const tokenizer = ModelTokenizer.load(dir);
    const ort = await loadOrt();
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(path.join(dir, manifest.model_file), {
        executionProviders: ["cpu"],
        ...(o.threads ? { intraOpNumThreads: o.threads } : {}),
      });
    } catch (e) {
      throw new TryError(`ONNX Runtime could not load ${path.join(dir, manifest.model_file)}: ${(e as Error).message.split("\n")[0]}; export the model again`);
    }
    return new OnnxModel(dir, manifest, tokenizer, ort, session);
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }

  private emptyCache(): Record<string, Ort.Tensor> {
    const m = this.manifest;
    const feeds: Record<string, Ort.Tensor> = {};
    for (let i = 0; i < m.num_layers; i++) {
      for (const kind of ["key", "value"]) feeds[`past_key_values.${i}.${kind}`] = new this.ort.Tensor("float32", new Float32Array(0), [1, m.num_kv_heads, 0, m.head_dim]);
    }
    return feeds;
  }

  /** Logits of the last position and the new cache, for `ids` placed after `past` cached tokens. */
  private async step(ids: number[], past: number, cache: Record<string, Ort.Tensor>): Promise<{ logits: Float32Array; cache: Record<string, Ort.Tensor> }> {
    const total = past + ids.length;
    const feeds: Record<string, Ort.Tensor> = {
      input_ids: new this.ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]),
      attention_mask: new this.ort.Tensor("int64", new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new this.ort.Tensor("int64", BigInt64Array.from(ids, (_, i) => BigInt(past + i)), [1, ids.length]),
      ...cache,
    };
    const out = await this.session.run(feeds);
    const logits = out.logits!;
    const vocab = logits.dims[2]!;
    const data = logits.data as Float32Array;
    const next: Record<string, Ort.Tensor> = {};
    for (let i = 0; i < this.manifest.num_layers; i++) {
      for (const kind of ["key", "value"]) next[`past_key_values.${i}.${kind}`] = out[`present.${i}.${kind}`]!;
    }
    for (const t of Object.values(cache)) t.dispose();
    logits.dispose();
    return { logits: data.slice((ids.length - 1) * vocab, ids.length * vocab), cache: next };
  }

  /** Generates an answer to an already formatted prompt, as the engine's `generate` does for one row. */
  async generate(prompt: string, o: GenerateOptions): Promise<GenerateOutput> {
    const started = performance.now();
    const promptIds = this.tokenizer.encode(prompt);
    const eos = new Set(this.tokenizer.eosIds);
    const stop = (o.stop ?? []).filter((s) => s);
    const stream = new TextStream(stop);
    const random = seededRandom(o.seed ?? 0);
    const generated: number[] = [];
    let firstTokenAt = 0;
    let reason: TryFinishReason = "length";
    let text = "";
    let cache = this.emptyCache();
    let input = promptIds;
    let past = 0;
    while (generated.length < o.maxTokens) {
      if (o.signal?.aborted) {
        reason = "aborted";
        break;
      }
      const r = await this.step(input, past, cache);
      cache = r.cache;
      past += input.length;
      const token = sampleToken(r.logits, o.temperature, o.topP ?? 1, random);
      generated.push(token);
      if (!firstTokenAt) firstTokenAt = performance.now();
      if (eos.has(token)) {
        reason = "stop";
        text = this.tokenizer.decode(generated.slice(0, -1));
        break;
      }
      text = this.tokenizer.decode(generated);
      const cut = stream.stopAt(text);
      if (cut >= 0) {
        reason = "stop_string";
        text = text.slice(0, cut);
        break;
      }
      const delta = stream.push(text);
      if (delta) o.onText?.(delta);
      input = [token];
    }
    for (const t of Object.values(cache)) t.dispose();
    const rest = stream.finish(text);
    if (rest) o.onText?.(rest);
    const decodeSeconds = (performance.now() - (firstTokenAt || started)) / 1000;
    return {
      text,
      tokens: generated.length,
      finishReason: reason,
      firstTokenMs: (firstTokenAt || performance.now()) - started,
      tokensPerSecond: generated.length > 1 && decodeSeconds > 0 ? (generated.length - 1) / decodeSeconds : 0,
    };
  }
}
