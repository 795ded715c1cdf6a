// Trying a model without Python: ONNX export time, size and peak memory (fp32, int8, q4), then in Node with
// onnxruntime-node the load time, the first token's latency (the prompt's prefill) and the decode
// rate, for the built-in tiny model and random models of Qwen2.5-0.5B's and 1.5B's shapes. Writes
// bench/results/try-<date>.json.
//   npx tsx bench/try/bench.ts [--shapes tiny,qwen2.5-0.5b,qwen2.5-1.5b] [--quantize fp32,int8,q4] [--tokens 64] [--threads 2] [--out FILE]
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { PAPER_SYSTEM_PROMPT } from "../../src/core/bench/presets";
import { chatMessages } from "../../src/core/bench/runner";
import { venvPython } from "../../src/core/engine/pythonEnv";
import { runExport, type Quantize } from "../../src/core/try/exporter";
import { OnnxModel } from "../../src/core/try/onnxModel";

const ROOT = path.resolve(import.meta.dirname, "../..");
// Qwen/Qwen2.5-0.5B's shape (494M parameters, tied embeddings), random weights.
const QWEN05 = {
  model_type: "qwen2",
  hidden_size: 896,
  intermediate_size: 4864,
  num_hidden_layers: 24,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  vocab_size: 151936,
  max_position_embeddings: 32768,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  tie_word_embeddings: true,
  hidden_act: "silu",
};

// Qwen/Qwen2.5-1.5B's shape (1.54B parameters, tied embeddings), random weights.
const QWEN15 = { ...QWEN05, hidden_size: 1536, intermediate_size: 8960, num_hidden_layers: 28, num_attention_heads: 12 };
const SHAPES: Record<string, object> = { "qwen2.5-0.5b": QWEN05, "qwen2.5-1.5b": QWEN15 };

const { values } = parseArgs({
  options: {
    shapes: { type: "string", default: "tiny,qwen2.5-0.5b" },
    quantize: { type: "string", default: "fp32,int8,q4" },
    tokens: { type: "string", default: "64" },
    threads: { type: "string", default: "2" },
    out: { type: "string" },
  },
});
const tokens = Number(values.tokens);
const threads = Number(values.threads);
const python = venvPython(path.join(ROOT, ".venv"));
const work = mkdtempSync(path.join(tmpdir(), "bench-try-"));
// At the start: the code measured, even if commits land while the benchmark runs.
const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();

function modelFor(shape: string): string {
  const dir = path.join(work, shape);
  if (shape === "tiny") cpSync(path.join(ROOT, "examples/models/tiny-math"), dir, { recursive: true });
  else if (SHAPES[shape]) {
    const script = "import json, sys\nfrom pathlib import Path\nfrom oneshot_tools.randmodel import write_random_checkpoint\nwrite_random_checkpoint(Path(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3])";
    // 1.5B in bf16, as Qwen publishes it: half the disk, and the export loads it as fp32 anyway.
    const dtype = shape === "qwen2.5-1.5b" ? "bfloat16" : "float32";
    execFileSync(python, ["-c", script, dir, JSON.stringify(SHAPES[shape]), dtype], { env: { ...process.env, PYTHONPATH: path.join(ROOT, "engine") }, stdio: "inherit" });
  } else throw new Error(`unknown shape ${shape}`);
  return dir;
}

const problem = "Tara has 50 cookies. Tara buys 3 bags with 10 cookies in each bag. How many cookies does Tara have now?";
const rows = [];
for (const shape of values.shapes.split(",")) {
  const model = modelFor(shape);
  for (const quantize of values.quantize.split(",").map((q) => (q === "fp32" ? undefined : q)) as Quantize[]) {
    const out = path.join(work, `${shape}-${quantize ?? "fp32"}`);
    let t = performance.now();
    const m = await runExport(model, out, { python, engineDir: path.join(ROOT, "engine"), quantize });
    const exportS = (performance.now() - t) / 1000;
    t = performance.now();
    const onnx = await OnnxModel.load(out, { threads });
    const loadS = (performance.now() - t) / 1000;
    const prompt = onnx.tokenizer.formatPrompt(chatMessages(PAPER_SYSTEM_PROMPT, problem));
    const promptTokens = onnx.tokenizer.encode(prompt).length;
    await onnx.generate(prompt, { maxTokens: 4, temperature: 0 }); // warm-up
    const g = await onnx.generate(prompt, { maxTokens: tokens, temperature: 0 });
    await onnx.dispose();
    const row = {
      shape,
      quantize: quantize ?? "fp32",
      params: m.params,
      export_s: Number(exportS.toFixed(2)),
      folder_mib: Number((m.bytes / 2 ** 20).toFixed(1)),
      max_logit_diff: m.max_logit_diff,
      quantized_logit_diff: m.quantized_logit_diff ?? null,
      export_peak_rss_mib: m.peak_rss_mib ?? null,
      load_s: Number(loadS.toFixed(2)),
      prompt_tokens: promptTokens,
      generated_tokens: g.tokens,
      first_token_ms: Number(g.firstTokenMs.toFixed(1)),
      tokens_per_s: Number(g.tokensPerSecond.toFixed(1)),
    };
    console.log(JSON.stringify(row));
    rows.push(row);
    rmSync(out, { recursive: true, force: true });
  }
  rmSync(model, { recursive: true, force: true });
}
const ortVersion = (JSON.parse(readFileSync(path.join(ROOT, "node_modules/onnxruntime-node/package.json"), "utf8")) as { version: string }).version;
const result = {
  bench: "try",
  date: new Date().toISOString(),
  device: `${cpus()[0]?.model ?? "cpu"} (${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB), onnxruntime-node ${ortVersion}, ${threads} threads`,
  command: `npx tsx bench/try/bench.ts --shapes ${values.shapes} --quantize ${values.quantize} --tokens ${tokens} --threads ${threads}`,
  commit,
  rows,
};
const file = values.out ?? path.join(ROOT, "bench/results", `try-${result.date.slice(0, 10)}.json`);
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
console.log(`wrote ${file}`);
rmSync(work, { recursive: true, force: true });
