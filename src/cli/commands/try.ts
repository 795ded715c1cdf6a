import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { PAPER_MAX_TOKENS } from "../../core/bench/presets";
import { answer, type TryAnswer } from "../../core/try/answer";
import { TryError } from "../../core/try/errors";
import { ensureExport } from "../../core/try/exporter";
import { OnnxModel } from "../../core/try/onnxModel";
import { baseTarget, resolveTarget } from "../../core/try/target";
import { createVerifier } from "../../core/verifier/index";
import { parseCount, parseNumber } from "../benchOptions";
import { type CliContext, type Command, UsageError } from "../command";
import { exportCacheRoot, exportOptions, parseQuantize, userErrors } from "../tryOptions";

export const tryCommand: Command = {
  name: "try",
  summary: "Ask a model, checkpoint or run a problem (and compare with its base), without Python",
  usage: `Usage: oneshot try MODEL_OR_RUN [--problem TEXT | --problem-file FILE] [options]

Streams the model's answer to one problem, run by ONNX Runtime in this process (no Python, no
GPU). The prompt is the one evaluation uses (the system prompt "Please reason step by step…"
and the model's chat template, or the run's prompt template and stop strings), so a greedy
answer here is the answer \`oneshot eval\` scored. On first use the model is exported to ONNX
(with the engine's Python environment) and the export is kept beside the checkpoint.

MODEL_OR_RUN is a model folder, a checkpoint (runs/ID/checkpoints/step-N) or a run (its best
checkpoint, else its last). Without --problem, a run's own example problem (and its answer) is asked.

  --problem TEXT       the problem
  --problem-file FILE  read the problem from a file ('-': standard input)
  --answer A           the reference answer: prints the verifier's verdict (\\boxed{} answers only,
                       as evaluation grades)
  --compare MODEL      also ask MODEL (a folder, checkpoint or run); 'base': the run's base model
  --greedy             greedy decoding (the default, as evaluation)
  --temperature T      sample at temperature T (0: greedy)
  --top-p P            nucleus sampling's mass (default 1)
  --seed N             sampling seed (default 0)
  --max-tokens N       at most N new tokens (default ${PAPER_MAX_TOKENS}, as evaluation)
  --quantize Q         run a quantised export (smaller, faster, slightly different answers): int8
                       (8-bit weights) or q4 (4-bit weights of the matrices); none (default)
  --threads N          ONNX Runtime's threads (default: its own choice)
  --json               print one JSON object with both answers instead of streaming text
  --python PATH        the Python that exports (default: $ONESHOT_PYTHON, then the venv)

Ctrl-C stops the answer being written; what was written so far is kept.`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        problem: { type: "string" },
        "problem-file": { type: "string" },
        answer: { type: "string" },
        compare: { type: "string" },
        greedy: { type: "boolean", default: false },
        temperature: { type: "string" },
        "top-p": { type: "string" },
        seed: { type: "string", default: "0" },
        "max-tokens": { type: "string" },
        quantize: { type: "string" },
        threads: { type: "string" },
        json: { type: "boolean", default: false },
        python: { type: "string" },
      },
    });
    if (positionals.length !== 1) throw new UsageError("give exactly one model, checkpoint or run");
    if (values.problem !== undefined && values["problem-file"] !== undefined) throw new UsageError("give --problem or --problem-file, not both");
    if (values.greedy && values.temperature !== undefined && Number(values.temperature) !== 0) throw new UsageError("--greedy and --temperature contradict each other");
    const topP = parseNumber(values["top-p"], "--top-p") ?? 1;
    if (topP <= 0 || topP > 1) throw new UsageError(`--top-p must be in (0, 1], not '${values["top-p"]}'`);
    const settings = {
      temperature: values.greedy ? 0 : (parseNumber(values.temperature, "--temperature") ?? 0),
      topP,
      seed: parseCount(values.seed, "--seed", 0)!,
      maxTokens: parseCount(values["max-tokens"], "--max-tokens") ?? PAPER_MAX_TOKENS,
    };
    const threads = parseCount(values.threads, "--threads");
    const quantize = parseQuantize(values.quantize);
    return userErrors(async () => {
      const target = resolveTarget(positionals[0]!, ctx.cwd);
      let problem = values.problem ?? (values["problem-file"] !== undefined ? readProblem(values["problem-file"], ctx) : undefined);
      let reference = values.answer;
      if (problem === undefined) {
        if (!target.example) throw new UsageError("give the problem with --problem TEXT or --problem-file FILE");
        problem = target.example.problem;
        reference ??= target.example.answer;
      }
      if (!problem.trim()) throw new UsageError("the problem is empty");
      const targets = [target];
      if (values.compare !== undefined) {
        if (values.compare === "base" && !target.base) throw new UsageError("--compare base needs a run or one of its checkpoints (a plain model has no base)");
        targets.push(baseTarget(target, values.compare === "base" ? target.base! : values.compare, ctx.cwd));
      }
      const exporting = exportOptions(ctx, values.python, quantize);
      const verifier = createVerifier({ kind: "math" }, { boxedOnly: true });
      const answers: { label: string; model: string; answer: TryAnswer }[] = [];
      for (const t of targets) {
        const { dir, exported } = await ensureExport(t.model, exportCacheRoot(ctx), {
          ...exporting,
          onProgress: (m) => (m.startsWith("loading") ? ctx.stderr.write(`Exporting ${t.label} to ONNX (first use)…\n`) : exporting.onProgress?.(m)),
        });
        if (exported) ctx.stderr.write(`export kept in ${dir}\n`);
        const model = await OnnxModel.load(dir, threads ? { threads } : {});
        try {
          if (!values.json) ctx.stdout.write(`── ${t.label} ──\n`);
          const a = await withCtrlC((signal) =>
            answer(model, t, { problem, reference, verifier, ...settings, signal, ...(values.json ? {} : { onText: (d: string) => ctx.stdout.write(d) }) }),
          );
          if (!values.json) ctx.stdout.write(`\n${describe(a)}\n\n`);
          answers.push({ label: t.label, model: t.model, answer: a });
        } finally {
          await model.dispose();
        }
      }
      if (values.json) ctx.stdout.write(JSON.stringify({ problem, ...(reference !== undefined ? { reference } : {}), settings, answers }) + "\n");
      return 0;
    });
  },
};

function readProblem(file: string, ctx: CliContext): string {
  try {
    return readFileSync(file === "-" ? 0 : path.resolve(ctx.cwd, file), "utf8");
  } catch (e) {
    throw new TryError(`cannot read the problem file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function describe(a: TryAnswer): string {
  const verdict = a.verdict ? `${a.verdict.correct ? "✓ correct" : "✗ incorrect"} (${a.verdict.reason})` : "";
  const stopped = { stop: "", length: ", hit the token limit", stop_string: ", stop string", aborted: ", stopped" }[a.finishReason];
  const speed = `${a.tokens} tokens${stopped}, first token ${Math.round(a.firstTokenMs)} ms, ${a.tokensPerSecond.toFixed(1)} tokens/s`;
  return [`answer: ${a.extracted ?? "(none found)"}`, verdict, `[${speed}]`].filter(Boolean).join("  ");
}

/** Runs `f` with a signal that Ctrl-C aborts (once; a second Ctrl-C then ends the process as usual). */
async function withCtrlC<T>(f: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onInt = () => ac.abort();
  process.once("SIGINT", onInt);
  try {
    return await f(ac.signal);
  } finally {
    process.removeListener("SIGINT", onInt);
  }
}
