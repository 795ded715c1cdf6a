// Runs a program from the engine's venv (.venv): `node scripts/run-venv.mjs python -m pytest`.
// Says how to create the venv when it is missing instead of failing on a bare path.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";

const [program, ...args] = process.argv.slice(2);
const bin = path.resolve(".venv", process.platform === "win32" ? "Scripts" : "bin", program);
if (!existsSync(bin)) {
  console.error(`${bin} is missing: run \`node dist/cli.js setup --dev\` (or \`npm test\`, which does it) first.`);
  process.exit(1);
}
const env = { ...process.env, PYTHONPATH: path.resolve("engine") + (process.env.PYTHONPATH ? path.delimiter + process.env.PYTHONPATH : "") };
const res = spawnSync(bin, args, { stdio: "inherit", env });
process.exit(res.status ?? 1);
