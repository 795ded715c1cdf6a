// A report as a short list of blocks, rendered once as Markdown and once as HTML so the two
// files never disagree.

export type Inline = string | { text: string; href: string } | { code: string };

export type Block =
  | { kind: "heading"; level: 1 | 2 | 3; text: string }
  | { kind: "paragraph"; parts: Inline[] }
  | { kind: "table"; header: string[]; rows: string[][]; align?: ("left" | "right")[] }
  | { kind: "list"; items: Inline[][] }
  /** An SVG chart: inlined in HTML, linked as `file` (relative to the report) in Markdown. */
  | { kind: "chart"; title: string; svg: string; file: string };

const escHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const escMd = (s: string) => s.replace(/([\\`*_[\]|<>])/g, "\\$1");

function inlineMd(parts: Inline[]): string {
  return parts.map((p) => (typeof p === "string" ? escMd(p) : "href" in p ? `[${escMd(p.text)}](${p.href})` : `\`${p.code}\``)).join("");
}

function inlineHtml(parts: Inline[]): string {
  return parts
    .map((p) => (typeof p === "string" ? escHtml(p) : "href" in p ? `<a href="${escHtml(p.href)}">${escHtml(p.text)}</a>` : `<code>${escHtml(p.code)}</code>`))
    .join("");
}

export function toMarkdown(blocks: Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case "heading":
        out.push(`${"#".repeat(b.level)} ${escMd(b.text)}`);
        break;
      case "paragraph":
        out.push(inlineMd(b.parts));
        break;
      case "list":
        out.push(b.items.map((i) => `- ${inlineMd(i)}`).join("\n"));
        break;
      case "table": {
        const align = b.header.map((_, i) => (b.align?.[i] === "right" ? "---:" : "---"));
        out.push(
          [b.header, align, ...b.rows].map((r, i) => `| ${(i === 1 ? r : r.map(escMd)).join(" | ")} |`).join("\n"),
        );
        break;
      }
      case "chart":
        out.push(`![${escMd(b.title)}](${b.file})`);
        break;
    }
  }
  return out.join("\n\n") + "\n";
}

// The page paints its own white background: an editor's webview would otherwise show it on the dark theme's.
const CSS = `html,body{background:#fff}body{font:14px/1.5 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #ddd;padding:4px 10px}th{background:#f5f5f5}
td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}figure{margin:1em 0}svg{max-width:100%;height:auto;border:1px solid #eee}
code{background:#f3f3f3;padding:0 3px;border-radius:3px}h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #eee}`;

export function toHtml(title: string, blocks: Block[]): string {
  const body = blocks.map((b) => {
    switch (b.kind) {
      case "heading":
        return `<h${b.level}>${escHtml(b.text)}</h${b.level}>`;
      case "paragraph":
        return `<p>${inlineHtml(b.parts)}</p>`;
      case "list":
        return `<ul>${b.items.map((i) => `<li>${inlineHtml(i)}</li>`).join("")}</ul>`;
      case "table": {
        const cls = (i: number) => (b.align?.[i] === "right" ? ' class="r"' : "");
        const head = `<tr>${b.header.map((h, i) => `<th${cls(i)}>${escHtml(h)}</th>`).join("")}</tr>`;
        const rows = b.rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${escHtml(c)}</td>`).join("")}</tr>`).join("\n");
        return `<table>\n${head}\n${rows}\n</table>`;
      }
      case "chart":
        return `<figure>${b.svg}</figure>`;
    }
  });
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escHtml(title)}</title><style>${CSS}</style></head><body>`,
    ...body,
    "</body></html>",
    "",
  ].join("\n");
}
