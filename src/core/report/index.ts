// `oneshot report RUN`: writes report.md (charts as SVG files beside it) and a self-contained
// report.html (charts inline) into the run directory or a chosen folder.
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ASSETS_DIR, buildCharts, buildReport } from "./build";
import { collectReport, type ReportData } from "./collect";
import { toHtml, toMarkdown } from "./doc";

export { collectReport, ReportError, type ReportData } from "./collect";

export interface WrittenReport {
  markdown: string;
  html: string;
  assets: string[];
  data: ReportData;
}

/** The report as one self-contained HTML page, built in memory (the editor's Open Report shows it). */
export function renderReportHtml(runDir: string): { html: string; data: ReportData } {
  const data = collectReport(runDir);
  return { html: toHtml(reportTitle(data), buildReport(data)), data };
}

const reportTitle = (data: ReportData) => `One-Shot RLVR report: ${data.runId}`;

export function writeReport(runDir: string, outDir = runDir): WrittenReport {
  const data = collectReport(runDir);
  const blocks = buildReport(data);
  mkdirSync(path.join(outDir, ASSETS_DIR), { recursive: true });
  const assets = buildCharts(data).map((c) => {
    const file = path.join(outDir, ASSETS_DIR, `${c.name}.svg`);
    writeFileSync(file, c.svg + "\n");
    return file;
  });
  const markdown = path.join(outDir, "report.md");
  const html = path.join(outDir, "report.html");
  writeFileSync(markdown, toMarkdown(blocks));
  writeFileSync(html, toHtml(reportTitle(data), blocks));
  return { markdown, html, assets, data };
}
