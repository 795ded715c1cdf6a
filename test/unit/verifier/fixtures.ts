// Shared by the sandbox tests: a freshly built sandbox bundle, and a TCP listener on 127.0.0.1
// that counts the connections a hostile verifier manages to open.
import { mkdtempSync, rmSync } from "node:fs";
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
