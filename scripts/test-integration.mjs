// Integration tests inside a real VS Code extension host: code-server (installed once into a cache)
// driven by Playwright in Debian's chromium. The mocha suites live in test/integration/<suite>/ and
// are bundled by esbuild.mjs into out/test/. Screenshots and logs go to test-artifacts/integration/.
//
//   node scripts/test-integration.mjs            the suite, the untrusted-workspace suite, the harness
//                                                self-check, the .vsix smoke
//   node scripts/test-integration.mjs --suite suite --grep activates    one suite, some tests
//
// Options:
//   --suite NAME      run only test/integration/NAME (e.g. suite, selfcheck) once, against this checkout
//   --grep RE         only tests whose full title matches RE
//   --folder DIR      the workspace folder to open (default test/integration/fixtures/workspace)
//   --untrusted       keep workspace trust on and leave the folder untrusted (also ONESHOT_TEST_UNTRUSTED=1)
//   --no-build        use the existing dist/ and out/test/ bundles
//   --skip-vsix       in the default run, leave out packaging and the .vsix smoke
//   --timeout SEC     per session (default 180)
//   --verbose         also print the workbench's own log lines
// Exit status 0 only when every test passed and at least one ran.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { codeServerFromCache, ensure, installExtension, makeProfile, startCodeServer } from "./lib/code-server.mjs";
import { runInWorkbench, workbenchUrl } from "./lib/workbench.mjs";
import { verdict } from "./lib/verdict.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const artifacts = path.join(root, "test-artifacts", "integration");

const { values: opts } = parseArgs({
  options: {
    suite: { type: "string" },
    grep: { type: "string" },
    folder: { type: "string" },
    untrusted: { type: "boolean", default: process.env.ONESHOT_TEST_UNTRUSTED === "1" },
    "no-build": { type: "boolean", default: false },
    "skip-vsix": { type: "boolean", default: false },
    timeout: { type: "string", default: "180" },
    verbose: { type: "boolean", default: false },
  },
});

const timeoutSeconds = Number(opts.timeout);
if (!(timeoutSeconds > 0)) {
  console.error(`--timeout wants a number of seconds, not "${opts.timeout}".`);
  process.exit(2);
}

const cleanups = new Set();
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    console.log(`interrupted (${sig}): stopping code-server and the browser`);
    await Promise.allSettled([...cleanups].map((c) => c()));
    process.exit(130);
  });
}

/** Runs a command quietly; its output is shown only when it fails. */
function sh(cmd, args, what) {
  const res = spawnSync(cmd, args, { cwd: root, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`${what} failed (exit ${res.status}):\n${res.stdout}${res.stderr}`);
  return res.stdout;
}

function build() {
  const res = spawnSync(process.execPath, ["esbuild.mjs"], { cwd: root, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`Building the bundles failed:\n${res.stdout}${res.stderr}`);
}

/**
 * One session: a fresh code-server profile, the workbench opened with the development extension
 * and out/test/index.cjs, the suite NAME run inside the extension host.
 */
async function session({ name, suite, devPath = root, folder, grep, trusted = true, before }) {
  const started = Date.now();
  const dir = path.join(artifacts, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(path.join(os.tmpdir(), "oneshot-it-"));
  const cleanTmp = () => rmSync(tmp, { recursive: true, force: true });
  cleanups.add(cleanTmp);
  let server;
  try {
    const profile = makeProfile(tmp, trusted ? {} : { "security.workspace.trust.startupPrompt": "never" });
    before?.(profile);
    const tServer = Date.now();
    server = await startCodeServer(cs, profile, {
      trust: trusted,
      logFile: path.join(dir, "code-server.log"),
      env: {
        ONESHOT_TEST_SUITE: suite,
        ONESHOT_TEST_GREP: grep ?? "",
        ONESHOT_TEST_EXTENSIONS_DIR: profile.extensionsDir,
        ONESHOT_TEST_CHECKOUT: root,
        ONESHOT_TEST_WORKSPACE_TRUST: trusted ? "trusted" : "untrusted",
      },
    });
    cleanups.add(server.stop);
    const serverSeconds = (Date.now() - tServer) / 1000;
    const url = workbenchUrl(server.baseUrl, {
      folder,
      extensionDevelopmentPath: devPath,
      extensionTestsPath: path.join(root, "out", "test", "index.cjs"),
    });
    const run = await runInWorkbench({
      executablePath: chromiumPath,
      url,
      timeoutMs: timeoutSeconds * 1000,
      screenshot: path.join(dir, "screenshot.png"),
      logDir: dir,
      onTestLine: (line) => console.log(`  ${line}`),
    });
    if (opts.verbose) for (const l of run.logLines) console.log(`    | ${l}`);
    return { ...run, ...verdict(run), serverSeconds, seconds: (Date.now() - started) / 1000, dir };
  } finally {
    await server?.stop();
    cleanups.delete(server?.stop);
    cleanTmp();
    cleanups.delete(cleanTmp);
  }
}

const since = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

function summary(name, r) {
  const counts = r.result ? `${r.result.passed} passed, ${r.result.failed} failed` : "no test results";
  const state = r.timedOut ? "timed out" : `exit ${r.exitCode}`;
  const phases = `server ${r.serverSeconds.toFixed(0)} s, workbench ${r.loadSeconds.toFixed(0)} s, tests ${r.runSeconds.toFixed(0)} s`;
  return `${name}: ${counts} (${state}; ${r.seconds.toFixed(0)} s: ${phases}; artifacts in ${path.relative(root, r.dir)})`;
}

/** Packs the extension with `npm run package` and checks the .vsix installs and activates. */
async function vsixSmoke(fixtures) {
  const started = Date.now();
  const dir = path.join(artifacts, "package");
  mkdirSync(dir, { recursive: true });
  const vsix = path.join(dir, "oneshot-rlvr.vsix");
  rmSync(vsix, { force: true });
  console.log("» packaging the extension (npm run package)");
  sh("npm", ["run", "-s", "package", "--", "--out", vsix], "npm run package");
  build(); // back to the development bundles that `npm run package` replaced with production ones
  const sizeKiB = statSync(vsix).size / 1024;
  console.log(`  packed ${path.relative(root, vsix)} (${sizeKiB.toFixed(0)} KiB) in ${since(started)}`);
  console.log("» installing it into a fresh code-server profile with --install-extension");
  const r = await session({
    name: "vsix-smoke",
    suite: "vsix",
    // A manifest-only development extension: the host runs tests only with one, and this one
    // leaves the installed copy of One-Shot RLVR as the extension under test.
    devPath: path.join(fixtures, "vsix-host"),
    folder: path.join(fixtures, "workspace"),
    before: (profile) => {
      const t = Date.now();
      const out = installExtension(cs, profile, vsix);
      if (!/successfully installed/i.test(out)) throw new Error(`code-server did not install the .vsix: ${out}`);
      console.log(`  installed in ${since(t)}`);
    },
  });
  return { ...r, seconds: (Date.now() - started) / 1000, sizeKiB };
}

let cs;
let chromiumPath;
let exitCode = 1;
try {
  const t0 = Date.now();
  chromiumPath = ensure(path.join(root, "scripts", "ensure-chromium.sh"));
  cs = codeServerFromCache(ensure(path.join(root, "scripts", "ensure-code-server.sh")));
  if (!opts["no-build"]) build();
  if (!existsSync(path.join(root, "out", "test", "index.cjs"))) throw new Error("out/test/index.cjs is missing; run node esbuild.mjs.");
  const fixtures = path.join(root, "test", "integration", "fixtures");
  const folder = path.resolve(opts.folder ?? path.join(fixtures, "workspace"));
  if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`The test folder ${folder} does not exist.`);
  const trusted = !opts.untrusted;

  if (opts.suite) {
    console.log(`» integration suite "${opts.suite}" in code-server${trusted ? "" : " (untrusted workspace)"}`);
    const r = await session({ name: opts.suite, suite: opts.suite, folder, grep: opts.grep, trusted });
    console.log(summary(opts.suite, r));
    if (!r.ok) console.log(`FAILED: ${r.why}`);
    console.log(`${r.result?.passed ?? 0} passed, ${r.result?.failed || (r.ok ? 0 : 1)} failed`);
    exitCode = r.ok ? 0 : 1;
  } else {
    const problems = [];
    console.log(`» integration suite in code-server${trusted ? "" : " (untrusted workspace)"}`);
    const main = await session({ name: "suite", suite: "suite", folder, grep: opts.grep, trusted });
    console.log(summary("suite", main));
    if (!main.ok) problems.push(`the integration suite failed: ${main.why}`);

    // Workspace trust: the same extension in a folder left untrusted (test/integration/untrusted).
    // A --grep run selects tests of the main suite, so it leaves this session out.
    let untrusted;
    if (!opts.grep) {
      console.log("» integration suite in an untrusted workspace");
      untrusted = await session({ name: "untrusted", suite: "untrusted", folder, trusted: false });
      console.log(summary("untrusted", untrusted));
      if (!untrusted.ok) problems.push(`the untrusted-workspace suite failed: ${untrusted.why}`);
    }

    // The harness must turn a failing test red: run a suite whose only test fails on purpose.
    console.log("» harness self-check: the next test fails on purpose and must be reported as 0 passed, 1 failed");
    const check = await session({ name: "selfcheck", suite: "selfcheck", folder });
    console.log(summary("selfcheck", check));
    const reportedRight = !check.ok && !check.timedOut && check.exitCode !== 0 && check.result?.passed === 0 && check.result?.failed === 1;
    if (!reportedRight) problems.push("self-check: the harness did not report the deliberately failing test as exactly 1 failure");

    let vsix;
    if (!opts["skip-vsix"]) {
      vsix = await vsixSmoke(fixtures);
      console.log(summary("vsix smoke", vsix));
      if (!vsix.ok) problems.push(`the installed .vsix did not pass its smoke test: ${vsix.why}`);
    }
    // The closing count: the suite's and the smoke's tests, plus the self-check as one test.
    const sessions = [main, ...(untrusted ? [untrusted] : []), ...(vsix ? [vsix] : [])];
    const passed = sessions.reduce((n, r) => n + (r.result?.passed ?? 0), 0) + (reportedRight ? 1 : 0);
    const failed =
      sessions.reduce((n, r) => n + (r.result?.failed || (r.ok ? 0 : 1)), 0) + (reportedRight ? 0 : 1);
    console.log(`integration: ${((Date.now() - t0) / 1000).toFixed(0)} s${vsix ? `; vsix ${vsix.sizeKiB.toFixed(0)} KiB` : ""}`);
    for (const p of problems) console.log(`FAILED: ${p}`);
    console.log(`${passed} passed, ${failed} failed`);
    exitCode = problems.length ? 1 : 0;
  }
} catch (e) {
  console.error(`Integration tests could not run: ${e.message}`);
  console.log("0 passed, 1 failed");
}
process.exit(exitCode);
