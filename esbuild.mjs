// Builds every bundle: the extension (CJS, `vscode` external), the CLI (ESM), the webview (browser)
// and the integration-test suite. `node esbuild.mjs --watch` rebuilds on change.
import { readdirSync } from "node:fs";
import * as path from "node:path";
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const production = process.argv.includes("--production");

// An ESM bundle of CommonJS dependencies needs `require`; the shebang makes dist/cli.js the `oneshot` bin.
const esmNodeBanner = [
  "#!/usr/bin/env node",
  "import { createRequire as __oneshotCreateRequire } from 'node:module';",
  "const require = __oneshotCreateRequire(import.meta.url);",
].join("\n");

// The integration tests: the entry the extension host calls (index) and one bundle per *.test.ts,
// which index.ts finds at run time; test/integration/<suite>/x.test.ts -> out/test/<suite>/x.test.cjs.
const integrationEntries = [
  "test/integration/index.ts",
  ...readdirSync("test/integration", { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => path.join("test/integration", f)),
];

const common = { bundle: true, sourcemap: true, minify: production, logLevel: "info", target: "es2022" };

/** @type {import('esbuild').BuildOptions[]} */
export const bundles = [
  {
    ...common,
    entryPoints: { extension: "src/vscode/extension.ts" },
    outdir: "dist",
    outExtension: { ".js": ".cjs" },
    platform: "node",
    format: "cjs",
    // onnxruntime-node is a native module (binaries per platform): loaded from node_modules at run time.
    external: ["vscode", "onnxruntime-node"],
  },
  {
    ...common,
    entryPoints: { cli: "src/cli/main.ts" },
    outdir: "dist",
    platform: "node",
    format: "esm",
    external: ["onnxruntime-node"],
    banner: { js: esmNodeBanner },
  },
  {
    // The worker thread that runs ONNX Runtime for the editor's "Try the Model" panel.
    ...common,
    entryPoints: { "try-worker": "src/core/try/worker.ts" },
    outdir: "dist",
    outExtension: { ".js": ".cjs" },
    platform: "node",
    format: "cjs",
    external: ["onnxruntime-node"],
  },
  {
    // The custom-verifier sandbox process: one CJS file, so Node's permission model can allow
    // reading exactly this file and nothing else.
    ...common,
    sourcemap: false,
    entryPoints: { "verifier-sandbox": "src/core/verifier/sandbox/child.ts" },
    outdir: "dist",
    outExtension: { ".js": ".cjs" },
    platform: "node",
    format: "cjs",
  },
  {
    ...common,
    // main.ts imports style.css, which pulls in KaTeX's and uPlot's CSS: the bundle is
    // dist/webview.js + dist/webview.css, KaTeX's fonts land in dist/webview-assets/. The "Try the
    // Model" panel (try/main.ts) is dist/try.js + dist/try.css, sharing those assets.
    entryPoints: { webview: "webview/main.ts", try: "webview/try/main.ts" },
    outdir: "dist",
    platform: "browser",
    format: "iife",
    loader: { ".ttf": "file", ".woff": "file", ".woff2": "file" },
    assetNames: "webview-assets/[name]-[hash]",
  },
  {
    ...common,
    minify: false,
    entryPoints: integrationEntries,
    outbase: "test/integration",
    outdir: "out/test",
    outExtension: { ".js": ".cjs" },
    platform: "node",
    format: "cjs",
    external: ["vscode", "mocha"],
  },
];

if (watch) {
  const contexts = await Promise.all(bundles.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log("watching for changes…");
} else {
  await Promise.all(bundles.map((b) => esbuild.build(b)));
}
