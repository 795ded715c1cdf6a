// The Results tab: the before/after table per benchmark and sub-skill (first against last
// evaluation) and the problems that flipped, as `oneshot report` gives them, with a button to the
// whole report.
import type { RunResults } from "../src/protocol/messages";
import { post } from "./api";
import { el } from "./dom";

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
/** Ids shown per flip list; the rest are counted (the report's results files have them all). */
const MAX_IDS = 60;

export class ResultsView {
  private readonly body = el("div", { class: "results-body" }, [el("p", { class: "empty" }, ["Loading the results…"])]);

  constructor(root: HTMLElement) {
    const open = el("vscode-button", { secondary: "", title: "The whole report: settings, curves, the paper's numbers" }, ["Open Report"]);
    open.addEventListener("click", () => post({ type: "command", command: "report" }));
    root.append(el("div", { class: "toolbar" }, [open]), this.body);
  }

  set(results: RunResults | null, error?: string): void {
    if (!results) {
      this.body.replaceChildren(el("p", { class: "empty" }, [`The results cannot be read: ${error ?? "unknown error"}.`]));
      return;
    }
    const parts: HTMLElement[] = [];
    if (results.rows.length && results.firstStep !== undefined && results.lastStep !== undefined) parts.push(this.table(results));
    else parts.push(el("p", { class: "empty" }, ["No before/after yet: it needs two evaluations of a benchmark (step 0 and a later one)."]));
    for (const f of results.flips) {
      const list = (label: string, ids: string[]) =>
        el("div", { class: "flip-list" }, [
          el("strong", {}, [`${label} (${ids.length}): `]),
          ids.length ? `${ids.slice(0, MAX_IDS).join(", ")}${ids.length > MAX_IDS ? `, … ${ids.length - MAX_IDS} more` : ""}` : "none",
        ]);
      parts.push(
        el("section", { class: "flips", "data-benchmark": f.benchmark }, [
          el("h3", {}, [`${f.benchmark}: problems that flipped, step ${f.from} → step ${f.to}`]),
          list("Now right", f.gained),
          list("Now wrong", f.lost),
        ]),
      );
    }
    this.body.replaceChildren(...parts);
  }

  private table(r: RunResults): HTMLElement {
    const head = ["Benchmark", "Sub-skill", "n", `Step ${r.firstStep}`, `Step ${r.lastStep}`, "Change"];
    const rows = r.rows.map((x) => {
      const d = 100 * (x.after - x.before);
      const change = `${d > 0 ? "+" : d < 0 ? "−" : "±"}${Math.abs(d).toFixed(1)} pts`;
      const whole = x.group === "all";
      return el("tr", { class: whole ? "bench" : "skill" }, [
        el("td", {}, [whole ? x.benchmark : ""]),
        el("td", {}, [whole ? "all" : x.group]),
        el("td", { class: "num" }, [String(x.n)]),
        el("td", { class: "num" }, [pct(x.before)]),
        el("td", { class: "num" }, [pct(x.after)]),
        el("td", { class: `num ${d > 0 ? "up" : d < 0 ? "down" : ""}` }, [change]),
      ]);
    });
    return el("table", { class: "results-table" }, [
      el("thead", {}, [el("tr", {}, head.map((h, i) => el("th", i >= 2 ? { class: "num" } : {}, [h])))]),
      el("tbody", {}, rows),
    ]);
  }
}
