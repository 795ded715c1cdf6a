import { parseArgs } from "node:util";
import * as path from "node:path";
import { exportCacheDir, runExport } from "../../core/try/exporter";
import { resolveTarget } from "../../core/try/target";
import { type Command, UsageError } from "../command";
import { exportCacheRoot, exportOptions, parseQuantize, userErrors } from "../tryOptions";

export const exportCommand: Command = {
  name: "export",
  summary: "Export a model, checkpoint or run to ONNX, to run it without Python (oneshot try)",
  usage: `Usage: oneshot export MODEL_OR_RUN --onnx [--quantize int8|q4] [--out DIR]

Writes the model as an ONNX decoder with a KV cache, in the folder layout Hugging Face's ONNX
tooling and transformers.js use: config.json and the tokenizer files at the top, the graph in
onnx/model.onnx (onnx/model_quantized.onnx with --quantize int8, onnx/model_q4.onnx with
--quantize q4). The engine's Python environment does the export (PyTorch's ONNX exporter) and
checks that ONNX Runtime's logits match the engine's before the folder is kept; an interrupted
export leaves nothing behind.

MODEL_OR_RUN is a model folder, a checkpoint (runs/ID/checkpoints/step-N) or a run (its best
checkpoint, else its last).

  --onnx           the format (the only one so far)
  --quantize Q     int8: 8-bit weights (about 4x smaller, slightly different answers);
                   q4: 4-bit weights of the matrices in blocks of 32 (ONNX Runtime's MatMulNBits)
                   and an 8-bit embedding table: the smallest folder, answers further from the
                   engine's; none (default)
  --out DIR        where to write (default: beside the checkpoint, in onnx-fp32/, onnx-int8/ or
                   onnx-q4/, where \`oneshot try\` and the editor look for it)
  --python PATH    the Python that runs the export (default: $ONESHOT_PYTHON, then the venv)`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { onnx: { type: "boolean", default: false }, quantize: { type: "string" }, out: { type: "string" }, python: { type: "string" } },
    });
    if (positionals.length !== 1) throw new UsageError("give exactly one model, checkpoint or run");
    if (!values.onnx) throw new UsageError("give --onnx (the only export format)");
    const quantize = parseQuantize(values.quantize);
    return userErrors(async () => {
      const target = resolveTarget(positionals[0]!, ctx.cwd);
      const out = values.out ? path.resolve(ctx.cwd, values.out) : exportCacheDir(target.model, quantize, exportCacheRoot(ctx));
      const m = await runExport(target.model, out, exportOptions(ctx, values.python, quantize));
      const diff = m.max_logit_diff === null ? "" : `, logits within ${m.max_logit_diff.toExponential(1)} of the engine's`;
      ctx.stdout.write(`Exported ${target.label} to ${out} (${(m.bytes / 2 ** 20).toFixed(1)} MiB, ${m.seconds} s${diff}).\n`);
      return 0;
    });
  },
};
