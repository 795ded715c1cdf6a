// The JSON-RPC contract between the host (host.ts) and the sandbox process (child.ts), spoken with
// vscode-jsonrpc (Content-Length framing): requests on the child's stdin, replies on its fd 3
// (never stdout, so nothing a verifier prints can pass for a reply).
import { RequestType } from "vscode-jsonrpc/node";

/** One graded call: the reward, or why there is none. */
export type CallResult = { ok: true; value: number } | { ok: false; error: string };

export interface CallParams {
  response: string;
  answer: string;
}

/** Loads the verifier's source; fails with SandboxErrorCode.DoesNotLoad and the reason. */
export const Load = new RequestType<{ source: string }, null, void>("load");
export const Call = new RequestType<CallParams, CallResult, void>("call");
/** Many calls in one round trip, answered in order. */
export const CallMany = new RequestType<{ items: CallParams[] }, CallResult[], void>("callMany");

export const SandboxErrorCode = {
  /** The source does not compile or defines no function. */
  DoesNotLoad: 1,
  /** The sandbox's own engine failed (not the verifier's code): the process exits after replying. */
  Crashed: 2,
} as const;
