import assert from "node:assert/strict";
import { test } from "node:test";
import { commands } from "../../../src/cli/commands/index";

// A "\b" in a template literal is a backspace: `oneshot eval --help` printed "only oxed{}".
test("no command's usage text holds a control character (an unescaped \\b, \\f or \\v in a template literal)", () => {
  const control = (ch: string) => ch.charCodeAt(0) < 0x20 && ch !== "\n" && ch !== "\t" && ch !== "\r";
  for (const c of commands) assert.deepEqual([...c.usage].filter(control), [], `oneshot ${c.name} --help`);
});
