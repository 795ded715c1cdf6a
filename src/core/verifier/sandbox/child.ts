// The custom-verifier sandbox process (bundled as dist/verifier-sandbox.cjs). The host starts it
// with Node's permission model (no file system beyond this file, no child processes, no workers,
// no native addons), capped memory and, where the platform allows, no network (host.ts). User
// code runs in QuickJS (quickjs.ts), a JavaScript engine with no host objects: the walls of this
// process are the second line, not the first.
//
// Requests come as JSON-RPC on stdin; replies go out on fd 3 (protocol.ts). Stdout is not read
// by the host, so nothing written there could pass for a reply.
import * as net from "node:net";
import { createMessageConnection, Message, ResponseError, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { Call, CallMany, Load, SandboxErrorCode, type CallResult } from "./protocol";
import { LoadError, QuickVerifier, type Limits } from "./quickjs";

const limits: Limits = {
  timeoutMs: Number(process.env.ONESHOT_SANDBOX_TIMEOUT_MS) || 1000,
  memoryMb: Number(process.env.ONESHOT_SANDBOX_MEMORY_MB) || 128,
};

const replies = new net.Socket({ fd: 3, readable: false, writable: true });
replies.on("error", () => process.exit(0));

/** After a crash reply is on its way, this process is no longer sound: it exits. */
class RepliesWriter extends StreamMessageWriter {
  override async write(msg: Message): Promise<void> {
    await super.write(msg);
    if (Message.isResponse(msg) && msg.error?.code === SandboxErrorCode.Crashed) replies.end(() => process.exit(70));
  }
}

let verifier: QuickVerifier | null = null;

/** A fault of the engine itself (not of the verifier's code) becomes a Crashed error. */
async function guarded<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof ResponseError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new ResponseError(SandboxErrorCode.Crashed, `the verifier crashed the sandbox (${why.slice(0, 200)})`);
  }
}

function call(response: string, answer: string): CallResult {
  if (!verifier) return { ok: false, error: "no verifier loaded" };
  return verifier.call(String(response), String(answer));
}

const connection = createMessageConnection(new StreamMessageReader(process.stdin), new RepliesWriter(replies));
connection.onRequest(Load, ({ source }) =>
  guarded(async () => {
    verifier?.dispose();
    verifier = null;
    try {
      verifier = await QuickVerifier.load(source, limits);
      return null;
    } catch (e) {
      if (e instanceof LoadError) throw new ResponseError(SandboxErrorCode.DoesNotLoad, e.message);
      throw e;
    }
  }),
);
connection.onRequest(Call, ({ response, answer }) => guarded(() => call(response, answer)));
connection.onRequest(CallMany, ({ items }) => guarded(() => items.map((it) => call(it.response, it.answer))));
// the host closed stdin: it is done with this sandbox
connection.onClose(() => process.exit(0));
connection.listen();
