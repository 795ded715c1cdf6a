// The sandbox's second wall: on Linux the process starts in a network namespace of its own, which
// has no interface but a loopback that is down, so no socket reaches anything, not even this
// machine's 127.0.0.1. `unshare --net` needs root (or CAP_SYS_ADMIN); otherwise an unprivileged
// user namespace does the same where the kernel allows those. Elsewhere (macOS, Windows, a
// container that forbids both) there is no such wall and the sandbox says so (noNetworkStatus).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

export interface NoNetwork {
  /** Prepended to the sandbox's command line; empty when the platform offers no wall. */
  prefix: string[];
  /** One sentence for docs and diagnostics: how the network is cut, or why it is not. */
  how: string;
}

const UNSHARE = ["/usr/bin/unshare", "/bin/unshare"];

let detected: Promise<NoNetwork> | null = null;

/** Found once per process: which way of cutting the network works here. */
export function noNetwork(): Promise<NoNetwork> {
  detected ??= detect();
  return detected;
}

async function detect(): Promise<NoNetwork> {
  if (process.platform !== "linux") return { prefix: [], how: `no network wall on ${process.platform}` };
  const unshare = UNSHARE.find((p) => existsSync(p));
  if (!unshare) return { prefix: [], how: "no network wall: unshare (util-linux) is not installed" };
  const ways: [string[], string][] = [
    [["--net"], "a network namespace of its own (unshare --net)"],
    [["--user", "--map-root-user", "--net"], "a network namespace of its own in an unprivileged user namespace (unshare --user --net)"],
  ];
  for (const [flags, how] of ways) {
    const prefix = [unshare, ...flags, "--"];
    if (await works(prefix)) return { prefix, how };
  }
  return { prefix: [], how: "no network wall: this system allows neither network nor user namespaces to this user" };
}

/** Starts this Node under the prefix and checks it runs. */
function works(prefix: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn(prefix[0], [...prefix.slice(1), process.execPath, "-e", "0"], {
      stdio: "ignore",
      env: { ELECTRON_RUN_AS_NODE: "1" },
      timeout: 5000,
      windowsHide: true,
    });
    p.on("error", () => resolve(false));
    p.on("exit", (code) => resolve(code === 0));
  });
}
