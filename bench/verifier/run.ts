// Verifier benchmark: grading throughput on one core for typical boxed answers, and latency on
// adversarial inputs. Writes bench/results/verifier-<date>.json.
//   node --import tsx bench/verifier/run.ts [--seconds 5] [--out FILE]
import { execSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as esbuild from "esbuild";
import { gradeBuiltin } from "../../src/core/verifier/grade";
import { createVerifier } from "../../src/core/verifier/index";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" }, out: { type: "string" } } });
const seconds = Number(values.seconds);

/** A deterministic pseudo-random stream, so runs are comparable. */
let seed = 12345;
const rnd = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % n;
};

const preamble =
  "To solve this problem, we first write down what we know. Let $x$ be the unknown quantity. " +
  "From the first condition, $2x + 3 = 11$, so $x = 4$. Substituting into the second condition gives " +
  "\\[ 3 \\cdot 4 + 1 = 13. \\] Wait, let me double-check the arithmetic: $3 \\times 4 = 12$ and $12 + 1 = 13$. ";

/** Typical (gold, answer) pairs: what a MATH-style training or eval batch looks like. */
function typicalPair(): [string, string] {
  const a = 1 + rnd(97);
  const b = 2 + rnd(50);
  switch (rnd(10)) {
    case 0:
    case 1:
    case 2:
      return [String(a * b), String(rnd(4) ? a * b : a * b + 1)];
    case 3:
      return [`\\frac{${a}}{${b}}`, rnd(2) ? `\\dfrac{${a}}{${b}}` : `${a}/${b}`];
    case 4:
      return [`${a}\\sqrt{${b}}`, rnd(2) ? `${a}\\sqrt{${b}}` : `\\sqrt{${a * a * b}}`];
    case 5:
      return [`(${a}, ${b})`, rnd(2) ? `(${a},${b})` : `(${b},${a})`];
    case 6:
      return [`[${-a}, ${b})`, `[${-a},${b})`];
    case 7:
      return [`${a}x^2 + ${b}x`, `x(${a}x+${b})`];
    case 8:
      return [`\\frac{${a}\\pi}{${b}}`, `\\frac{${a}}{${b}}\\pi`];
    default:
      return [`${(a / 4).toFixed(2)}`, `${(a / 4).toFixed(2)}`];
  }
}

/** CPU seconds this process used since `from`: robust to other processes sharing the cores. */
function cpuSeconds(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

function throughput() {
  const pairs = Array.from({ length: 5000 }, () => {
    const [gold, ans] = typicalPair();
    return [gold, `${preamble}Therefore, the final answer is $\\boxed{${ans}}$.`] as const;
  });
  for (let k = 0; k < 2000; k++) gradeBuiltin("math", pairs[k % pairs.length][1], pairs[k % pairs.length][0]); // warm-up
  let n = 0;
  let correct = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const stop = start + seconds * 1000;
  while (performance.now() < stop) {
    for (let k = 0; k < 500; k++) {
      const [gold, response] = pairs[n % pairs.length];
      if (gradeBuiltin("math", response, gold).correct) correct++;
      n++;
    }
  }
  const elapsed = (performance.now() - start) / 1000;
  return { verificationsPerSecond: Math.round(n / elapsed), perCpuSecond: Math.round(n / cpuSeconds(cpu0)), n, distinctPairs: pairs.length, correctRate: +(correct / n).toFixed(3) };
}

const adversarial: Record<string, [string, string]> = {
  "100k chars of text then a box": ["x".repeat(100_000) + " \\boxed{5}", "5"],
  "100k-char box content": ["\\boxed{" + "x".repeat(100_000) + "}", "5"],
  "50k nested braces in a box": ["\\boxed{" + "{".repeat(50_000) + "5" + "}".repeat(50_000) + "}", "5"],
  "100k unclosed braces": ["{".repeat(100_000) + "\\boxed{5}", "5"],
  "3000 nested fractions": ["\\boxed{" + "\\frac{1}{".repeat(3000) + "2" + "}".repeat(3000) + "}", "5"],
  "5000 nested parentheses": ["\\boxed{" + "(".repeat(5000) + "5" + ")".repeat(5000) + "}", "5"],
  "20k boxes": ["\\boxed{1} ".repeat(20_000), "1"],
  "20k-term sum": ["\\boxed{" + "1+".repeat(20_000) + "1}", "5"],
  "tower of exponents": ["\\boxed{2^{2^{2^{2^{2^{2}}}}}}", "5"],
  "10^(10^10)": ["\\boxed{10^{10^{10}}}", "5"],
  "1000!": ["\\boxed{1000!}", "5"],
  "100k dollar signs": ["\\boxed{" + "$".repeat(100_000) + "x}", "5"],
  "fallback phrase then 100k words": ["The answer is " + "a ".repeat(50_000), "5"],
  "30k-element list": ["\\boxed{" + "1,".repeat(30_000) + "1}", "5"],
  "64-element set vs set": ["\\boxed{\\{" + Array.from({ length: 64 }, (_, k) => k).join(",") + "\\}}", "\\{" + Array.from({ length: 64 }, (_, k) => 63 - k).join(",") + "\\}"],
  "symbolic polynomial of degree 200": ["\\boxed{(x+1)^{200}}", "(1+x)^{200}"],
  "many variables": ["\\boxed{" + "abcdefghjklmnopqrstuvwxyz".split("").join("+") + "}", "abcdefghjklmnopqrstuvwxyz".split("").reverse().join("+")],
  "1000-digit numbers": ["\\boxed{" + "9".repeat(1000) + "}", "9".repeat(999) + "8"],
  "1000 repeating digits": ["\\boxed{0.\\overline{" + "3".repeat(1000) + "}}", "\\frac{1}{3}"],
  "whitespace flood": ["\\boxed{5" + " ".repeat(100_000) + "}", "5"],
  // values past the double range: exact comparison at rational points, capped in size
  "x^{3001} vs x^{3000}": ["\\boxed{x^{3001}}", "x^{3000}"],
  "product of 380 powers x^{4095}": ["\\boxed{" + "x^{4095}".repeat(380) + "}", "x^{5}"],
};

function adversarialLatency(reps: number) {
  const rows: Record<string, { p50_ms: number; p99_ms: number; max_ms: number }> = {};
  const all: number[] = [];
  const cpu: number[] = [];
  for (const [name, [response, gold]] of Object.entries(adversarial)) {
    const times: number[] = [];
    for (let k = 0; k < reps; k++) {
      const c = process.cpuUsage();
      const t = performance.now();
      gradeBuiltin("math", response, gold);
      times.push(performance.now() - t);
      cpu.push(cpuSeconds(c) * 1000);
    }
    times.sort((a, b) => a - b);
    all.push(...times);
    rows[name] = { p50_ms: round(times[Math.floor(reps / 2)]), p99_ms: round(times[Math.min(reps - 1, Math.floor(reps * 0.99))]), max_ms: round(times[reps - 1]) };
  }
  all.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return {
    reps,
    overall_p99_ms: round(all[Math.floor(all.length * 0.99)]),
    overall_max_ms: round(all[all.length - 1]),
    overall_cpu_p99_ms: round(cpu[Math.floor(cpu.length * 0.99)]),
    cases: rows,
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function cpuModel(): string {
  try {
    const m = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? "unknown";
}

function commit(): string {
  try {
    const dirty = execSync("git status --porcelain -- src/core/verifier bench/verifier", { encoding: "utf8" }).trim() ? "+dirty" : "";
    return execSync("git rev-parse HEAD", { encoding: "utf8" }).trim() + dirty;
  } catch {
    return "unknown";
  }
}

/** Every response answer new (nothing cached but the gold), as when a policy is still exploring. */
function uniqueThroughput() {
  const golds = Array.from({ length: 8 }, () => typicalPair()[0]);
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const stop = start + seconds * 1000;
  while (performance.now() < stop) {
    for (let k = 0; k < 200; k++) {
      const a = 1 + rnd(1_000_000);
      const b = 2 + rnd(1_000_000);
      const ans = [`${a}`, `\\frac{${a}}{${b}}`, `${a}\\sqrt{${b}}`, `(${a}, ${b})`, `${a}x+${b}`][k % 5];
      gradeBuiltin("math", `${preamble}Therefore, the final answer is $\\boxed{${ans}}$.`, golds[k % golds.length]);
      n++;
    }
  }
  return { verificationsPerSecond: Math.round(n / ((performance.now() - start) / 1000)), perCpuSecond: Math.round(n / cpuSeconds(cpu0)), n };
}

/** A custom verifier (sandbox process) grading through gradeMany, as training does. */
async function customThroughput() {
  const dir = path.join(os.tmpdir(), `oneshot-bench-${process.pid}`);
  const sandboxPath = path.join(dir, "verifier-sandbox.cjs");
  await esbuild.build({ entryPoints: ["src/core/verifier/sandbox/child.ts"], bundle: true, platform: "node", format: "cjs", outfile: sandboxPath, logLevel: "silent" });
  const source = "export default (response, answer, h) => (h.equal(h.extract(response), answer) ? 1 : 0)";
  const v = createVerifier({ kind: "custom", source }, { sandboxPath });
  const startT = performance.now();
  await v.grade("\\boxed{1}", "1");
  const startMs = performance.now() - startT;
  const items = Array.from({ length: 3000 }, () => {
    const [gold, ans] = typicalPair();
    return { response: `${preamble}Therefore, the final answer is $\\boxed{${ans}}$.`, answer: gold };
  });
  const cpu0 = sandboxCpuSeconds(sandboxPath);
  const t = performance.now();
  await v.gradeMany(items);
  const rate = Math.round(items.length / ((performance.now() - t) / 1000));
  const cpu = sandboxCpuSeconds(sandboxPath);
  await v.dispose();
  rmSync(dir, { recursive: true, force: true });
  const perSandboxCpuSecond = cpu0 === null || cpu === null || cpu <= cpu0 ? null : Math.round(items.length / (cpu - cpu0));
  return {
    callsPerSecond: rate,
    perSandboxCpuSecond,
    n: items.length,
    firstCallMs: round(startMs),
    note: "sandbox process start + load in firstCallMs; two processes (host and sandbox) share the cores; perSandboxCpuSecond counts the sandbox process's CPU time (Linux /proc), comparable under load",
  };
}

/** CPU seconds used so far by the sandbox processes running this bundle (Linux), else null. */
function sandboxCpuSeconds(bundle: string): number | null {
  if (process.platform !== "linux") return null;
  let total = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(bundle)) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      total += (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

const loadAtStart = os.loadavg().map((x) => +x.toFixed(2));
const tp = throughput();
const unique = uniqueThroughput();
const adv = adversarialLatency(50);
const custom = await customThroughput();
const date = new Date().toISOString();
const result = {
  benchmark: "verifier",
  date,
  device: { cpu: cpuModel(), cores_used: 1, node: process.version, platform: `${os.platform()} ${os.arch()}`, cores: os.cpus().length },
  // other processes share this machine: rates per CPU-second are the comparable numbers
  load_average_at_start: loadAtStart,
  command: "node --import tsx bench/verifier/run.ts" + (values.seconds !== "5" ? ` --seconds ${values.seconds}` : ""),
  commit: commit(),
  typical: { ...tp, goal: 5000, note: "math verifier on step-by-step responses ending in \\boxed{}; every (gold, response) pair distinct within a cycle of 5000" },
  unique_answers: { ...unique, note: "every response answer different (parse cache misses), 8 gold answers" },
  adversarial: adv,
  custom_verifier: custom,
};
const out = values.out ?? path.join("bench", "results", `verifier-${date.slice(0, 10)}.json`);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
console.log(`load average at start: ${loadAtStart.join(" ")} (${os.cpus().length} cores)`);
console.log(`typical: ${tp.verificationsPerSecond} verifications/s wall, ${tp.perCpuSecond} per CPU-second (${tp.n} in ${seconds} s)`);
console.log(`unique answers: ${unique.verificationsPerSecond} verifications/s wall, ${unique.perCpuSecond} per CPU-second`);
console.log(`adversarial: p99 ${adv.overall_p99_ms} ms (CPU p99 ${adv.overall_cpu_p99_ms} ms), max ${adv.overall_max_ms} ms over ${Object.keys(adversarial).length} cases × ${adv.reps}`);
for (const [name, r] of Object.entries(adv.cases)) console.log(`  ${name.padEnd(40)} p50 ${r.p50_ms} ms  p99 ${r.p99_ms} ms`);
console.log(`custom verifier: ${custom.callsPerSecond} calls/s through gradeMany, ${custom.perSandboxCpuSecond ?? "?"} per sandbox CPU-second (first call ${custom.firstCallMs} ms)`);
console.log(`wrote ${out}`);
