import { createReadStream, readFileSync } from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { parseArgs } from "node:util";
import type { VerifierOptions, VerifierSpec, VerifyResult } from "../../core/verifier/index";
import { createVerifier } from "../../core/verifier/index";
import { BUILTIN_KINDS, isBuiltinKind, looksLikeKindName, unknownKind } from "../../core/verifier/kinds";
import type { CliContext, Command } from "../command";
import { UsageError, UserError } from "../command";
import { VerifierPool } from "../verifierPool";

export const verifyCommand: Command = {
  name: "verify",
  summary: "Check model answers against a reference answer, as training rewards them",
  usage: `Usage: oneshot verify --gold ANSWER --response-file FILE [options]
       oneshot verify --jsonl FILE [options]

Checks whether a model's response ends with the right answer, using the same verifier that
gives rewards during training and scores benchmarks. The answer is taken from the last
\\boxed{…} (or "The final answer is …", "Answer: …" when there is no box) and compared
mathematically: 3.5, 7/2 and \\frac{7}{2} are the same answer.

One response:
  --gold ANSWER          the reference answer, e.g. '\\frac{7}{2}' or '(0, 1]'
  --response-file FILE   the model's full response ('-' reads standard input)
  --response TEXT        the response itself, instead of a file
  --json                 print the result as one JSON line instead of a sentence
  Exit code 0 when the answer is correct, 1 when it is not.

Many responses:
  --jsonl FILE           one JSON object per line with "gold" and "response", and optionally
                         "verifier" (a kind below, or the JavaScript of a custom verifier).
                         '-' reads standard input. Prints one line per input line, in order:
                         {"correct": true, "reward": 1, "extracted": "7/2", "reason": "…"}
                         A line that cannot be read gives "correct": false with the reason.

Verifier:
  --verifier KIND        math (default), numeric, exact (same text) or choice (A–J)
  --verifier-file FILE   a custom verifier: JavaScript that exports
                         (response, answer, helpers) => reward between 0 and 1
  --timeout MS           time limit for one custom-verifier call (default 2000)
  --memory MB            memory limit of the custom-verifier process (default 128)
  --boxed-only           count only a final answer inside \\boxed{} (the training reward's rule);
                         "The answer is 7." then scores 0`,
  async run(args, ctx) {
    const { values } = parseArgs({
      args,
      options: {
        gold: { type: "string" },
        response: { type: "string" },
        "response-file": { type: "string" },
        jsonl: { type: "string" },
        verifier: { type: "string" },
        "verifier-file": { type: "string" },
        timeout: { type: "string" },
        memory: { type: "string" },
        json: { type: "boolean", default: false },
        "boxed-only": { type: "boolean", default: false },
      },
    });
    const options: VerifierOptions = {
      timeoutMs: positive(values.timeout, "--timeout"),
      memoryMb: positive(values.memory, "--memory"),
      sandboxPath: ctx.env.ONESHOT_VERIFIER_SANDBOX ?? path.join(ctx.installDir, "verifier-sandbox.cjs"),
      boxedOnly: values["boxed-only"],
    };
    const defaultSpec = specFromOptions(values.verifier, values["verifier-file"], ctx);
    const pool = new VerifierPool(options, createVerifier);
    try {
      if (values.jsonl !== undefined) {
        if (values.gold !== undefined || values.response !== undefined || values["response-file"] !== undefined) {
          throw new UsageError("--jsonl reads gold answers and responses from the file; leave out --gold and --response");
        }
        await verifyJsonl(values.jsonl, defaultSpec, pool, ctx);
        return 0;
      }
      if (values.gold === undefined) throw new UsageError("give --gold ANSWER with --response-file FILE, or --jsonl FILE");
      const response = values.response ?? (values["response-file"] !== undefined ? readText(values["response-file"], ctx) : undefined);
      if (response === undefined) throw new UsageError("give the model's response with --response-file FILE or --response TEXT");
      const r = await (await pool.get(defaultSpec)).grade(response, values.gold);
      if (values.json) ctx.stdout.write(JSON.stringify(outputLine(r)) + "\n");
      else {
        const found = r.extracted === null ? "no answer found" : `answer found: ${r.extracted}`;
        ctx.stdout.write(`${r.correct ? "correct" : "incorrect"} (reward ${r.reward}): ${r.reason}; ${found}\n`);
      }
      return r.correct ? 0 : 1;
    } finally {
      await pool.dispose();
    }
  },
};

function positive(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} needs a positive number, not '${v}'`);
  return n;
}

function readText(file: string, ctx: CliContext): string {
  try {
    return readFileSync(file === "-" ? 0 : path.resolve(ctx.cwd, file), "utf8");
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function specFromOptions(kind: string | undefined, file: string | undefined, ctx: CliContext): VerifierSpec {
  if (kind !== undefined && file !== undefined) throw new UsageError("give either --verifier or --verifier-file, not both");
  if (file !== undefined) return { kind: "custom", source: readText(file, ctx) };
  if (kind === undefined) return { kind: "math" };
  if (!isBuiltinKind(kind)) throw new UsageError(unknownKind(kind, "--verifier-file"));
  return { kind };
}

/** A line's "verifier": a kind name, the source of a custom verifier, or {kind, source}. */
function specFromLine(v: unknown, fallback: VerifierSpec): VerifierSpec | string {
  if (v === undefined || v === null) return fallback;
  if (typeof v === "string") {
    if (isBuiltinKind(v)) return { kind: v };
    if (v === "custom") return "\"verifier\": \"custom\" needs the source: {\"kind\": \"custom\", \"source\": \"…\"}";
    // a lone word is a misspelt kind, never JavaScript to run
    if (looksLikeKindName(v)) return unknownKind(v, "a custom verifier's source");
    return { kind: "custom", source: v };
  }
  if (typeof v === "object") {
    const o = v as { kind?: unknown; source?: unknown };
    if (o.kind === "custom" && typeof o.source === "string") return { kind: "custom", source: o.source };
    if (typeof o.kind === "string" && isBuiltinKind(o.kind)) return { kind: o.kind };
    if (typeof o.kind === "string" && looksLikeKindName(o.kind)) return unknownKind(o.kind, "custom with a source");
  }
  return `"verifier" must be one of ${BUILTIN_KINDS.join(", ")} or a custom verifier's source`;
}

function outputLine(r: VerifyResult): Record<string, unknown> {
  const out: Record<string, unknown> = { correct: r.correct, reward: r.reward, extracted: r.extracted, reason: r.reason };
  if (r.error !== undefined) out.error = r.error;
  return out;
}

function malformed(reason: string): Record<string, unknown> {
  return { correct: false, reward: 0, extracted: null, reason };
}

async function verifyJsonl(file: string, fallback: VerifierSpec, pool: VerifierPool, ctx: CliContext): Promise<void> {
  const input = file === "-" ? process.stdin : createReadStream(path.resolve(ctx.cwd, file), { encoding: "utf8" });
  const opened = new Promise<void>((resolve, reject) => {
    if (file === "-") resolve();
    input.once("error", (e: NodeJS.ErrnoException) => reject(new UserError(`cannot read ${file}: ${e.code ?? e.message}`)));
    input.once("readable", () => resolve());
    input.once("end", () => resolve());
  });
  await opened;
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    ctx.stdout.write(JSON.stringify(await gradeLine(line, n, fallback, pool)) + "\n");
  }
}

async function gradeLine(line: string, n: number, fallback: VerifierSpec, pool: VerifierPool): Promise<Record<string, unknown>> {
  if (!line.trim()) return malformed(`line ${n} is empty`);
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return malformed(`line ${n} is not valid JSON`);
  }
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return malformed(`line ${n} is not a JSON object`);
  const o = obj as Record<string, unknown>;
  const gold = o.gold ?? o.answer;
  if (typeof gold !== "string" && typeof gold !== "number") return malformed(`line ${n} has no "gold" answer (a string)`);
  if (typeof o.response !== "string") return malformed(`line ${n} has no "response" (a string)`);
  const spec = specFromLine(o.verifier, fallback);
  if (typeof spec === "string") return malformed(`line ${n}: ${spec}`);
  return outputLine(await (await pool.get(spec)).grade(o.response, String(gold)));
}
