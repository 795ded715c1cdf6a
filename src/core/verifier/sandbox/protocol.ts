// Messages between the host (host.ts) and the sandbox process (child.ts): one JSON object per
// line, requests on the child's stdin, replies on its fd 3 (never stdout).

export type HostMessage =
  | { id: number; op: "load"; source: string }
  | { id: number; op: "call"; response: string; answer: string }
  | { id: number; op: "callMany"; items: { response: string; answer: string }[] };

/** One result of a callMany batch. */
export type CallResult = { ok: true; value: number } | { ok: false; error: string };

/** `fatal`: the sandbox process is unsound after this (its engine crashed) and exits. */
export type ChildMessage = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string; fatal?: true };
