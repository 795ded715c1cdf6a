// Quick-pick rows for dataset problems. The shape matches vscode.QuickPickItem, so the editor
// uses them as they are; the quick pick's own fuzzy filter searches label, description and detail.
// `oneshot new --list` prints the same rows (listRows).
import type { DatasetProblem } from "./dataset";
import type { RankEntry } from "./ranking";

export interface ProblemPickItem {
  label: string;
  description: string;
  detail: string;
  problem: DatasetProblem;
}

const LABEL_MAX = 90;
const DETAIL_MAX = 200;

/** The problems as the picker lists them; with a ranking, in its order and with its score. */
export function problemPickItems(problems: DatasetProblem[], ranking?: Map<string, RankEntry>): ProblemPickItem[] {
  return problems.map((p) => {
    const flat = oneLine(p.problem);
    const extras = Object.entries(p.extra)
      .filter(([k]) => !/^(unique_)?id$|^idx$|^index$/i.test(k))
      .slice(0, 3)
      .map(([k, v]) => `${k}: ${v}`);
    const ranked = ranking?.get(p.id);
    return {
      label: `#${p.row + 1}  ${truncate(flat, LABEL_MAX)}`,
      description: [answerText(p, 40), ranked ? rankText(ranked) : ""].filter(Boolean).join(" · "),
      detail: truncate([hasOwnId(p) ? `id: ${p.id}` : "", ...extras, flat.length > LABEL_MAX ? flat.slice(LABEL_MAX - 1) : ""].filter(Boolean).join(" · "), DETAIL_MAX),
      problem: p,
    };
  });
}

export interface ListedProblem {
  /** 1-based, as the picker shows it and `oneshot new --row` takes it. */
  row: number;
  id: string;
  answer: string | null;
  /** The first words of the problem. */
  problem: string;
  rank?: number;
  score?: number | null;
  score_name?: string;
}

/** What `oneshot new --list` prints: the picker's rows as data. */
export function listRows(problems: DatasetProblem[], ranking?: Map<string, RankEntry>, width = 60): ListedProblem[] {
  return problems.map((p) => {
    const ranked = ranking?.get(p.id);
    return {
      row: p.row + 1,
      id: p.id,
      answer: p.answer,
      problem: truncate(oneLine(p.problem), width),
      ...(ranked ? { rank: ranked.rank, score: ranked.score, score_name: ranked.score_name } : {}),
    };
  });
}

function answerText(p: DatasetProblem, max: number): string {
  return p.answer === null ? "no answer" : `answer: ${truncate(oneLine(p.answer), max)}`;
}

function rankText(r: RankEntry): string {
  return `rank ${r.rank}${r.score === null ? "" : ` (${r.score_name} ${r.score.toFixed(3)})`}`;
}

/** An id from the dataset rather than the row position the reader falls back to. */
function hasOwnId(p: DatasetProblem): boolean {
  return p.id !== String(p.row);
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
