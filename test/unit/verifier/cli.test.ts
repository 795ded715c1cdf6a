import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as esbuild from "esbuild";
import { main } from "../../../src/cli/main";
import { captureCli, type CapturedCli } from "../cliContext";

let dir = "";

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "oneshot-verify-"));
  await esbuild.build({
    entryPoints: ["src/core/verifier/sandbox/child.ts"],
    bundle: true,
    platform: "node",
    format: "cjs",
    outfile: path.join(dir, "verifier-sandbox.cjs"),
    logLevel: "silent",
  });
});

after(() => rmSync(dir, { recursive: true, force: true }));

function ctx(): CapturedCli {
  return captureCli({ installDir: dir, cwd: dir, env: {} });
}

test("verify --jsonl writes one line per input line, in order, malformed lines included", async () => {
  const lines = [
    JSON.stringify({ gold: "\\frac{7}{2}", response: "So the answer is $\\boxed{3.5}$." }),
    "{not json",
    "",
    JSON.stringify({ gold: "5", response: "\\boxed{1} \\boxed{5}" }),
    JSON.stringify({ gold: "5" }),
    JSON.stringify({ gold: "C", response: "Answer: (C)", verifier: "choice" }),
    JSON.stringify({ gold: "5", response: "\\boxed{5}", verifier: "export default (r, a, h) => (h.equal(h.extract(r), a) ? 1 : 0)" }),
    JSON.stringify({ gold: "5", response: "\\boxed{5}", verifier: "export default () => { throw new Error('bad verifier'); }" }),
    JSON.stringify([1, 2]),
  ];
  const file = path.join(dir, "in.jsonl");
  writeFileSync(file, lines.join("\n") + "\n");
  const c = ctx();
  assert.equal(await main(["verify", "--jsonl", "in.jsonl"], c), 0);
  const out = c.out().trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(out.length, lines.length);
  assert.deepEqual(out.map((o) => o.correct), [true, false, false, false, false, true, true, false, false]);
  assert.deepEqual(Object.keys(out[0]), ["correct", "reward", "extracted", "reason"]);
  assert.equal(out[0].extracted, "3.5");
  assert.match(out[1].reason, /line 2 is not valid JSON/);
  assert.match(out[2].reason, /line 3 is empty/);
  assert.match(out[3].reason, /different boxed answers/);
  assert.match(out[4].reason, /no "response"/);
  assert.match(out[7].error, /bad verifier/);
  assert.match(out[8].reason, /not a JSON object/);
});

test("verify --gold with a response file prints a sentence and exits 0 or 1", async () => {
  const file = path.join(dir, "response.txt");
  writeFileSync(file, "Adding up, we get $\\boxed{x = 12}$.");
  let c = ctx();
  assert.equal(await main(["verify", "--gold", "12", "--response-file", file], c), 0);
  assert.match(c.out(), /^correct \(reward 1\): .*answer found: x = 12\n$/);
  c = ctx();
  assert.equal(await main(["verify", "--gold", "13", "--response-file", file, "--json"], c), 1);
  assert.deepEqual(Object.keys(JSON.parse(c.out())), ["correct", "reward", "extracted", "reason"]);
});

test("verify: usage mistakes are one sentence and exit 2", async () => {
  let c = ctx();
  assert.equal(await main(["verify", "--gold", "1"], c), 2);
  assert.match(c.err(), /^oneshot verify: give the model's response/);
  c = ctx();
  assert.equal(await main(["verify", "--jsonl", "x", "--verifier", "fuzzy"], c), 2);
  assert.match(c.err(), /unknown verifier 'fuzzy'/);
  c = ctx();
  assert.equal(await main(["verify", "--jsonl", "missing.jsonl"], c), 1);
  assert.match(c.err(), /cannot read missing.jsonl: ENOENT/);
});

test("verify: a misspelt kind is refused with a suggestion, never run as JavaScript", async () => {
  const file = path.join(dir, "typo.jsonl");
  const lines = [
    { gold: "5", response: "\\boxed{5}", verifier: "mth" },
    { gold: "5", response: "\\boxed{5}", verifier: "boxed-only" },
    { gold: "5", response: "\\boxed{5}", verifier: { kind: "numerc" } },
    { gold: "5", response: "\\boxed{5}", verifier: "math" },
  ];
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  let c = ctx();
  assert.equal(await main(["verify", "--jsonl", file], c), 0);
  const out = c.out().trim().split("\n").map((l) => JSON.parse(l));
  assert.match(out[0].reason, /line 1: unknown verifier 'mth': did you mean 'math'\?/);
  assert.match(out[1].reason, /line 2: unknown verifier 'boxed-only'/);
  assert.match(out[2].reason, /unknown verifier 'numerc': did you mean 'numeric'\?/);
  assert.deepEqual(out.map((o) => o.error), [undefined, undefined, undefined, undefined], "nothing was run as a custom verifier");
  assert.equal(out[3].correct, true);
  c = ctx();
  assert.equal(await main(["verify", "--gold", "1", "--response", "1", "--verifier", "exat"], c), 2);
  assert.match(c.err(), /unknown verifier 'exat': did you mean 'exact'\?/);
});

test("verify --jsonl with many distinct custom verifiers keeps at most a few sandboxes open", async () => {
  const file = path.join(dir, "many.jsonl");
  const lines = Array.from({ length: 10 }, (_, k) => JSON.stringify({ gold: "1", response: `\\boxed{${k % 2}}`, verifier: `export default (r) => (r.includes("{1}") ? 1 : 0); // ${k}` }));
  writeFileSync(file, lines.join("\n") + "\n");
  const before = sandboxProcesses();
  let most = 0;
  const timer = setInterval(() => (most = Math.max(most, sandboxProcesses() - before)), 20);
  const c = ctx();
  try {
    assert.equal(await main(["verify", "--jsonl", file], c), 0);
  } finally {
    clearInterval(timer);
  }
  assert.deepEqual(c.out().trim().split("\n").map((l) => JSON.parse(l).reward), lines.map((_, k) => k % 2));
  assert.ok(most <= 4, `${most} sandbox processes were open at once`);
  assert.equal(sandboxProcesses(), before, "all sandboxes end with the command");
});

/** Sandbox processes started from this test's bundle, counted from /proc (Linux). */
function sandboxProcesses(): number {
  const bundle = path.join(dir, "verifier-sandbox.cjs");
  let n = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(bundle)) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}
