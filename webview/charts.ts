// The dashboard's charts (uPlot, canvas: no eval, no inline styles). All share the step axis and
// a synced cursor; the first puts training reward/accuracy and benchmark accuracy together so
// post-saturation generalisation (reward flat at 1, benchmark still rising) shows at a glance.
// Redraws are batched into one animation frame however many updates arrive.
import uPlot from "uplot";
import { alignOnSteps, type Column, type MetricKey, type SeriesData } from "../src/protocol/series";
import { IncrementalSmoother } from "../src/core/monitor/smoothing";
import { axisColors, color, faint, type ColorName } from "./theme";

interface LineSpec {
  key: MetricKey;
  label: string;
  color: ColorName;
  /**
   * Left out when it equals this other line at every step (accuracy and reward with the paper's
   * 0/1 reward); that line then takes `merged` as its label.
   */
  sameAs?: { key: MetricKey; merged: string };
}

/** What the charts know of the run's config. */
export interface ChartContext {
  /** `kl_coef` of config.json's settings; undefined when unknown. */
  klCoef?: number;
}

interface ChartSpec {
  id: string;
  title: string;
  lines: LineSpec[];
  /** Also draw the benchmark evaluations (sparse points on the same axis). */
  evals?: boolean;
  range?: [number, number];
  wide?: boolean;
  /** A sentence shown instead of the chart when it would say nothing (KL off, no memory recorded). */
  note?: (p: SeriesData, ctx: ChartContext) => string | undefined;
}

export const CHARTS: readonly ChartSpec[] = [
  {
    id: "reward",
    title: "Training reward and benchmark accuracy",
    // Accuracy first: with the paper's 0/1 reward it equals the reward, which is drawn over it.
    lines: [
      { key: "accuracy", label: "train accuracy", color: "purple", sameAs: { key: "reward_mean", merged: "train reward = accuracy" } },
      { key: "reward_mean", label: "train reward", color: "blue" },
    ],
    evals: true,
    range: [0, 1],
    wide: true,
  },
  { id: "entropy", title: "Entropy", lines: [{ key: "entropy", label: "entropy", color: "orange" }] },
  {
    id: "kl",
    title: "KL to reference",
    lines: [{ key: "kl", label: "KL", color: "red" }],
    note: (_p, ctx) => (ctx.klCoef === 0 ? "KL off: kl_coef is 0, so the loss has no KL term and no reference model is kept." : undefined),
  },
  {
    id: "length",
    title: "Response length (tokens)",
    lines: [
      { key: "response_len_mean", label: "mean", color: "blue" },
      { key: "response_len_max", label: "max", color: "purple" },
    ],
  },
  {
    id: "reflection",
    title: "Reflection words per 1k words",
    lines: [{ key: "reflection_rate", label: "reflection rate", color: "green" }],
  },
  {
    id: "time",
    title: "Time per step (s)",
    lines: [
      { key: "time_rollout_s", label: "rollout", color: "blue" },
      { key: "time_reward_s", label: "reward", color: "yellow" },
      { key: "time_train_s", label: "train", color: "red" },
    ],
  },
  {
    id: "throughput",
    title: "Rollout tokens/s",
    lines: [{ key: "rollout_tokens_per_s", label: "tokens/s", color: "green" }],
  },
  {
    id: "grad",
    title: "Gradient norm and policy loss",
    lines: [
      { key: "grad_norm", label: "grad norm", color: "orange" },
      { key: "pg_loss", label: "pg loss", color: "blue" },
    ],
  },
  {
    id: "memory",
    title: "Peak GPU memory (GB)",
    lines: [{ key: "peak_mem_gb", label: "peak memory", color: "purple" }],
    note: (p) =>
      p.steps.length && p.metrics.peak_mem_gb.every((v) => v === null)
        ? "No peak memory recorded: the engine reports it when it trains on a GPU."
        : undefined,
  },
];

/** The compared run's lines: dashed, in a colour that contrasts with the same line of this run. */
const OVERLAY_COLOR: Record<ColorName, ColorName> = {
  blue: "orange",
  purple: "yellow",
  green: "red",
  orange: "blue",
  red: "green",
  yellow: "purple",
  foreground: "blue",
};

/** Steps are whole numbers: the x axis ticks only at these increments. */
const STEP_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000, 100_000];

/** True when two columns hold the same number at every step (and some number at all). */
function sameColumn(a: Column, b: Column): boolean {
  let seen = false;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === null && y === null) continue;
    if (x === null || y === null || Math.abs(x - y) > 1e-9) return false;
    seen = true;
  }
  return seen;
}

/** The lines a chart draws for this data: a line equal to its `sameAs` is left out, the other relabelled. */
function visibleLines(spec: ChartSpec, p: SeriesData): LineSpec[] {
  const merged = spec.lines.filter((l) => l.sameAs && sameColumn(p.metrics[l.key], p.metrics[l.sameAs.key]));
  return spec.lines
    .filter((l) => !merged.includes(l))
    .map((l) => {
      const m = merged.find((x) => x.sameAs!.key === l.key);
      return m ? { ...l, label: m.sameAs!.merged } : l;
    });
}

const EVAL_COLORS: ColorName[] = ["green", "yellow", "red", "orange", "foreground", "blue"];

export interface Overlay {
  label: string;
  series: SeriesData;
}

interface Built {
  shape: string;
  series: uPlot.Series[];
  data: uPlot.AlignedData;
}

const smoother = new IncrementalSmoother();

function buildChart(spec: ChartSpec, p: SeriesData, overlay: Overlay | null, smoothing: number): Built {
  const series: uPlot.Series[] = [{ label: "step" }];
  const cols: Column[] = [];
  const smooth = (c: Column) => (smoothing > 0 ? smoother.smooth(c, smoothing) : c);
  const lines = visibleLines(spec, p);
  for (const l of lines) {
    const c = color(l.color);
    if (smoothing > 0) {
      cols.push(p.metrics[l.key]);
      series.push({ label: `${l.label} (raw)`, stroke: faint(c), width: 1, class: "raw", spanGaps: true });
    }
    cols.push(smooth(p.metrics[l.key]));
    series.push({ label: l.label, stroke: c, width: 2, spanGaps: true });
  }
  const sparse: { steps: number[]; values: Column }[] = [];
  const evalShape: string[] = [];
  if (spec.evals)
    p.evals.forEach((e, i) => {
      sparse.push(e);
      evalShape.push(e.benchmark);
      series.push({
        label: `${e.benchmark} ${e.metric}`,
        stroke: color(EVAL_COLORS[i % EVAL_COLORS.length]),
        width: 2,
        spanGaps: true,
        points: { show: true, size: 5 },
      });
    });
  if (overlay) {
    for (const l of lines) {
      sparse.push({ steps: overlay.series.steps, values: smooth(overlay.series.metrics[l.key]) });
      series.push({ label: `${overlay.label}: ${l.label}`, stroke: color(OVERLAY_COLOR[l.color]), width: 1.5, dash: [6, 4], spanGaps: true });
    }
    if (spec.evals)
      overlay.series.evals.forEach((e, i) => {
        sparse.push(e);
        evalShape.push(`o:${e.benchmark}`);
        series.push({
          label: `${overlay.label}: ${e.benchmark}`,
          stroke: color(OVERLAY_COLOR[EVAL_COLORS[i % EVAL_COLORS.length]]),
          width: 1.5,
          dash: [6, 4],
          spanGaps: true,
          points: { show: true, size: 4 },
        });
      });
  }
  const { x, ys } = alignOnSteps(p.steps, cols, sparse);
  const shape = `${smoothing > 0}|${lines.map((l) => l.label).join(",")}|${evalShape.join(",")}|${overlay ? overlay.label : ""}`;
  return { shape, series, data: [x, ...ys] as uPlot.AlignedData };
}

interface Mounted {
  spec: ChartSpec;
  box: HTMLElement;
  /** Shown instead of the chart when the spec's note applies. */
  note: HTMLElement;
  plot?: uPlot;
  shape?: string;
  /** On screen (charts scrolled away or in a hidden tab are drawn when they come back). */
  visible: boolean;
  /** Has data it has not drawn yet. */
  dirty: boolean;
}

export class ChartGrid {
  private mounted: Mounted[];
  private frame = 0;
  private primary: SeriesData | null = null;
  private overlay: Overlay | null = null;
  private smoothing = 0;
  private context: ChartContext = {};
  /** Set after each completed draw: tests and the benchmark wait on it. */
  draws = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly onDrawn: (points: number) => void = () => {},
  ) {
    root.classList.add("chart-grid");
    this.mounted = CHARTS.map((spec) => {
      const card = document.createElement("section");
      card.className = spec.wide ? "chart-card wide" : "chart-card";
      card.dataset.chart = spec.id;
      const h = document.createElement("h3");
      h.textContent = spec.title;
      const box = document.createElement("div");
      box.className = "chart-box";
      const note = document.createElement("p");
      note.className = "chart-note";
      note.hidden = true;
      card.append(h, note, box);
      root.append(card);
      // Not visible until the IntersectionObserver's first report (it reports every target).
      return { spec, box, note, visible: false, dirty: false };
    });
    new ResizeObserver(() => this.resize()).observe(root);
    const seen = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const m = this.mounted.find((x) => x.box.parentElement === e.target);
        if (m) m.visible = e.isIntersecting;
      }
      if (this.mounted.some((m) => m.visible && m.dirty)) this.schedule();
    });
    for (const m of this.mounted) seen.observe(m.box.parentElement!);
  }

  set(primary: SeriesData, overlay: Overlay | null, smoothing: number): void {
    this.primary = primary;
    this.overlay = overlay;
    this.smoothing = smoothing;
    for (const m of this.mounted) m.dirty = true;
    this.schedule();
  }

  /** What the run's config says that changes a chart (KL off). */
  setContext(context: ChartContext): void {
    this.context = context;
    for (const m of this.mounted) m.dirty = true;
    this.schedule();
  }

  /** Rebuilds every chart (new theme colours). */
  restyle(): void {
    for (const m of this.mounted) {
      m.shape = undefined;
      m.dirty = true;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private size(m: Mounted): { width: number; height: number } {
    return { width: Math.max(200, m.box.clientWidth), height: m.spec.wide ? 300 : 200 };
  }

  private resize(): void {
    for (const m of this.mounted) m.plot?.setSize(this.size(m));
  }

  private draw(): void {
    if (!this.primary) return;
    const t0 = performance.now();
    const axes = axisColors();
    this.root.dataset.points = String(this.primary.steps.length);
    let drew = false;
    for (const m of this.mounted) {
      if (!m.dirty || !m.visible) continue;
      const box = m.box;
      m.dirty = false;
      drew = true;
      const note = m.spec.note?.(this.primary, this.context);
      m.note.textContent = note ?? "";
      m.note.hidden = !note;
      m.box.hidden = !!note;
      m.box.parentElement!.dataset.off = note ? "true" : "false";
      if (note) {
        m.plot?.destroy();
        m.plot = undefined;
        m.shape = undefined;
        continue;
      }
      const b = buildChart(m.spec, this.primary, this.overlay, this.smoothing);
      if (m.plot && m.shape === b.shape) {
        m.plot.setData(b.data);
        continue;
      }
      m.plot?.destroy();
      const axis = { stroke: axes.text, grid: { stroke: axes.grid, width: 1 }, ticks: { stroke: axes.grid, width: 1 } };
      m.plot = new uPlot(
        {
          ...this.size(m),
          series: b.series,
          scales: { x: { time: false }, ...(m.spec.range ? { y: { range: m.spec.range } } : {}) },
          axes: [
            {
              ...axis,
              label: "step",
              labelSize: 18,
              incrs: STEP_INCRS,
              // The ticks drawn, also for tests (the axis is canvas, not DOM).
              values: (_u, splits) => {
                box.dataset.xTicks = splits.join(",");
                return splits.map(String);
              },
            },
            { ...axis, size: 56 },
          ],
          cursor: { sync: { key: "steps" }, drag: { x: true, y: false } },
          legend: { live: true },
        },
        b.data,
        m.box,
      );
      m.shape = b.shape;
    }
    if (!drew) return;
    // The benchmark reads these to tell chart work from everything else in a frame.
    performance.measure("oneshot:draw", { start: t0 });
    this.draws++;
    if (this.draws === 1) performance.mark("oneshot:first-draw");
    this.root.dataset.draws = String(this.draws);
    this.root.dataset.drawnPoints = String(this.primary.steps.length);
    this.onDrawn(this.primary.steps.length);
  }
}
