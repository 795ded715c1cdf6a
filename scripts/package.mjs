// `npm run package [-- --target linux-x64] [-- other vsce options]`: production bundles, then
// onnxruntime-node's files for one platform in dist/node_modules, then a platform-specific .vsix
// (`vsce package --target`), so each .vsix carries only its own native binaries. Without
// --target, this machine's platform.
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const i = args.indexOf("--target");
const target = i >= 0 ? args[i + 1] : `${process.platform}-${process.arch}`;
const rest = i >= 0 ? [...args.slice(0, i), ...args.slice(i + 2)] : args;
const run = (cmd, argv) => {
  const r = spawnSync(cmd, argv, { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(process.execPath, ["esbuild.mjs", "--production"]);
run(process.execPath, ["scripts/vendor-onnxruntime.mjs", "--target", target]);
run("npx", ["vsce", "package", "--no-dependencies", "--allow-missing-repository", "--no-rewrite-relative-links", "--target", target, ...rest]);
