// The custom-verifier sandbox process (bundled as dist/verifier-sandbox.cjs). The host starts it
// with Node's permission model (no file system beyond this file, no child processes, no workers,
// no native addons), capped memory and, where the platform allows, no network (host.ts). User
// code runs in QuickJS (quickjs.ts), a JavaScript engine with no host objects: the walls of this
// process are the second line, not the first.
//
// Requests come as JSON lines on stdin; replies go out as JSON lines on fd 3. Stdout is not read
// by the host, so nothing written there could pass for a reply.
import * as net from "node:net";
import * as readline from "node:readline";
import type { CallResult, ChildMessage, HostMessage } from "./protocol";
import { LoadError, QuickVerifier, type Limits } from "./quickjs";

const limits: Limits = {
  timeoutMs: Number(process.env.ONESHOT_SANDBOX_TIMEOUT_MS) || 1000,
  memoryMb: Number(process.env.ONESHOT_SANDBOX_MEMORY_MB) || 128,
};

const replies = new net.Socket({ fd: 3, readable: false, writable: true });
replies.on("error", () => process.exit(0));

let verifier: QuickVerifier | null = null;

function send(m: ChildMessage): void {
  replies.write(JSON.stringify(m) + "\n");
}

/** A fault of the engine itself (not of the verifier's code): this process is no longer sound. */
function crash(id: number, e: unknown): void {
  const why = e instanceof Error ? e.message : String(e);
  const m: ChildMessage = { id, ok: false, error: `the verifier crashed the sandbox (${why.slice(0, 200)})`, fatal: true };
  replies.end(JSON.stringify(m) + "\n", () => process.exit(70));
}

function call(response: string, answer: string): CallResult {
  if (!verifier) return { ok: false, error: "no verifier loaded" };
  return verifier.call(String(response), String(answer));
}

async function handle(msg: HostMessage): Promise<void> {
  try {
    if (msg.op === "load") {
      verifier?.dispose();
      verifier = null;
      try {
        verifier = await QuickVerifier.load(msg.source, limits);
        send({ id: msg.id, ok: true, value: null });
      } catch (e) {
        if (!(e instanceof LoadError)) throw e;
        send({ id: msg.id, ok: false, error: e.message });
      }
      return;
    }
    if (msg.op === "callMany") {
      send({ id: msg.id, ok: true, value: msg.items.map((it) => call(it.response, it.answer)) });
      return;
    }
    const r = call(msg.response, msg.answer);
    send(r.ok ? { id: msg.id, ok: true, value: r.value } : { id: msg.id, ok: false, error: r.error });
  } catch (e) {
    crash(msg.id, e);
  }
}

let chain: Promise<void> = Promise.resolve();
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  let msg: HostMessage;
  try {
    msg = JSON.parse(line) as HostMessage;
  } catch {
    return;
  }
  chain = chain.then(() => handle(msg));
});
rl.on("close", () => void chain.then(() => process.exit(0)));
