// The webview's side of the protocol: the VS Code API handle, typed posting and persisted state.
import type { DashboardState, WebviewToExtension } from "../src/protocol/messages";

interface VsCodeApi {
  postMessage(message: WebviewToExtension): void;
  getState(): DashboardState | undefined;
  setState(state: DashboardState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
let state: Partial<DashboardState> = api.getState() ?? {};

export function post(message: WebviewToExtension): void {
  api.postMessage(message);
}

export function getState(): Partial<DashboardState> {
  return state;
}

/** Persists UI choices; VS Code hands them back after a reload (and the serializer reads runDir). */
export function saveState(patch: Partial<DashboardState>): void {
  state = { ...state, ...patch };
  if (state.runDir) api.setState(state as DashboardState);
}
