// What a report says: the run, before/after per benchmark (with the paper's numbers for models it
// used), the curves that show post-saturation generalisation, and which problems flipped.
import { PAPER_BENCHMARKS, findPreset } from "../bench/presets";
import type { StepEvent } from "../run/events";
import type { BenchmarkReport, ReportData } from "./collect";
import type { Block } from "./doc";
import { PAPER_CITATION, PAPER_URL, paperResultsFor } from "./paper";
import { lineChart, PALETTE, type Series } from "./svg";

export const ASSETS_DIR = "report-assets";

const pct = (v: number | null | undefined) => (v === null || v === undefined ? "—" : `${(100 * v).toFixed(1)}`);
const delta = (a: number | null, b: number | null) => (a === null || b === null ? "—" : `${b - a >= 0 ? "+" : ""}${(100 * (b - a)).toFixed(1)}`);
const title = (name: string) => findPreset(name)?.title ?? name;

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** Mean over the paper's six benchmarks, only when the run evaluated all six at step 0 and at the end. */
function sixAverage(benchmarks: BenchmarkReport[]): { initial: number | null; final: number | null } | undefined {
  const six = PAPER_BENCHMARKS.map((b) => benchmarks.find((r) => r.name === b));
  if (six.some((b) => !b)) return undefined;
  const avg = (f: (b: BenchmarkReport) => number | null) => {
    const vs = six.map((b) => f(b!));
    return vs.some((v) => v === null) ? null : (vs as number[]).reduce((a, b) => a + b, 0) / vs.length;
  };
  return { initial: avg((b) => b.summary.initial), final: avg((b) => b.summary.final) };
}

function stepSeries(steps: StepEvent[], name: string, pick: (s: StepEvent) => number, color?: string): Series {
  return { name, color, points: steps.map((s) => ({ x: s.step, y: pick(s) })) };
}

export function buildCharts(d: ReportData): { name: string; title: string; svg: string }[] {
  const charts: { name: string; title: string; svg: string }[] = [];
  const paper = paperResultsFor(d.model);
  if (d.benchmarks.length) {
    const series: Series[] = d.benchmarks.map((b, i) => ({
      name: `${title(b.name)} (${b.metric})`,
      color: PALETTE[i % PALETTE.length],
      points: b.points.map((p) => ({ x: p.step, y: 100 * p.value })),
    }));
    // The paper's 1-shot result as a dashed target line in the benchmark's own colour.
    for (const n of paper?.numbers ?? []) {
      const i = d.benchmarks.findIndex((b) => b.name === n.benchmark);
      if (i < 0) continue;
      const xs = d.benchmarks[i]!.points.map((p) => p.step);
      series.push({
        name: `${title(n.benchmark)}: paper, 1-shot`,
        color: PALETTE[i % PALETTE.length],
        dashed: true,
        points: [
          { x: Math.min(...xs), y: 100 * n.oneShot },
          { x: Math.max(...xs, Math.min(...xs) + 1), y: 100 * n.oneShot },
        ],
      });
    }
    charts.push({
      name: "benchmarks",
      title: "Benchmark accuracy during training",
      svg: lineChart(series, { title: "Benchmark accuracy during training (%)", xLabel: "step", yLabel: "accuracy %", yRange: [0, 100] }),
    });
  }
  if (d.steps.length) {
    charts.push({
      name: "reward",
      title: "Training reward",
      svg: lineChart([stepSeries(d.steps, "reward mean (training example)", (s) => s.reward_mean)], {
        title: "Training reward on the example",
        xLabel: "step",
        yRange: [0, 1],
      }),
    });
    charts.push({
      name: "entropy",
      title: "Entropy",
      svg: lineChart([stepSeries(d.steps, "token entropy", (s) => s.entropy, PALETTE[4])], { title: "Policy entropy", xLabel: "step" }),
    });
    charts.push({
      name: "length",
      title: "Response length",
      svg: lineChart([stepSeries(d.steps, "mean response length (tokens)", (s) => s.response_len_mean, PALETTE[3])], {
        title: "Response length",
        xLabel: "step",
      }),
    });
    charts.push({
      name: "reflection",
      title: "Self-reflection words",
      svg: lineChart([stepSeries(d.steps, "“rethink”, “recheck”, “recalculate”, “wait” per 1,000 words", (s) => s.reflection_rate, PALETTE[5])], {
        title: "Self-reflection words",
        xLabel: "step",
      }),
    });
  }
  return charts;
}

export function buildReport(d: ReportData): Block[] {
  const blocks: Block[] = [{ kind: "heading", level: 1, text: `One-Shot RLVR report: ${d.runId}` }];
  const facts: string[][] = [
    ["Model", d.model],
    ["Example", d.example || "—"],
    ["Preset", d.preset || "—"],
    ["Status", d.status],
    ["Steps", `${d.stepsDone} of ${d.totalSteps}`],
  ];
  if (d.device) facts.push(["Device", d.device]);
  if (d.started && d.finished) facts.push(["Duration", duration(d.finished - d.started)]);
  if (d.started) facts.push(["Started", new Date(d.started).toISOString().replace("T", " ").slice(0, 19) + " UTC"]);
  blocks.push({ kind: "table", header: ["Run", d.runId], rows: facts });
  if (d.error) blocks.push({ kind: "paragraph", parts: [`Error: ${d.error}`] });

  blocks.push({ kind: "heading", level: 2, text: "Benchmarks: before and after" });
  if (!d.benchmarks.length) {
    blocks.push({ kind: "paragraph", parts: ["The run recorded no evaluation."] });
  } else {
    const rows = d.benchmarks.map((b) => {
      const s = b.summary;
      return [
        title(b.name),
        b.metric,
        String(s.n),
        pct(s.initial),
        s.best === null ? "—" : `${pct(s.best)} (step ${s.best_step})`,
        s.final === null ? "—" : `${pct(s.final)} (step ${s.final_step})`,
        delta(s.initial, s.final),
      ];
    });
    const avg = sixAverage(d.benchmarks);
    if (avg) rows.push(["Average of the six", "", "", pct(avg.initial), "", pct(avg.final), delta(avg.initial, avg.final)]);
    blocks.push({
      kind: "table",
      header: ["Benchmark", "Metric", "n", "Step 0 (%)", "Best (%)", "Final (%)", "Change (points)"],
      rows,
      align: ["left", "left", "right", "right", "right", "right", "right"],
    });
    blocks.push({
      kind: "paragraph",
      parts: ["acc: one greedy answer per problem; avg@k: the mean fraction of k sampled answers graded correct."],
    });
    const skills = d.table?.rows.filter((r) => r.group !== "all") ?? [];
    if (d.table && skills.length) {
      blocks.push({ kind: "heading", level: 3, text: "By sub-skill" });
      blocks.push({
        kind: "table",
        header: ["Benchmark", "Sub-skill", "n", `Step ${d.table.firstStep} (%)`, `Step ${d.table.lastStep} (%)`, "Change (points)"],
        rows: skills.map((r) => [title(r.benchmark), r.group, String(r.n), pct(r.before), pct(r.after), delta(r.before, r.after)]),
        align: ["left", "left", "right", "right", "right", "right"],
      });
    }
  }

  const paper = paperResultsFor(d.model);
  if (paper) {
    blocks.push({ kind: "heading", level: 3, text: `The paper's numbers for ${paper.model}` });
    const avg = sixAverage(d.benchmarks);
    blocks.push({
      kind: "table",
      header: ["Benchmark", "Paper: base (%)", "Paper: 1-shot RLVR, π1 (%)", "This run: step 0 (%)", "This run: final (%)"],
      align: ["left", "right", "right", "right", "right"],
      rows: paper.numbers.map((n) => {
        const mine = n.benchmark === "average6" ? avg : d.benchmarks.find((b) => b.name === n.benchmark)?.summary;
        return [n.benchmark === "average6" ? "Average of the six" : title(n.benchmark), pct(n.base), pct(n.oneShot), pct(mine?.initial), pct(mine?.final)];
      }),
    });
    blocks.push({
      kind: "paragraph",
      parts: [
        "Source: ",
        { text: PAPER_CITATION, href: PAPER_URL },
        ", abstract. The paper trains about 2000 steps with the recipe of the ",
        { code: "paper" },
        " preset; a shorter or differently configured run is not expected to match.",
      ],
    });
  }

  const charts = buildCharts(d);
  if (charts.length) {
    blocks.push({ kind: "heading", level: 2, text: "Curves" });
    for (const c of charts) blocks.push({ kind: "chart", title: c.title, svg: c.svg, file: `${ASSETS_DIR}/${c.name}.svg` });
    if (d.steps.length && d.benchmarks.length) {
      blocks.push({
        kind: "paragraph",
        parts: [
          "Post-saturation generalisation, as the paper describes it, shows as benchmark accuracy still rising after the training reward has reached 1.",
        ],
      });
    }
  }

  const flipped = d.benchmarks.filter((b) => b.flips && (b.flips.gained.length || b.flips.lost.length));
  if (flipped.length) {
    blocks.push({ kind: "heading", level: 2, text: "Problems that flipped" });
    for (const b of flipped) {
      const f = b.flips!;
      const ids = (xs: { id: string }[]) => (xs.length > 25 ? `${xs.slice(0, 25).map((x) => x.id).join(", ")}, … (${xs.length - 25} more)` : xs.map((x) => x.id).join(", ") || "none");
      blocks.push({ kind: "paragraph", parts: [`${title(b.name)}, step ${f.from} → step ${f.to}: ${f.gained.length} now right, ${f.lost.length} now wrong.`] });
      blocks.push({ kind: "list", items: [[`Now right: ${ids(f.gained)}`], [`Now wrong: ${ids(f.lost)}`]] });
    }
    blocks.push({ kind: "paragraph", parts: ["Per-problem responses are in the results files under ", { code: "evals/" }, " in the run directory."] });
  }

  if (d.steps.length) {
    const first = d.steps[0]!;
    const last = d.steps[d.steps.length - 1]!;
    const row = (label: string, f: (s: StepEvent) => number, digits = 3) => [label, f(first).toFixed(digits), f(last).toFixed(digits)];
    blocks.push({ kind: "heading", level: 2, text: "Training" });
    blocks.push({
      kind: "table",
      header: ["Metric", `Step ${first.step}`, `Step ${last.step}`],
      align: ["left", "right", "right"],
      rows: [
        row("Reward mean", (s) => s.reward_mean),
        row("Entropy", (s) => s.entropy),
        row("KL to the base model", (s) => s.kl, 4),
        row("Mean response length (tokens)", (s) => s.response_len_mean, 0),
        row("Reflection words per 1,000 words", (s) => s.reflection_rate, 2),
        row("Truncated responses", (s) => s.truncated_fraction, 2),
        row("Rollout tokens/s", (s) => s.rollout_tokens_per_s, 0),
      ],
    });
  }
  return blocks;
}
