// Copies onnxruntime-node (and onnxruntime-common, its one run-time dependency) into
// dist/node_modules for the .vsix, with the native binaries of ONE platform only: the package
// holds every platform's (about 290 MB), one platform's is 25-86 MB. The bundles keep
// onnxruntime-node external (esbuild.mjs), and Node finds it in dist/node_modules beside them.
//   node scripts/vendor-onnxruntime.mjs [--target linux-x64]   (default: this machine's platform)
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import * as path from "node:path";

const i = process.argv.indexOf("--target");
const target = i > 0 ? process.argv[i + 1] : `${process.platform}-${process.arch}`;
const [platform, arch] = (target ?? "").split("-");
// vsce's target names use the same platform and arch words as Node, except alpine/web.
const binaries = `node_modules/onnxruntime-node/bin/napi-v6/${platform}/${arch}`;
if (!platform || !arch || !existsSync(binaries)) {
  const known = readdirSync("node_modules/onnxruntime-node/bin/napi-v6").flatMap((p) => readdirSync(`node_modules/onnxruntime-node/bin/napi-v6/${p}`).map((a) => `${p}-${a}`));
  console.error(`onnxruntime-node has no binaries for '${target}'; it ships ${known.join(", ")}.`);
  process.exit(1);
}
const out = "dist/node_modules";
rmSync(out, { recursive: true, force: true });
const copy = (from, to = from) => cpSync(path.join("node_modules", from), path.join(out, to), { recursive: true, filter: (src) => !src.endsWith(".map") && !src.endsWith(".d.ts") });
for (const f of ["package.json", "LICENSE", "dist"]) if (existsSync(path.join("node_modules/onnxruntime-node", f))) copy(path.join("onnxruntime-node", f));
mkdirSync(path.join(out, "onnxruntime-node/bin/napi-v6", platform), { recursive: true });
copy(path.join("onnxruntime-node/bin/napi-v6", platform, arch));
for (const f of ["package.json", "dist/cjs", "dist/esm"]) copy(path.join("onnxruntime-common", f));
const size = (d) => readdirSync(d, { recursive: true }).reduce((s, f) => s + (statSync(path.join(d, f)).isFile() ? statSync(path.join(d, f)).size : 0), 0);
console.log(`onnxruntime-node for ${target}: ${(size(out) / 2 ** 20).toFixed(1)} MiB in ${out}`);
