// Model output as text with its LaTeX rendered by KaTeX. Text stays text nodes (never HTML), and
// KaTeX builds DOM nodes itself (render, not renderToString), so nothing needs inline styles or
// innerHTML under the webview's CSP. Bad LaTeX shows as KaTeX's red source, never an exception.
import katex from "katex";

// $$…$$, \[…\], \(…\) and $…$ (a `$` not escaped and not spanning lines).
const MATH = /\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)|(?<![\\$])\$((?:\\\$|[^$\n])+?)\$/g;

export interface Segment {
  kind: "text" | "inline" | "display";
  value: string;
}

export function splitMath(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(MATH)) {
    const at = m.index ?? 0;
    if (at > last) out.push({ kind: "text", value: text.slice(last, at) });
    if (m[1] !== undefined) out.push({ kind: "display", value: m[1] });
    else if (m[2] !== undefined) out.push({ kind: "display", value: m[2] });
    else out.push({ kind: "inline", value: m[3] ?? m[4] });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ kind: "text", value: text.slice(last) });
  return out;
}

export function renderTex(into: HTMLElement, tex: string, display = false): void {
  katex.render(tex, into, { displayMode: display, throwOnError: false, strict: "ignore", trust: false, maxExpand: 500 });
}

/**
 * Appends `text` to `into` with its math rendered. With `lazy`, math stays as its source until
 * `renderPendingMath` is called on an ancestor (when it scrolls into view): a page of long
 * rollouts holds hundreds of formulas, most of them off screen.
 */
export function renderMathText(into: HTMLElement, text: string, lazy = false): void {
  const segs = splitMath(text);
  segs.forEach((seg, i) => {
    if (seg.kind === "text") {
      // A display formula is a block already: the line breaks around it would add blank lines.
      let v = seg.value;
      if (segs[i - 1]?.kind === "display") v = v.replace(/^\s*\n/, "");
      if (segs[i + 1]?.kind === "display") v = v.replace(/\n\s*$/, "");
      into.append(document.createTextNode(v));
      return;
    }
    const el = document.createElement(seg.kind === "display" ? "div" : "span");
    el.className = seg.kind === "display" ? "math-display" : "math-inline";
    if (lazy) {
      el.dataset.tex = seg.value;
      el.textContent = seg.value;
    } else renderTex(el, seg.value, seg.kind === "display");
    into.append(el);
  });
}

export function renderPendingMath(root: HTMLElement): void {
  for (const el of root.querySelectorAll<HTMLElement>("[data-tex]")) {
    const tex = el.dataset.tex!;
    delete el.dataset.tex;
    el.textContent = "";
    renderTex(el, tex, el.classList.contains("math-display"));
  }
}
