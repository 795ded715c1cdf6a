// Test fixtures for the benchmark layer: dataset files written on the fly (parquet through the
// engine venv's pyarrow, the same writer the hub's parquet conversion uses) and a loopback HTTP
// server standing in for the hub and its datasets server.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";

export const tmp = (prefix = "bench-") => mkdtempSync(path.join(tmpdir(), prefix));

export function writeJsonl(file: string, rows: unknown[]): string {
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return file;
}

/** Writes rows as a snappy-compressed parquet file with pyarrow (types inferred, lists kept as lists). */
export function writeParquet(file: string, rows: unknown[]): string {
  const script = [
    "import json, sys",
    "import pyarrow as pa, pyarrow.parquet as pq",
    "rows = json.loads(sys.stdin.read())",
    "pq.write_table(pa.Table.from_pylist(rows), sys.argv[1], compression='snappy')",
  ].join("\n");
  execFileSync(process.execPath, ["scripts/run-venv.mjs", "python", "-c", script, file], { input: JSON.stringify(rows) });
  return file;
}

export interface FakeHub {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/**
 * Serves `/parquet?dataset=ID` listings and the files they point at, like the datasets server and
 * the hub's resolve URLs. `files` maps "ID/config/split/name.parquet" to a local file path.
 */
export async function startFakeHub(files: Record<string, string>, opts: { status?: number } = {}): Promise<FakeHub> {
  const { readFileSync } = await import("node:fs");
  const requests: string[] = [];
  let base = "";
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", base);
    requests.push(u.pathname + u.search);
    if (opts.status) {
      res.writeHead(opts.status).end();
      return;
    }
    if (u.pathname === "/parquet") {
      const id = u.searchParams.get("dataset") ?? "";
      const parquet_files = Object.keys(files)
        .filter((k) => k.startsWith(id + "/"))
        .map((k) => {
          const [config, split, filename] = k.slice(id.length + 1).split("/");
          return { dataset: id, config, split, filename, url: `${base}/datasets/${id}/resolve/refs%2Fconvert%2Fparquet/${config}/${split}/${filename}` };
        });
      if (!parquet_files.length) {
        res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ parquet_files, pending: [], failed: [], partial: false }));
      return;
    }
    // The revision is one URL-encoded segment ("refs%2Fconvert%2Fparquet").
    const m = /^\/datasets\/(.+?)\/resolve\/[^/]+\/(.+)$/.exec(u.pathname);
    const key = m && decodeURIComponent(`${m[1]}/${m[2]}`);
    if (key && files[key]) {
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(readFileSync(files[key]));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // fetch keeps connections alive; close() alone would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}

export const sampleRows = [
  { unique_id: "test/algebra/1.json", problem: "What is $1+1$?", solution: "Add: $\\boxed{2}$.", answer: "2", subject: "Algebra" },
  { unique_id: "test/geometry/2.json", problem: "Area of a unit square?", solution: "$1\\cdot 1=\\boxed{1}$", answer: "1", subject: "Geometry" },
  { unique_id: "test/algebra/3.json", problem: "Solve $2x=7$.", solution: "$x=\\boxed{\\frac{7}{2}}$", answer: "\\frac{7}{2}", subject: "Algebra" },
];
