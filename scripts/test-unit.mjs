// Runs the Node unit tests (test/unit/**/*.test.ts) with Node's test runner, TypeScript via tsx.
// Node 20's runner does not expand globs, so the files are listed here. Extra args pass through
// (e.g. a file path or --test-name-pattern).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import * as path from "node:path";

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? find(p) : e.name.endsWith(".test.ts") ? [p] : [];
  });
}

const passthrough = process.argv.slice(2);
const explicit = passthrough.filter((a) => a.endsWith(".ts"));
const flags = passthrough.filter((a) => !a.endsWith(".ts"));
const files = explicit.length ? explicit : find("test/unit").sort();
const res = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...flags, ...files], {
  stdio: "inherit",
});
process.exit(res.status ?? 1);
