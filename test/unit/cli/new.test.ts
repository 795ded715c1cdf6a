// `oneshot new`: the command-line twin of "New Example from Dataset…".
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { main } from "../../../src/cli/main";
import { parseExample } from "../../../src/core/example/parse";
import { captureCli } from "../cliContext";

const FIXTURES = path.resolve("test/fixtures/datasets");
const PI1 =
  "The pressure \\( P \\) exerted by wind on a sail varies jointly as the area \\( A \\) of the sail and the cube of the wind's velocity \\( V \\). When the velocity is \\( 8 \\) miles per hour, the pressure on a sail of \\( 2 \\) square feet is \\( 4 \\) pounds. Find the wind velocity when the pressure on \\( 4 \\) square feet of sail is \\( 32 \\) pounds.";

/** A folder holding a copy of a fixture dataset; commands run there. */
function workdir(fixture = "verl.parquet"): string {
  const dir = mkdtempSync(path.join(tmpdir(), "oneshot-new-"));
  copyFileSync(path.join(FIXTURES, fixture), path.join(dir, fixture));
  return dir;
}

async function run(dir: string, ...args: string[]) {
  const c = captureCli({ cwd: dir });
  const code = await main(["new", ...args], c);
  return { code, out: c.out(), err: c.err() };
}

test("--list shows what the picker shows: row, id, answer and the problem's first words", async () => {
  const dir = workdir();
  const r = await run(dir, "verl.parquet", "--list");
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split("\n");
  assert.match(lines[0]!, /^row\s+id\s+answer\s+problem$/);
  assert.match(lines[1]!, /^1\s+17\s+12\.8\s+The pressure \\\( P \\\) exerted by wind on a sail varies joint…$/);
  assert.match(lines[2]!, /^2\s+3\s+4\s+How many primes are below \$10\$\?$/);
  assert.match(lines[3]!, /^3\s+42\s+\\frac\{5\}\{6\}\s+Compute/);
  assert.match(r.out, /^3 problems\. `oneshot new DATASET --row N` writes one as an example\.$/m);

  const j = await run(dir, "verl.parquet", "--list", "--json");
  assert.deepEqual(
    (JSON.parse(j.out) as { row: number; id: string; answer: string }[]).map((x) => [x.row, x.id, x.answer]),
    [
      [1, "17", "12.8"],
      [2, "3", "4"],
      [3, "42", "\\frac{5}{6}"],
    ],
  );
});

test("--id writes the example file the editor command writes, and refuses to overwrite it without --force", async () => {
  const dir = workdir();
  const r = await run(dir, "verl.parquet", "--id", "17", "--out", "pi1.rlvr.md", "--preset", "paper");
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, "Wrote pi1.rlvr.md (row 1, id 17, answer 12.8).\n");
  const text = readFileSync(path.join(dir, "pi1.rlvr.md"), "utf8");
  assert.equal(text, `---\nanswer: '12.8'\nverifier: math\npreset: paper\nsource: verl.parquet row 1\n---\n${PI1}\n`);
  const parsed = parseExample(text, "pi1.rlvr.md");
  assert.deepEqual(parsed.diagnostics, []);

  writeFileSync(path.join(dir, "pi1.rlvr.md"), "mine");
  const again = await run(dir, "verl.parquet", "--row", "2", "--out", "pi1.rlvr.md");
  assert.equal(again.code, 1);
  assert.equal(again.err, "oneshot new: pi1.rlvr.md already exists: choose another --out, or add --force to overwrite it.\n");
  assert.equal(readFileSync(path.join(dir, "pi1.rlvr.md"), "utf8"), "mine");
  const forced = await run(dir, "verl.parquet", "--row", "2", "--out", "pi1.rlvr.md", "--force");
  assert.equal(forced.code, 0, forced.err);
  assert.match(readFileSync(path.join(dir, "pi1.rlvr.md"), "utf8"), /^---\nanswer: '4'\nverifier: math\npreset: local\nsource: verl\.parquet row 2\n---\nHow many primes are below \$10\$\?\n$/);
});

test("without --out the file is named after the problem, beside the existing ones, never over them", async () => {
  const dir = workdir("plain.jsonl");
  assert.equal((await run(dir, "plain.jsonl", "--row", "3")).out, "Wrote solve.rlvr.md (row 3, id test/algebra/3.json, answer \\frac{7}{2}).\n");
  assert.equal((await run(dir, "plain.jsonl", "--row", "3")).out, "Wrote solve-2.rlvr.md (row 3, id test/algebra/3.json, answer \\frac{7}{2}).\n");
});

test("a row or id that is not there is one sentence with what there is", async () => {
  const dir = workdir();
  assert.deepEqual(await run(dir, "verl.parquet", "--row", "9"), { code: 1, out: "", err: "oneshot new: verl.parquet has no row 9: its problems are on rows 1 to 3.\n" });
  assert.deepEqual(await run(dir, "verl.parquet", "--row", "0"), { code: 1, out: "", err: "oneshot new: verl.parquet has no row 0: its problems are on rows 1 to 3.\n" });
  assert.deepEqual(await run(dir, "verl.parquet", "--id", "5"), { code: 1, out: "", err: "oneshot new: verl.parquet has no problem with id '5': its 3 ids are 17, 3, 42.\n" });
  const both = await run(dir, "verl.parquet", "--id", "5", "--row", "1");
  assert.equal(both.code, 2);
  assert.match(both.err, /^oneshot new: --row and --id do not go together\. Run/);
  assert.equal((await run(dir, "verl.parquet", "--row", "1", "--preset", "fast")).err.split(".")[0], "oneshot new: --preset must be paper, local, lora, cpu-demo, not 'fast'");
});

test("a row without an answer needs --answer", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "oneshot-new-"));
  writeFileSync(path.join(dir, "q.jsonl"), JSON.stringify({ question: "What is $2+2$?" }) + "\n");
  assert.deepEqual(await run(dir, "q.jsonl", "--row", "1"), { code: 1, out: "", err: "oneshot new: row 1 of q.jsonl has no reference answer: give one with --answer.\n" });
  const r = await run(dir, "q.jsonl", "--row", "1", "--answer", "4", "--out", "q.rlvr.md");
  assert.equal(r.code, 0, r.err);
  assert.match(readFileSync(path.join(dir, "q.rlvr.md"), "utf8"), /^answer: '4'$/m);
});

test("a benchmark preset works too: the built-in synthetic set, its file named as the source", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "oneshot-new-"));
  const r = await run(dir, "synthetic", "--row", "1", "--out", "s.rlvr.md");
  assert.equal(r.code, 0, r.err);
  assert.match(readFileSync(path.join(dir, "s.rlvr.md"), "utf8"), /^source: synthetic\.jsonl row 1$/m);
  assert.match((await run(dir, "synthetic", "--list")).out, /^320 problems\./m);
});
