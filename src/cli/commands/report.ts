import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ReportError, writeReport } from "../../core/report/index";
import type { Command } from "../command";
import { UsageError, UserError } from "../command";

/** A run named by its directory, or by its id under the runs root. */
export function resolveRunDir(ref: string, cwd: string, runsRoot = ".oneshot/runs"): string {
  const direct = path.resolve(cwd, ref);
  if (existsSync(direct) && statSync(direct).isDirectory()) return direct;
  const underRoot = path.resolve(cwd, runsRoot, ref);
  if (existsSync(underRoot) && statSync(underRoot).isDirectory()) return underRoot;
  throw new UserError(`no run '${ref}': it is neither a directory nor a run id under ${path.resolve(cwd, runsRoot)}`);
}

export const reportCommand: Command = {
  name: "report",
  summary: "Write report.md and report.html for a run",
  usage: `Usage: oneshot report RUN [--out DIR] [--runs-root DIR]

Writes report.md (charts as SVG files in report-assets/) and a self-contained
report.html: the run's settings, before/after per benchmark, the curves
(benchmark accuracy, training reward, entropy, response length, self-reflection
words), the problems that flipped, and — for models the paper used — the paper's
reported numbers with their source. Works on running, stopped and failed runs too.

  RUN              a run directory, or a run id under the runs root
  --out DIR        where to write the report (default: the run directory)
  --runs-root DIR  where run ids are looked up (default: .oneshot/runs)`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { out: { type: "string" }, "runs-root": { type: "string" } },
    });
    if (positionals.length !== 1) throw new UsageError("give exactly one run");
    const runDir = resolveRunDir(positionals[0]!, ctx.cwd, values["runs-root"]);
    try {
      const r = writeReport(runDir, values.out ? path.resolve(ctx.cwd, values.out) : runDir);
      const rel = (p: string) => path.relative(ctx.cwd, p) || ".";
      ctx.stdout.write(`Wrote ${rel(r.markdown)} and ${rel(r.html)} (${r.data.benchmarks.length} benchmarks, ${r.data.steps.length} steps)\n`);
      return 0;
    } catch (e) {
      if (e instanceof ReportError) throw new UserError(e.message);
      throw e;
    }
  },
};
