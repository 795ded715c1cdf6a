// A run's pid file outlives its controller: after a crash or reboot the pid can belong to another
// program. `stop` must not signal it and `runs` must not call the run running (issue 23, finding 2).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { listRuns } from "../../../src/cli/commands/runs";
import { stopCommand } from "../../../src/cli/commands/stop";
import { RunTracker } from "../../../src/core/monitor/tracker";
import { acquireRunLock } from "../../../src/core/run/lock";
import { formatIdentity, identityOf, isPidAlive, isSameProcess, parseIdentity, processStart } from "../../../src/core/run/processIdentity";
import { liveControllerPid, observeRunStatus } from "../../../src/core/run/runDir";
import { captureCli } from "../cliContext";

const unix = process.platform !== "win32";

function sleeper(): ChildProcess {
  const child = spawn("sleep", ["30"], { stdio: "ignore" });
  assert.ok(child.pid);
  return child;
}

/** A run left `running` by a controller that died, whose pid now belongs to `pid`'s process. */
function crashedRun(pid: number): string {
  const root = mkdtempSync(path.join(tmpdir(), "oneshot-ident-"));
  const dir = path.join(root, "r");
  mkdirSync(dir);
  writeFileSync(path.join(dir, "config.json"), JSON.stringify({ version: 1, run_id: "r", example: { file: "x.rlvr.md" }, settings: { model: "m", steps: 5 } }));
  writeFileSync(path.join(dir, "status"), "running\n");
  writeFileSync(path.join(dir, "pid"), `${pid}\n`);
  // The lock as the dead controller wrote it: its pid, and its own start (this test process's
  // start stands in for it: any process but the one now holding the pid).
  writeFileSync(path.join(dir, "lock"), formatIdentity({ pid, start: processStart(process.pid) }));
  return dir;
}

test("a controller's identity is its pid and start marker; another process with the pid is not it", { skip: !unix }, () => {
  const me = identityOf(process.pid);
  assert.ok(me.start, "the platform reports start times");
  assert.deepEqual(parseIdentity(formatIdentity(me)), me);
  assert.equal(isSameProcess(me), true);
  const child = sleeper();
  try {
    assert.equal(isSameProcess({ pid: child.pid!, start: me.start }), false);
    assert.equal(isSameProcess(identityOf(child.pid!)), true);
    // The `ps` method (macOS, BSD) agrees with itself and tells processes apart too.
    const ps = processStart(child.pid!, "ps");
    if (ps) {
      assert.equal(isSameProcess({ pid: child.pid!, start: ps }), true);
      assert.equal(isSameProcess({ pid: child.pid!, start: processStart(process.pid, "ps") }), ps === processStart(process.pid, "ps"));
    }
  } finally {
    child.kill("SIGKILL");
  }
  // A lock of an older version (a pid alone) still parses; a dead pid is never the controller.
  assert.deepEqual(parseIdentity("123\n"), { pid: 123 });
  assert.equal(isSameProcess({ pid: 999999999 }), false);
});

test("stop does not signal a reused pid, and runs, stop and the lock call the run interrupted", { skip: !unix }, async () => {
  const child = sleeper();
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once("exit", (_code, sig) => r(sig)));
  try {
    const dir = crashedRun(child.pid!);
    assert.equal(liveControllerPid(dir), undefined);
    assert.equal(observeRunStatus(dir), "interrupted");
    const [listed] = listRuns(path.dirname(dir));
    assert.equal(listed.status, "interrupted");
    const tracker = new RunTracker(dir); // the editor's Runs view
    tracker.refresh();
    assert.equal(tracker.status, "interrupted");

    for (const args of [[dir, "--wait", "1"], [dir, "--force"], [dir, "--wait", "0"]]) {
      const c = captureCli();
      assert.equal(await stopCommand.run(args, c), 0);
      assert.equal(c.out(), `The run is not running (interrupted): its controller is gone. Continue it with \`oneshot train --resume ${dir}\`.\n`);
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(isPidAlive(child.pid!), true, "the unrelated process was signalled");

    // A new controller may take the directory over (resume), since its lock is stale.
    const lock = acquireRunLock(dir);
    lock.release();
    assert.equal(existsSync(path.join(dir, "lock")), false);
  } finally {
    child.kill("SIGKILL");
  }
  assert.equal(await exited, "SIGKILL");
});
