// Entry of the integration suite that runs inside a real VS Code extension host (code-server via
// scripts/test-integration.mjs). Bundled to out/test/index.cjs; the host calls run().
// Which suite runs comes from the environment the harness gives code-server:
//   ONESHOT_TEST_SUITE  folder under out/test holding *.test.cjs bundles (default: suite)
//   ONESHOT_TEST_GREP   only tests whose full title matches this regular expression
// Every line meant for the harness starts with REPORT_PREFIX so it can be told apart from the
// workbench's own log; the last one carries the counts.
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import Mocha from "mocha";

const REPORT_PREFIX = "[oneshot-test] ";

function say(line: string): void {
  for (const l of line.split("\n")) console.log(REPORT_PREFIX + l);
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".test.cjs"))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

const counts = { passed: 0, failed: 0, pending: 0 };

/** Mocha reporter that writes one line per suite and test, then `RESULT {"passed":N,"failed":M,…}`. */
class LineReporter extends Mocha.reporters.Base {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const { EVENT_SUITE_BEGIN, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } =
      Mocha.Runner.constants;
    runner.on(EVENT_SUITE_BEGIN, (suite: Mocha.Suite) => {
      if (suite.title) say(suite.title);
    });
    runner.on(EVENT_TEST_PASS, (test: Mocha.Test) => {
      counts.passed++;
      say(`  ✓ ${test.title} (${test.duration ?? 0} ms)`);
    });
    runner.on(EVENT_TEST_FAIL, (test: Mocha.Test, err: Error) => {
      counts.failed++;
      say(`  ✗ ${test.fullTitle()}\n    ${err.stack ?? err.message}`);
    });
    runner.on(EVENT_TEST_PENDING, (test: Mocha.Test) => {
      counts.pending++;
      say(`  - ${test.title} (skipped)`);
    });
    runner.once(EVENT_RUN_END, () => say(`RESULT ${JSON.stringify(counts)}`));
  }
}

export async function run(): Promise<void> {
  try {
    await runSuite(process.env.ONESHOT_TEST_SUITE || "suite", process.env.ONESHOT_TEST_GREP);
  } catch (e) {
    // Why the suite could not run goes through the report channel too: the harness shows only
    // those lines. Failed tests were reported one by one already.
    if (!(e instanceof TestsFailed)) say(`ERROR ${(e as Error).message ?? String(e)}`);
    throw e;
  }
}

class TestsFailed extends Error {}

function runSuite(suite: string, grep: string | undefined): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", timeout: 60_000, color: false, reporter: LineReporter });
  if (grep) mocha.grep(new RegExp(grep));
  const dir = path.join(__dirname, suite);
  if (!existsSync(dir)) throw new Error(`The integration suite folder ${dir} does not exist; build the tests first.`);
  for (const f of testFiles(dir)) mocha.addFile(f);
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      if (failures) reject(new TestsFailed(`${failures} integration test(s) failed.`));
      else if (counts.passed + counts.failed === 0) reject(new Error(`No integration test ran (suite "${suite}").`));
      else resolve();
    });
  });
}
