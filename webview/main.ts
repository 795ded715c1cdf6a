// Dashboard webview entry: announces itself with `ready` (the handshake the extension waits for
// before sending state) and reports script errors to the extension's log.
import type { ExtensionToWebview, WebviewToExtension } from "../src/protocol/messages";

interface VsCodeApi {
  postMessage(message: WebviewToExtension): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
window.addEventListener("error", (e) => vscode.postMessage({ type: "error", message: String(e.message) }));
window.addEventListener("message", (e: MessageEvent<ExtensionToWebview>) => {
  document.body.dataset.lastMessage = e.data.type;
});
vscode.postMessage({ type: "ready" });
