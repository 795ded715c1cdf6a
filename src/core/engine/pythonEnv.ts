// Creates and maintains the engine's Python environment (a venv with the engine's requirements).
// One implementation for `oneshot setup`, `npm test`/`npm run demo` and the editor's
// "Set Up Engine Environment" command. Idempotent: a stamp records what was installed, so a
// second call with nothing changed returns in well under a second.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

export interface PythonEnvOptions {
  /** Folder holding the engine sources (engine/ with requirements*.txt and oneshot_engine/). */
  engineDir: string;
  /** Where the venv lives, e.g. <repo>/.venv. */
  venvDir: string;
  /** Python used to create the venv; default: ONESHOT_PYTHON, then python3, then python. */
  basePython?: string;
  /** Also install test/development requirements. */
  dev?: boolean;
  /** Receives one line per stage and pip's output. */
  onOutput?: (line: string) => void;
  signal?: AbortSignal;
}

export interface PythonEnvResult {
  python: string;
  changed: boolean;
  pythonVersion: string;
}

export class PythonEnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PythonEnvError";
  }
}

const MIN_PYTHON: [number, number] = [3, 10];

export function venvPython(venvDir: string): string {
  return process.platform === "win32"
    ? path.join(venvDir, "Scripts", "python.exe")
    : path.join(venvDir, "bin", "python");
}

/** Environment for launching the engine from its sources: the venv's python with engineDir on PYTHONPATH. */
export function engineEnv(engineDir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const existing = base.PYTHONPATH ? path.delimiter + base.PYTHONPATH : "";
  return { ...base, PYTHONPATH: engineDir + existing, PYTHONUNBUFFERED: "1" };
}

export async function ensurePythonEnv(opts: PythonEnvOptions): Promise<PythonEnvResult> {
  const log = opts.onOutput ?? (() => {});
  const requirementFiles = ["requirements.txt", ...(opts.dev ? ["requirements-dev.txt"] : [])].map((f) =>
    path.join(opts.engineDir, f),
  );
  for (const f of requirementFiles) {
    if (!existsSync(f)) throw new PythonEnvError(`The engine's requirement file is missing: ${f}`);
  }
  const py = venvPython(opts.venvDir);
  const stampFile = path.join(opts.venvDir, ".oneshot-stamp");

  if (!existsSync(py)) {
    const base = await findBasePython(opts.basePython);
    log(`Creating the engine environment in ${opts.venvDir} with ${base.command} (Python ${base.version})`);
    mkdirSync(path.dirname(opts.venvDir), { recursive: true });
    await run(base.command, ["-m", "venv", opts.venvDir], log, opts.signal);
    if (!existsSync(py)) throw new PythonEnvError(`Creating the venv did not produce ${py}.`);
  }
  const version = (await capture(py, ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"])).trim();
  // The stamp maps each installed requirement file to its hash, so a plain set-up after a --dev
  // one (a superset) is a no-op, and editing one file reinstalls.
  const stamp = readStamp(stampFile);
  const wanted = Object.fromEntries(
    requirementFiles.map((f) => [path.basename(f), hashOf([version, readFileSync(f, "utf8")])]),
  );
  if (Object.entries(wanted).every(([name, hash]) => stamp[name] === hash)) {
    return { python: py, changed: false, pythonVersion: version };
  }

  const indexArgs = await pipIndexArgs(py);
  log(`Installing the engine's Python packages${opts.dev ? " (with test tools)" : ""}…`);
  const reqArgs = requirementFiles.flatMap((f) => ["-r", f]);
  await run(
    py,
    ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", ...indexArgs, ...reqArgs],
    log,
    opts.signal,
  );
  writeFileSync(stampFile, JSON.stringify({ ...stamp, ...wanted }, null, 1) + "\n");
  return { python: py, changed: true, pythonVersion: version };
}

async function findBasePython(explicit?: string): Promise<{ command: string; version: string }> {
  const candidates = [explicit, process.env.ONESHOT_PYTHON, "python3", "python"].filter(
    (c): c is string => !!c,
  );
  const tried: string[] = [];
  for (const command of candidates) {
    let out: string;
    try {
      out = await capture(command, ["-c", "import sys, venv; print('%d.%d.%d' % sys.version_info[:3])"]);
    } catch {
      tried.push(command);
      continue;
    }
    const version = out.trim();
    const [major, minor] = version.split(".").map(Number);
    if (major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1])) {
      return { command, version };
    }
    tried.push(`${command} (Python ${version})`);
  }
  throw new PythonEnvError(
    `No Python ${MIN_PYTHON.join(".")} or newer with the venv module was found (tried: ${tried.join(", ")}). ` +
      `Install Python ${MIN_PYTHON.join(".")}+ or set "oneshot.engine.pythonPath" / ONESHOT_PYTHON to one.`,
  );
}

/**
 * pip's own configuration decides where packages come from, except that when PyPI is unreachable
 * and pip is configured with local mirrors (extra-index-url), we make the first mirror the index:
 * otherwise pip waits out its retries on PyPI for every package.
 */
async function pipIndexArgs(py: string): Promise<string[]> {
  if (process.env.PIP_INDEX_URL || process.env.PIP_NO_INDEX) return [];
  let config = "";
  try {
    config = await capture(py, ["-m", "pip", "config", "list"]);
  } catch {
    return [];
  }
  const withoutExtra = config.replace(/^.*extra-index-url.*$/gm, "");
  if (/index-url=/.test(withoutExtra)) return []; // the user chose an index: respect it
  const extra = /extra-index-url='([^']+)'/.exec(config)?.[1]?.split(/\s+/).filter(Boolean) ?? [];
  if (extra.length === 0) return [];
  if (await reachable("pypi.org", 443, 2000)) return [];
  const [first, ...rest] = extra;
  return ["--index-url", first, ...rest.flatMap((u) => ["--extra-index-url", u])];
}

function reachable(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function readStamp(file: string): Record<string, string> {
  try {
    const value: unknown = JSON.parse(readFileSync(file, "utf8"));
    return typeof value === "object" && value !== null ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function hashOf(parts: string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex");
}

function capture(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0 ? resolve(out) : reject(new PythonEnvError(`${command} exited with ${code}: ${err.trim()}`)),
    );
  });
}

function run(command: string, args: string[], log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], signal });
    let tail: string[] = [];
    const onData = (d: Buffer) => {
      for (const line of d.toString().split(/\r?\n/)) {
        if (!line.trim()) continue;
        log(line);
        tail = [...tail.slice(-19), line];
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("error", (e) => reject(new PythonEnvError(`Could not run ${command}: ${e.message}`)));
    child.once("close", (code) =>
      code === 0
        ? resolve()
        : reject(new PythonEnvError(`${path.basename(command)} ${args.slice(0, 3).join(" ")} failed (exit ${code}):\n${tail.join("\n")}`)),
    );
  });
}
