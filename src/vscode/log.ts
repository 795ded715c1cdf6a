import * as vscode from "vscode";

/** The "One-Shot RLVR" output channel: engine stderr, setup output and errors go here. */
let channel: vscode.LogOutputChannel | undefined;

export function log(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel("One-Shot RLVR", { log: true });
  return channel;
}
