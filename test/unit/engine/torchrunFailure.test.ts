// The parser of torchrun's error summary, on stderr that torchrun really wrote (fixtures/torchrun).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { parseTorchrunFailure, rankFailureError } from "../../../src/core/engine/torchrunFailure";

const lines = (name: string) => readFileSync(path.resolve("test/unit/engine/fixtures/torchrun", name), "utf8").split("\n");

test("kill -9 of rank 1: the root cause names rank 1 and SIGKILL, not rank 0's SIGTERM from torchrun", () => {
  const f = parseTorchrunFailure(lines("rank1-sigkill.stderr.txt"));
  assert.deepEqual(f, { rank: 1, localRank: 1, host: "localhost", exitcode: -9, signal: "SIGKILL" });
  const e = rankFailureError(lines("rank1-sigkill.stderr.txt"), "See engine.log.");
  assert.equal(e?.message, "Engine rank 1 (local rank 1 on localhost) was killed by SIGKILL");
  assert.match(e?.hint ?? "", /OOM killer/);
});

test("a rank that raised: its exit code and its own last error, not torchrun's ChildFailedError", () => {
  const e = rankFailureError(lines("rank1-exception.stderr.txt"), "See engine.log.");
  assert.equal(e?.message, "Engine rank 1 (local rank 1 on localhost) exited with code 1: RuntimeError: CUDA error: an illegal memory access was encountered");
  assert.match(e?.hint ?? "", /^See engine\.log\. .*--resume/);
});

test("the summary is found at the end of a longer stream, and stderr without one has no rank failure", () => {
  const noise = Array.from({ length: 500 }, (_, i) => `[engine] step ${i}`);
  assert.equal(parseTorchrunFailure([...noise, ...lines("rank1-sigkill.stderr.txt")])?.rank, 1);
  assert.equal(parseTorchrunFailure(noise), undefined);
  assert.equal(rankFailureError(["Traceback (most recent call last):", "RuntimeError: boom"], ""), undefined);
});
