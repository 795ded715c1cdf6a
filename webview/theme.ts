// Chart colours from the active VS Code theme (its CSS variables), so charts follow light, dark
// and high-contrast themes; redrawn when VS Code switches the theme class on <body>.
export type ColorName = "blue" | "red" | "green" | "yellow" | "orange" | "purple" | "foreground";

const FALLBACK: Record<ColorName, string> = {
  blue: "#3794ff",
  red: "#f14c4c",
  green: "#89d185",
  yellow: "#cca700",
  orange: "#d18616",
  purple: "#b180d7",
  foreground: "#cccccc",
};

function cssVar(name: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim();
}

export function color(name: ColorName): string {
  return cssVar(name === "foreground" ? "--vscode-foreground" : `--vscode-charts-${name}`) || FALLBACK[name];
}

export function axisColors(): { text: string; grid: string } {
  const text = cssVar("--vscode-descriptionForeground") || cssVar("--vscode-foreground") || "#888";
  const grid = cssVar("--vscode-editorWidget-border") || cssVar("--vscode-panel-border") || "rgba(128,128,128,0.25)";
  return { text, grid };
}

/** `color` at a lower opacity, for the raw line under a smoothed one. */
export function faint(c: string, alpha = 0.3): string {
  const m = /^#([0-9a-f]{6})$/i.exec(c) ?? /^#([0-9a-f]{3})$/i.exec(c);
  if (!m) return c;
  const hex = m[1].length === 3 ? [...m[1]].map((x) => x + x).join("") : m[1];
  return `#${hex}${Math.round(alpha * 255).toString(16).padStart(2, "0")}`;
}

export function themeKind(): string {
  return document.body.dataset.vscodeThemeKind ?? [...document.body.classList].find((c) => c.startsWith("vscode-")) ?? "";
}

export function onThemeChange(cb: () => void): void {
  let kind = themeKind();
  new MutationObserver(() => {
    const now = themeKind();
    if (now !== kind) {
      kind = now;
      cb();
    }
  }).observe(document.body, { attributes: true, attributeFilter: ["class", "data-vscode-theme-kind"] });
}
