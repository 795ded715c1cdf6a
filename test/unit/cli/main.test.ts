import assert from "node:assert/strict";
import { test } from "node:test";
import { main } from "../../../src/cli/main";
import { captureCli, type CapturedCli } from "../cliContext";

function ctx(): CapturedCli {
  return captureCli();
}

test("--help lists every command and exits 0", async () => {
  const c = ctx();
  assert.equal(await main(["--help"], c), 0);
  assert.match(c.out(), /Usage: oneshot <command>/);
  assert.match(c.out(), /setup\s+Create or update the engine's Python environment/);
});

test("an unknown command is one readable sentence and exit 2", async () => {
  const c = ctx();
  assert.equal(await main(["fly"], c), 2);
  assert.equal(c.err(), "oneshot: unknown command 'fly'. Run `oneshot --help` to see the commands.\n");
});

test("a bad option names the command and points at its --help", async () => {
  const c = ctx();
  assert.equal(await main(["setup", "--bogus"], c), 2);
  assert.match(c.err(), /^oneshot setup: .*bogus.*Run `oneshot setup --help` for usage\.\n$/);
});
