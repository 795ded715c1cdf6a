// Shared by the sandbox tests: a freshly built sandbox bundle, a TCP listener on 127.0.0.1 that
// counts the connections a hostile verifier manages to open, and stand-in sandbox processes.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as esbuild from "esbuild";

export interface SandboxFixture {
  dir: string;
  sandboxPath: string;
  port: number;
  /** Connections the listener has seen so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function sandboxFixture(prefix: string): Promise<SandboxFixture> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const sandboxPath = path.join(dir, "verifier-sandbox.cjs");
  await esbuild.build({ entryPoints: ["src/core/verifier/sandbox/child.ts"], bundle: true, platform: "node", format: "cjs", outfile: sandboxPath, logLevel: "silent" });
  let seen = 0;
  const server = net.createServer((s) => {
    seen++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    dir,
    sandboxPath,
    port: (server.address() as net.AddressInfo).port,
    connections: () => seen,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Writes a stand-in sandbox script to `file`: it reads the host's JSON-RPC requests on stdin and
 * runs `handler` (JavaScript, with `m` the request and `reply(result)` answering on fd 3) on each.
 */
export function fakeSandbox(file: string, handler: string): string {
  writeFileSync(
    file,
    `const out = new (require("net").Socket)({ fd: 3, readable: false });
     const frame = (m) => { const b = Buffer.from(JSON.stringify(m)); return "Content-Length: " + b.length + "\\r\\n\\r\\n" + b; };
     let buf = Buffer.alloc(0);
     process.stdin.on("data", (d) => {
       buf = Buffer.concat([buf, d]);
       for (;;) {
         const head = buf.indexOf("\\r\\n\\r\\n");
         if (head < 0) return;
         const len = Number(/Content-Length: (\\d+)/.exec(buf.subarray(0, head).toString())[1]);
         if (buf.length < head + 4 + len) return;
         const m = JSON.parse(buf.subarray(head + 4, head + 4 + len).toString());
         buf = buf.subarray(head + 4 + len);
         const reply = (result) => out.write(frame({ jsonrpc: "2.0", id: m.id, result }));
         ${handler}
       }
     });`,
  );
  chmodSync(file, 0o644);
  return file;
}
