// Messages between the extension and the dashboard webview: one discriminated union per
// direction, declared once and imported by both sides.
import type { RunEvent } from "../core/run/events";

/** Webview → extension. */
export type WebviewToExtension =
  | { type: "ready" }
  | { type: "error"; message: string };

/** Extension → webview. */
export type ExtensionToWebview =
  | { type: "init"; runId: string; runDir: string }
  | { type: "events"; events: RunEvent[]; reset: boolean };
