// Whether a test session passed. A session that timed out, exited non-zero, reported no counts,
// ran no test, or counted a failure is not a pass: the harness cannot go green vacuously.
export function verdict({ exitCode, timedOut, result }) {
  if (timedOut) return { ok: false, why: "the test session timed out" };
  if (!result) return { ok: false, why: `the suite reported no results (exit ${exitCode})` };
  if (result.failed > 0) return { ok: false, why: `${result.failed} test(s) failed` };
  if (result.passed === 0) return { ok: false, why: "no test ran" };
  if (exitCode !== 0) return { ok: false, why: `the test session exited with ${exitCode}` };
  return { ok: true, why: "" };
}
