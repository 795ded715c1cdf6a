// Quick-pick rows for dataset problems. The shape matches vscode.QuickPickItem, so the editor
// uses them as they are; the quick pick's own fuzzy filter searches label, description and detail.
import type { DatasetProblem } from "./dataset";

export interface ProblemPickItem {
  label: string;
  description: string;
  detail: string;
  problem: DatasetProblem;
}

const LABEL_MAX = 90;
const DETAIL_MAX = 200;

export function problemPickItems(problems: DatasetProblem[]): ProblemPickItem[] {
  return problems.map((p) => {
    const flat = oneLine(p.problem);
    const extras = Object.entries(p.extra)
      .filter(([k]) => !/^(unique_)?id$|^idx$|^index$/i.test(k))
      .slice(0, 3)
      .map(([k, v]) => `${k}: ${v}`);
    return {
      label: `#${p.row + 1}  ${truncate(flat, LABEL_MAX)}`,
      description: p.answer === null ? "no answer" : `answer: ${truncate(oneLine(p.answer), 40)}`,
      detail: truncate([...extras, flat.length > LABEL_MAX ? flat.slice(LABEL_MAX - 1) : ""].filter(Boolean).join(" · "), DETAIL_MAX),
      problem: p,
    };
  });
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
