import assert from "node:assert/strict";
import { test } from "node:test";
import { parseExample } from "../../../src/core/example/parse";

const F = "ex.rlvr.md";
const errorsOf = (text: string) => parseExample(text, F).diagnostics.filter((d) => d.severity === "error");

test("a well-formed file yields front matter, problem and no diagnostics", () => {
  const r = parseExample("---\nanswer: '\\frac{7}{2}'\nsteps: 20\n---\nA pipe fills $\\frac{2}{7}$ of a tank.\n", F);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.example?.frontMatter.answer, "\\frac{7}{2}");
  assert.equal(r.example?.frontMatter.steps, 20);
  assert.equal(r.example?.problem, "A pipe fills $\\frac{2}{7}$ of a tank.");
  assert.equal(r.example?.verifierSource, undefined);
});

test("the verifier block is taken out of the problem and kept with its line", () => {
  const text = "---\nanswer: 4\nverifier: custom\n---\nWhat is 2+2?\n\n```verifier\nfunction verify(r, a) { return r.includes(a) ? 1 : 0; }\n```\n";
  const r = parseExample(text, F);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.example?.problem, "What is 2+2?");
  assert.equal(r.example?.verifierSource, "function verify(r, a) { return r.includes(a) ? 1 : 0; }");
  assert.equal(r.example?.verifierLine, 7);
});

test("missing front matter is reported at line 1", () => {
  const [d] = errorsOf("What is 2+2?\n");
  assert.equal(d.line, 1);
  assert.match(d.message, /must start with a YAML front matter/);
});

test("an unclosed front matter says how to close it", () => {
  const [d] = errorsOf("---\nanswer: 4\nWhat is 2+2?\n");
  assert.match(d.message, /not closed: add a line `---`/);
});

test("YAML syntax errors point at their line inside the file", () => {
  const ds = errorsOf("---\nanswer: 4\nsteps: [1, 2\nlr: 1\n---\nQ\n");
  assert.ok(ds.length >= 1);
  assert.ok(ds.every((d) => d.line >= 3 && d.line <= 5), JSON.stringify(ds));
  assert.match(ds[0].message, /^Invalid YAML/);
});

test("a wrongly typed value is reported at the value's line and column with what is valid", () => {
  const ds = errorsOf("---\nanswer: 4\nsteps: many\n---\nQ\n");
  assert.equal(ds.length, 1);
  assert.deepEqual([ds[0].line, ds[0].column], [3, 8]);
  assert.equal(ds[0].message, '`steps` must be a whole number (got "many")');
});

test("an enum value lists the valid choices", () => {
  const [d] = errorsOf("---\nanswer: 4\nverifier: fuzzy\n---\nQ\n");
  assert.equal(d.line, 3);
  assert.match(d.message, /`verifier` must be one of math, numeric, exact, choice, custom \(got "fuzzy"\)/);
  assert.doesNotMatch(d.message, /did you mean/);
});

test("a misspelt verifier kind gets a suggestion, and is not taken for a custom verifier", () => {
  const [d] = errorsOf("---\nanswer: 4\nverifier: mth\n---\nQ\n\n```verifier\nexport default () => 1\n```\n");
  assert.equal(d.line, 3);
  assert.match(d.message, /`verifier` must be one of math, .* \(got "mth"\): did you mean `math`\?/);
});

test("an unknown key is reported at the key with a suggestion", () => {
  const [d] = errorsOf("---\nanswer: 4\n\nstpes: 3\n---\nQ\n");
  assert.deepEqual([d.line, d.column, d.endColumn], [4, 1, 6]);
  assert.match(d.message, /Unknown key `stpes`: did you mean `steps`\?/);
});

test("the removed fp32_master names its replacement, optimizer_state", () => {
  const [d] = errorsOf("---\nanswer: 4\nfp32_master: true\n---\nQ\n");
  assert.equal(d.line, 3);
  assert.equal(d.message, "`fp32_master` was replaced by `optimizer_state`: use optimizer_state: fp32 (what fp32_master: true did), compact or auto");
  assert.deepEqual(errorsOf("---\nanswer: 4\noptimizer_state: compact\n---\nQ\n"), []);
  assert.match(errorsOf("---\nanswer: 4\noptimizer_state: fp16\n---\nQ\n")[0].message, /`optimizer_state` must be one of auto, fp32, compact/);
});

test("bounds are stated", () => {
  const ds = errorsOf("---\nanswer: 4\nrollouts: 1\ntemperature: 0\n---\nQ\n");
  assert.deepEqual(
    ds.map((d) => [d.line, d.message]),
    [
      [3, "`rollouts` must be ≥ 2 (got 1)"],
      [4, "`temperature` must be > 0 (got 0)"],
    ],
  );
});

test("a value that is neither `auto` nor a whole number in range gets one sentence naming both", () => {
  for (const bad of ["0", "big", "1.5", "20000"]) {
    const ds = errorsOf(`---\nanswer: 4\nrollout_wave_size: ${bad}\n---\nQ\n`);
    assert.deepEqual(
      ds.map((d) => [d.line, d.message]),
      [[3, `\`rollout_wave_size\` must be auto or a whole number ≥ 1 and ≤ 16384 (got ${bad === "big" ? '"big"' : bad})`]],
    );
  }
  assert.deepEqual(errorsOf("---\nanswer: 4\nrollout_wave_size: auto\n---\nQ\n"), []);
  assert.deepEqual(errorsOf("---\nanswer: 4\nrollout_wave_size: 256\n---\nQ\n"), []);
});

test("a missing answer and a missing problem are both reported", () => {
  const ds = errorsOf("---\nsteps: 3\n---\n\n");
  assert.equal(ds.length, 2);
  assert.match(ds[0].message, /`answer` is missing/);
  assert.equal(ds[0].line, 1);
  assert.match(ds[1].message, /problem text is missing/);
});

test("verifier: custom without a block, and an unclosed block, are errors at their lines", () => {
  const a = errorsOf("---\nanswer: 4\nverifier: custom\n---\nQ\n");
  assert.equal(a[0].line, 3);
  assert.match(a[0].message, /needs a fenced ```verifier block/);
  const b = errorsOf("---\nanswer: 4\n---\nQ\n```verifier\nreturn 1\n");
  assert.equal(b[0].line, 5);
  assert.match(b[0].message, /not closed/);
});

test("a block that the front matter overrides is an error, not silently ignored", () => {
  const [d] = errorsOf("---\nanswer: 4\nverifier: math\n---\nQ\n~~~verifier\nreturn 1\n~~~\n");
  assert.equal(d.line, 6);
  assert.match(d.message, /set `verifier: custom`/);
});

test("duplicate keys are YAML errors with a line", () => {
  const ds = errorsOf("---\nanswer: 4\nanswer: 5\n---\nQ\n");
  assert.equal(ds[0].line, 3);
});

test("a nested bad item points at the item", () => {
  const [d] = errorsOf("---\nanswer: 4\nadam_betas:\n  - 0.9\n  - 1.5\n---\nQ\n");
  assert.equal(d.line, 5);
  assert.match(d.message, /`adam_betas.1` must be < 1/);
});

test("a YAML alias bomb is a file:line error, not an internal error", () => {
  const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
  for (const [prev, name] of [["a", "b"], ["b", "c"], ["c", "d"], ["d", "e"], ["e", "f"]]) levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
  const ds = errorsOf(`---\nanswer: 4\n${levels.join("\n")}\n---\nQ\n`);
  assert.equal(ds.length, 1);
  assert.equal(ds[0].line, 4);
  assert.match(ds[0].message, /expands YAML aliases \(\*name\) more than 100 times/);
});

test(".nan and .inf are named as written, not as null", () => {
  const ds = errorsOf("---\nanswer: 4\ntemperature: .nan\nlr: -.inf\nadam_betas: [0.9, .inf]\n---\nQ\n");
  assert.deepEqual(
    ds.map((d) => [d.line, d.message]),
    [
      [3, "`temperature` must be a finite number (got .nan)"],
      [4, "`lr` must be a finite number (got -.inf)"],
      [5, "`adam_betas.1` must be a finite number (got .inf)"],
    ],
  );
});

test("counts have maxima that say the limit", () => {
  const ds = errorsOf("---\nanswer: 4\nsteps: 1e12\nprompt_copies: 100000\nmax_response_tokens: 10000000\n---\nQ\n");
  assert.deepEqual(
    ds.map((d) => [d.line, d.message]),
    [
      [3, "`steps` must be ≤ 100000 (got 1000000000000)"],
      [4, "`prompt_copies` must be ≤ 4096 (got 100000)"],
      [5, "`max_response_tokens` must be ≤ 131072 (got 10000000)"],
    ],
  );
});
