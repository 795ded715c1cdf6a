import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Child } from "../../../src/core/process/child";
import { StderrTail } from "../../../src/core/process/stderrTail";

const node = (script: string, extra: Partial<Parameters<typeof Child.spawn>[0]> = {}) =>
  Child.spawn({ command: process.execPath, args: ["-e", script], ...extra });

/** Resolves with the first line the child prints on stdout. */
function firstLine(c: Child): Promise<string> {
  return new Promise((resolve) => {
    let buf = "";
    c.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      if (buf.includes("\n")) resolve(buf.split("\n")[0]);
    });
  });
}

/** Running, and not a zombie waiting for a parent (or a container's init) to reap it. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return process.platform !== "linux";
  }
}

test("a child that ends on stdin EOF stops at the second rung, with no signal", async () => {
  const c = node(`process.stdin.resume(); process.stdin.on("end", () => process.exit(0)); console.log("up");`);
  await firstLine(c);
  const t = Date.now();
  const exit = await c.stop({ graceMs: 2000 });
  assert.deepEqual([exit.code, exit.signal], [0, null]);
  assert.ok(Date.now() - t < 1500, `took ${Date.now() - t} ms`);
  assert.equal(c.running, false);
});

test("the request rung comes first: a child that obeys it never sees EOF or a signal", async () => {
  const c = node(`process.stdin.on("data", (d) => { if (String(d).includes("bye")) process.exit(7); }); process.stdin.on("end", () => process.exit(1)); console.log("up");`);
  await firstLine(c);
  const exit = await c.stop({ request: async () => void c.stdin.write("bye\n"), graceMs: 2000 });
  assert.deepEqual([exit.code, exit.signal], [7, null]);
});

test("a child that ignores EOF gets SIGTERM, one that ignores SIGTERM too gets SIGKILL", async () => {
  const term = node(`process.stdin.resume(); setInterval(() => {}, 1000); console.log("up");`);
  await firstLine(term);
  assert.equal((await term.stop({ graceMs: 200 })).signal, "SIGTERM");

  const stubborn = node(`process.on("SIGTERM", () => {}); process.stdin.resume(); setInterval(() => {}, 1000); console.log("up");`);
  await firstLine(stubborn);
  const t = Date.now();
  const exit = await stubborn.stop({ request: () => new Promise(() => {}), graceMs: 200 });
  assert.equal(exit.signal, "SIGKILL");
  assert.ok(Date.now() - t >= 550, "each of the three rungs waited its grace");
});

test("kill ends the child's whole process group, not just the child", { skip: process.platform === "win32" }, async () => {
  // the child starts a grandchild that would outlive it, then reports the grandchild's pid
  const c = node(
    `const g = require("child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
     console.log(g.pid); setInterval(() => {}, 1000);`,
  );
  const grandchild = Number(await firstLine(c));
  try {
    assert.ok(alive(grandchild));
    c.kill();
    assert.equal((await c.exited).signal, "SIGKILL");
    const deadline = Date.now() + 2000;
    while (alive(grandchild) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(alive(grandchild), false, "the grandchild went with its group");
  } finally {
    if (alive(grandchild)) process.kill(grandchild, "SIGKILL");
  }
});

// The long line stays under StderrTail's 64 KiB cap on text without a newline: past it, where the
// pipe splits the line into chunks decides whether it counts as one line or two.
test("the stderr tail keeps the last lines, clipped, and every whole line reaches onLine", async () => {
  const seen: string[] = [];
  const c = node(`for (let i = 0; i < 500; i++) console.error("line " + i); console.error("x".repeat(50000)); process.stderr.write("last, no newline");`, {
    stderr: { lines: 5, lineChars: 100, onLine: (l) => seen.push(l) },
  });
  const exit = await c.exited;
  assert.equal(exit.code, 0);
  assert.deepEqual(c.stderrTail.slice(0, 3), ["line 497", "line 498", "line 499"]);
  assert.equal(c.stderrTail[3], "x".repeat(100) + "…");
  assert.equal(c.stderrTail[4], "last, no newline");
  assert.equal(seen.length, 502);
  assert.equal(seen[500].length, 50000);
});

test("text without a newline cannot grow without bound", () => {
  const lines: string[] = [];
  const tail = new StderrTail({ lines: 3, lineChars: 10, onLine: (l) => lines.push(l) });
  for (let k = 0; k < 100; k++) tail.write("y".repeat(10_000));
  assert.ok(lines.length >= 10 && lines.every((l) => l.length < 80_000), `${lines.length} lines passed on`);
  assert.ok(tail.lines.length <= 3);
});

test("a command that does not exist ends with its spawn error, and stop returns at once", async () => {
  const c = Child.spawn({ command: "/nonexistent/program", args: [] });
  const exit = await c.exited;
  assert.equal(exit.spawnError?.code, "ENOENT");
  assert.equal(c.running, false);
  assert.equal(await c.stop(), exit);
});
