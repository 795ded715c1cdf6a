// docs/reproduce.md, followed step by step: every command in its ```sh blocks runs, in order,
// through the real CLI and the real engine on the CPU. What changes, and why (the substitutions):
// - `oneshot …` runs in this process (`main`), from a scratch directory holding a copy of
//   examples/pi1.rlvr.md, so the run directory the page names lands there, not in the checkout.
// - The model is the built-in tiny one (examples/models/tiny-math) instead of
//   Qwen/Qwen2.5-Math-1.5B, and `oneshot train` gets --steps 1 and the small shapes below (on top
//   of the page's own options, which stay): the paper preset's 1,024 rollouts of 3,072 tokens are
//   days of GPU time.
// - The six benchmark presets become six files of three synthetic problems each, named after
//   the presets (so the report's six-benchmark average still applies): the presets download
//   from the hub, and this test has no network.
// - Set-up and download commands are not run (this checkout is set up already; no network):
//   the test checks they are exactly the known ones, so a new step on the page needs a decision
//   here too.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { main } from "../../../src/cli/main";
import { PRESETS } from "../../../src/core/example/presets";
import { captureCli } from "../cliContext";

const DOC = path.resolve("docs/reproduce.md");
const TINY = path.resolve("examples/models/tiny-math");
const SIX = ["math500", "aime24", "aime25", "amc23", "minerva", "olympiadbench"];
const NOT_RUN = ["npm ci", "node esbuild.mjs", "npm link", "oneshot setup", `.venv/bin/hf download ${PRESETS.paper.model}`];
const TINY_TRAIN = ["--steps", "1", "--set", `model=${TINY}`, "--set", "prompt_copies=2", "--set", "rollouts=2", "--set", "max_prompt_tokens=256", "--set", "max_response_tokens=24", "--set", "micro_batch_size=4", "--set", "dtype=float32", "--set", "optimizer_state=fp32", "--set", "kl_coef=0", "--set", "gradient_checkpointing=false", "--set", "eval_batch_size=9"];
const TINY_EVAL = ["--limit", "3", "--max-tokens", "24", "--batch-size", "9", "--device", "cpu", "--dtype", "float32"];

/** The page's shell commands, in order: one per line of each ```sh block (comments dropped). */
function shellCommands(markdown: string): string[] {
  const out: string[] = [];
  for (const m of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    for (const line of m[1].split("\n")) {
      const cmd = line.replace(/\s+#.*$/, "").trim();
      if (cmd) out.push(cmd);
    }
  }
  return out;
}

/** Words of a command line as a POSIX shell splits them (single and double quotes; no expansions on this page). */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

test("docs/reproduce.md runs step by step (tiny model, 1 step, CPU, 3 problems per benchmark)", { timeout: 120_000 }, async () => {
  const commands = shellCommands(readFileSync(DOC, "utf8"));
  assert.ok(commands.length >= 8, commands.join("\n"));
  const work = mkdtempSync(path.join(tmpdir(), "reproduce-"));
  mkdirSync(path.join(work, "examples"));
  copyFileSync(path.resolve("examples/pi1.rlvr.md"), path.join(work, "examples", "pi1.rlvr.md"));
  const benchDir = path.join(work, "bench");
  mkdirSync(benchDir);
  const synthetic = readFileSync(path.resolve("examples/bench/synthetic.jsonl"), "utf8").trim().split("\n");
  SIX.forEach((name, k) => writeFileSync(path.join(benchDir, `${name}.jsonl`), synthetic.slice(3 * k, 3 * k + 3).join("\n") + "\n"));
  const benchFile = (name: string) => (SIX.includes(name) ? path.join(benchDir, `${name}.jsonl`) : name);

  const ran: string[] = [];
  for (const line of commands) {
    if (NOT_RUN.includes(line)) continue;
    const [program, ...args] = words(line);
    assert.equal(program, "oneshot", `a command the test does not know how to run: ${line}`);
    let argv = args.map((a, i) => (args[i - 1] === "--bench" ? benchFile(a) : a));
    argv = argv.map((a) => a.replace(/^eval_benchmarks=\[(.*)\]$/, (_, list: string) => `eval_benchmarks=[${list.split(",").map((n) => benchFile(n.trim())).join(",")}]`));
    if (argv[0] === "train") argv = [...argv, ...TINY_TRAIN];
    if (argv[0] === "eval") argv = [...argv.map((a) => (a === PRESETS.paper.model ? TINY : a)), ...TINY_EVAL];
    const c = captureCli({ cwd: work, env: { ...process.env, OMP_NUM_THREADS: "1", HF_HUB_OFFLINE: "1" } });
    const code = await main(argv, c);
    assert.equal(code, 0, `${line}\n${c.err()}\n${c.out()}`);
    ran.push(argv[0]);
    if (argv[0] === "train" && argv.includes("--dry-run")) assert.match(c.out(), /Let's think step by step and output the final answer within \\boxed\{\}\./);
    if (argv[0] === "eval") for (const name of SIX) assert.match(c.out(), new RegExp(name, "i"));
  }
  assert.deepEqual(ran, ["train", "train", "runs", "eval", "eval", "report"]);
  const run = path.join(work, ".oneshot", "runs", "pi1-paper");
  const config = JSON.parse(readFileSync(path.join(run, "config.json"), "utf8")) as { preset: string; settings: { prompt_suffix: string } };
  assert.equal(config.preset, "paper");
  assert.equal(config.settings.prompt_suffix, PRESETS.paper.prompt_suffix);
  const report = readFileSync(path.join(run, "report.md"), "utf8");
  for (const name of SIX) assert.match(report, new RegExp(name, "i"));
  assert.match(report, /Average of the six/);
  assert.ok(existsSync(path.join(run, "report.html")));
});
