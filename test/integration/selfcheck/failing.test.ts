// Not part of the product's suite: the harness runs this on purpose and must report it as failed
// ("0 passed, 1 failed", non-zero exit). If it ever reports success, the harness hides failures.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";

describe("harness self-check", () => {
  it("fails on purpose inside the extension host", () => {
    assert.equal(typeof vscode.version, "string", "not running inside VS Code");
    assert.equal(1 + 1, 3, "deliberate failure: the harness must count this test as failed");
  });
});
