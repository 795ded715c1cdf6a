import assert from "node:assert/strict";
import { test } from "node:test";
import { VerifierPool } from "../../../src/cli/verifierPool";
import type { Verifier, VerifierSpec } from "../../../src/core/verifier/api";

test("the verifier pool keeps the most recently used few open and disposes the rest", async () => {
  const open = new Set<string>();
  const made: string[] = [];
  const create = (spec: VerifierSpec): Verifier => {
    const name = spec.kind === "custom" ? spec.source : spec.kind;
    open.add(name);
    made.push(name);
    const grade = async () => ({ correct: true, reward: 1, extracted: null, reason: name });
    return { grade, gradeMany: async (items) => Promise.all(items.map(grade)), dispose: async () => void open.delete(name) };
  };
  const pool = new VerifierPool({}, create, 2);
  const custom = (source: string): VerifierSpec => ({ kind: "custom", source });
  await pool.get(custom("a"));
  await pool.get(custom("b"));
  await pool.get(custom("a")); // a is now the most recent
  await pool.get(custom("c")); // b goes, before c is made
  assert.deepEqual([...open].sort(), ["a", "c"]);
  assert.equal(pool.open, 2);
  await pool.get(custom("b")); // made again
  assert.deepEqual(made, ["a", "b", "c", "b"]);
  await pool.dispose();
  assert.equal(open.size, 0);
});
