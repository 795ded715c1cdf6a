// Shapes of the monitor's Node side; the ones the webview shares are in src/protocol.

/** Where one `rollouts` line lies in the file. */
export interface RolloutLineRef {
  step: number;
  offset: number;
  length: number;
}
