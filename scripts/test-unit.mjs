// Runs the Node unit tests (test/unit/**/*.test.ts) with Node's test runner, TypeScript via tsx.
// Node 20's runner does not expand globs, so the files are listed here. Arguments that name a
// .ts file or a folder select those tests; other args pass through (e.g. --test-name-pattern).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? find(p) : e.name.endsWith(".test.ts") ? [p] : [];
  });
}

const passthrough = process.argv.slice(2);
const isFolder = (a) => !a.startsWith("-") && existsSync(a) && statSync(a).isDirectory();
const selects = (a) => a.endsWith(".ts") || isFolder(a);
const explicit = passthrough.filter(selects).flatMap((a) => (isFolder(a) ? find(a).sort() : [a]));
const flags = passthrough.filter((a) => !selects(a));
const files = passthrough.some(selects) ? explicit : find("test/unit").sort();
const res = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...flags, ...files], {
  stdio: "inherit",
});
process.exit(res.status ?? 1);
