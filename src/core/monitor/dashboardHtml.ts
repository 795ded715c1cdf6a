// The dashboard webview's page. Strict CSP: scripts only with the per-load nonce (no inline
// handlers, no eval), styles and fonts only from the extension's own files. The same function
// builds the page for VS Code and for the browser tests, so the tests run under the real policy.
export interface DashboardHtmlOptions {
  /** The webview's `cspSource` (the origin its local resources are served from). */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  /** Extra scripts run before the dashboard (tests inject their acquireVsCodeApi shim). */
  preScripts?: string[];
  /** Extra stylesheets (tests inject a VS Code theme). */
  extraStyles?: string[];
  /** The page's title and the text shown until the script runs (other panels reuse the page). */
  title?: string;
  loading?: string;
}

export function dashboardHtml(o: DashboardHtmlOptions): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data:`,
    `style-src ${o.cspSource}`,
    `font-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
  ].join("; ");
  const attr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  const styles = [o.styleUri, ...(o.extraStyles ?? [])].map((s) => `<link rel="stylesheet" href="${attr(s)}">`);
  const scripts = [...(o.preScripts ?? []), o.scriptUri].map(
    (s) => `<script nonce="${attr(o.nonce)}" src="${attr(s)}"></script>`,
  );
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles.join("\n")}
<title>${attr(o.title ?? "Run dashboard")}</title>
</head>
<body>
<div id="app"><p class="loading">${attr(o.loading ?? "Loading the run…")}</p></div>
${scripts.join("\n")}
</body>
</html>`;
}

/** A nonce of 32 URL-safe characters from a CSPRNG. */
export function makeNonce(): string {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString("base64url");
}
