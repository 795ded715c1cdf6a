import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as esbuild from "esbuild";
import { createVerifier } from "../../../src/core/verifier/index";
import { fakeSandbox } from "./fixtures";

let dir = "";
let sandboxPath = "";

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "oneshot-sandbox-"));
  sandboxPath = path.join(dir, "verifier-sandbox.cjs");
  await esbuild.build({
    entryPoints: ["src/core/verifier/sandbox/child.ts"],
    bundle: true,
    platform: "node",
    format: "cjs",
    outfile: sandboxPath,
    logLevel: "silent",
  });
});

after(() => rmSync(dir, { recursive: true, force: true }));

async function withCustom(source: string, fn: (grade: (r: string, a: string) => ReturnType<ReturnType<typeof createVerifier>["grade"]>) => Promise<void>, timeoutMs = 400) {
  const v = createVerifier({ kind: "custom", source }, { sandboxPath, timeoutMs, memoryMb: 64 });
  try {
    await fn((r, a) => v.grade(r, a));
  } finally {
    await v.dispose();
  }
}

test("a custom verifier uses the built-in helpers and returns partial credit", async () => {
  const source = `export default (response, answer, helpers) => {
    const got = helpers.extract(response);
    if (got === null) return 0;
    return helpers.equal(got, answer) ? 1 : 0.25;
  };`;
  await withCustom(source, async (grade) => {
    const ok = await grade("so \\boxed{\\frac12}", "0.5");
    assert.deepEqual([ok.correct, ok.reward, ok.extracted, ok.error], [true, 1, "\\frac12", undefined]);
    const partial = await grade("so \\boxed{3}", "0.5");
    assert.deepEqual([partial.correct, partial.reward], [false, 0.25]);
    assert.equal((await grade("no answer", "0.5")).reward, 0);
  });
});

test("module.exports, bare function expressions and async verifiers all load", async () => {
  for (const source of [
    "module.exports = function (r, a, h) { return h.normalise(h.extract(r)) === h.normalise(a) ? 1 : 0; }",
    "(response, answer) => (response.includes(answer) ? 1 : 0)",
    "export default async (r, a, h) => ((await Promise.resolve(h.grade(r, a).correct)) ? 1 : 0)",
  ]) {
    await withCustom(source, async (grade) => {
      assert.equal((await grade("\\boxed{7}", "7")).reward, 1, source);
    });
  }
});

test("throwing, non-numbers and out-of-range rewards give 0 with an error", async () => {
  const cases: [string, RegExp][] = [
    ["export default () => { throw new Error('boom'); }", /boom/],
    ["export default () => true", /returned a boolean/],
    ["export default () => 'yes'", /returned a string/],
    ["export default () => 2", /outside \[0, 1\]/],
    ["export default () => NaN", /outside \[0, 1\]/],
    ["export default (r => ", /does not load: SyntaxError/],
    ["const x = 1;", /defines no function/],
  ];
  for (const [source, error] of cases) {
    await withCustom(source, async (grade) => {
      const r = await grade("\\boxed{1}", "1");
      assert.equal(r.reward, 0, source);
      assert.equal(r.correct, false);
      assert.match(r.error ?? "", error, source);
      assert.equal(r.reason, r.error);
    });
  }
});

test("a verifier that does not load names the line of its own code where it breaks", async () => {
  const cases: [string, RegExp][] = [
    ["// grades the box\nexport default (r, a) => {\n  return Math.max(1, (2;\n};", /^the verifier does not load: SyntaxError: expecting '\)' \(verifier line 3\)$/],
    ["const table = undefinedThing.rows;\nexport default () => 1", /^the verifier does not load: ReferenceError: 'undefinedThing' is not defined \(verifier line 1\)$/],
  ];
  for (const [source, error] of cases) {
    await withCustom(source, async (grade) => assert.match((await grade("\\boxed{1}", "1")).error ?? "", error, source), 3000);
  }
});

test("hangs time out (sync and async) and the next call still works", async () => {
  const source = `let n = 0; export default (r) => {
    if (r === "sync") for (;;) {}
    if (r === "async") return new Promise(() => {});
    if (r === "micro") return Promise.resolve().then(() => { for (;;) {} });
    return 1;
  };`;
  await withCustom(source, async (grade) => {
    for (const kind of ["sync", "async", "micro"]) {
      const t = Date.now();
      const r = await grade(kind, "1");
      assert.equal(r.reward, 0);
      assert.match(r.error ?? "", /timed out/, kind);
      assert.ok(Date.now() - t < 3000, `${kind} took ${Date.now() - t} ms`);
      assert.equal((await grade("fine", "1")).reward, 1, `after ${kind}`);
    }
  });
});

test("gradeMany batches calls and pins a hang on the call that hung", async () => {
  const source = `export default (r) => {
    if (r === "sync") for (;;) {}
    if (r === "micro") return Promise.resolve().then(() => { for (;;) {} });
    if (r === "never") return new Promise(() => {});
    return r.endsWith("{1}") ? 1 : 0;
  };`;
  const v = createVerifier({ kind: "custom", source }, { sandboxPath, timeoutMs: 300, memoryMb: 64 });
  try {
    const items = ["\\boxed{1}", "sync", "\\boxed{2}", "micro", "never", "\\boxed{1}"].map((response) => ({ response, answer: "1" }));
    const out = await v.gradeMany(items);
    assert.deepEqual(out.map((r) => r.reward), [1, 0, 0, 0, 0, 1]);
    assert.deepEqual(out.map((r) => /timed out/.test(r.error ?? "")), [false, true, false, true, true, false]);
    assert.equal(out[0].extracted, "1");
    const many = await v.gradeMany(Array.from({ length: 200 }, (_, k) => ({ response: `\\boxed{${k % 2}}`, answer: "1" })));
    assert.equal(many.filter((r) => r.correct).length, 100);
  } finally {
    await v.dispose();
  }
});

test("a verifier that times out on every call is given up on, so training cannot stall", async () => {
  await withCustom("export default () => { for (;;) {} }", async (grade) => {
    for (let k = 0; k < 5; k++) assert.match((await grade("x", "1")).error ?? "", /timed out/);
    const t = Date.now();
    const r = await grade("x", "1");
    assert.match(r.error ?? "", /5 calls in a row and is no longer called/);
    assert.ok(Date.now() - t < 100);
  }, 200);
});

test("unbounded allocation hits the heap cap and reports it", async () => {
  await withCustom("export default () => { const a = []; for (;;) a.push(new Array(1e6).fill(1)); }", async (grade) => {
    const r = await grade("x", "1");
    assert.equal(r.reward, 0);
    assert.match(r.error ?? "", /out of memory|timed out/);
  }, 5000);
});

test("user code sees no require, process, fetch or file system, and cannot rebuild them", async () => {
  // eval and Function work, but inside QuickJS: there is nothing of Node's to find with them
  const source = `export default (r, a, h) => {
    const missing = [typeof require, typeof process, typeof fetch, typeof Buffer, typeof setTimeout, typeof WebAssembly].every((t) => t === "undefined");
    const rebuilt = [h.extract.constructor("return typeof process")(), eval("typeof require"), Function("return typeof fetch")()];
    return missing && rebuilt.every((t) => t === "undefined") ? 1 : 0;
  };`;
  await withCustom(source, async (grade) => {
    const r = await grade("x", "1");
    assert.equal(r.error, undefined);
    assert.equal(r.reward, 1);
  });
});

test("a missing sandbox bundle is one readable error, not a crash", async () => {
  const v = createVerifier({ kind: "custom", source: "export default () => 1" }, { sandboxPath: path.join(dir, "nope.cjs") });
  const r = await v.grade("x", "1");
  assert.equal(r.reward, 0);
  assert.match(r.error ?? "", /sandbox is missing/);
  await v.dispose();
});

test("stack overflows (recursion, deep JSON) give an error and the next call still works", async () => {
  const source = `export default (r) => {
    if (r === "recurse") { const f = (n) => f(n + 1) + 1; return f(0); }
    if (r === "json") { let o = []; for (let i = 0; i < 2e5; i++) o = [o]; return JSON.stringify(o).length; }
    return 1;
  };`;
  await withCustom(source, async (grade) => {
    for (const kind of ["recurse", "json"]) {
      const r = await grade(kind, "1");
      assert.equal(r.reward, 0, kind);
      assert.ok(r.error, kind);
      assert.equal((await grade("fine", "1")).reward, 1, `after ${kind}`);
    }
  }, 3000);
});

test("a sandbox process that dies says why from its stderr tail, and the next call starts a new one", async () => {
  // a stand-in that answers the first call, then dies on the next one after a few stderr lines
  const fake = fakeSandbox(
    path.join(dir, "dying-sandbox.cjs"),
    `if (m.method === "load") reply(null);
     else if (m.params.response === "oom") {
       process.stderr.write("<--- Last few GCs --->\\n\\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\\n");
       for (let i = 1; i <= 30; i++) process.stderr.write(" " + i + ": 0xb8d0a3 node::OOMErrorHandler [node]\\n");
       process.exit(134);
     } else if (m.params.response === "die") { process.stderr.write("first\\nthe disk is on fire\\n"); process.exit(3); }
     else if (m.params.response === "odd") reply({ ok: true, value: 7 });
     else reply({ ok: true, value: 1 });`,
  );
  const v = createVerifier({ kind: "custom", source: "export default () => 1" }, { sandboxPath: fake, timeoutMs: 2000, memoryMb: 64 });
  try {
    assert.equal((await v.grade("fine", "1")).reward, 1);
    assert.equal((await v.grade("die", "1")).error, "the verifier process stopped (code 3): the disk is on fire");
    assert.equal((await v.grade("fine", "1")).reward, 1);
    assert.equal((await v.grade("oom", "1")).error, "the verifier ran out of memory (limit 64 MiB)");
    assert.equal((await v.grade("odd", "1")).error, "the sandbox sent a malformed reply");
    const batch = await v.gradeMany(["fine", "die", "fine"].map((response) => ({ response, answer: "1" })));
    assert.deepEqual(batch.map((r) => r.error ?? r.reward), [1, "the verifier process stopped (code 3): the disk is on fire", 1]);
  } finally {
    await v.dispose();
  }
});

test("the sandbox runs in a process group of its own, so a Ctrl-C meant for the controller does not reach it", { skip: process.platform !== "linux" }, async () => {
  await withCustom("export default () => 1", async (grade) => {
    assert.equal((await grade("x", "1")).reward, 1);
    const group = (pid: string) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[2]);
    const pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p) && cmdline(p).includes(sandboxPath));
    assert.equal(pids.length, 1);
    assert.notEqual(group(pids[0]), group("self"));
    assert.equal(group(pids[0]), Number(pids[0]), "it leads its group, so the group can be signalled as one");
  });
});

function cmdline(pid: string): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}
