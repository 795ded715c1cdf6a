// Every command id of the extension, declared once: the features register and call these, the
// tests import them, and test/unit/vscode/commandIds.test.ts checks that package.json contributes
// exactly these (plus the Runs view, whose `.focus` command VS Code adds). No editor API here, so
// unit tests can import it.
export const COMMANDS = {
  setupEngine: "oneshot.setupEngine",
  // authoring
  newExample: "oneshot.newExample",
  newExampleFromDataset: "oneshot.newExampleFromDataset",
  trainExample: "oneshot.trainExample",
  trainSelection: "oneshot.trainSelection",
  testVerifier: "oneshot.testVerifier",
  changePreset: "oneshot.changePreset",
  changeModel: "oneshot.changeModel",
  openDemoExample: "oneshot.openDemoExample",
  /** Only CodeLens uses it: not contributed to the command palette. */
  showVerifierCase: "oneshot.showVerifierCase",
  // runs
  openDashboard: "oneshot.openDashboard",
  stopRun: "oneshot.stopRun",
  resumeRun: "oneshot.resumeRun",
  retryRun: "oneshot.retryRun",
  revealRun: "oneshot.revealRun",
  exportRunMetrics: "oneshot.exportRunMetrics",
  deleteRun: "oneshot.deleteRun",
  openRunConfig: "oneshot.openRunConfig",
  refreshRuns: "oneshot.refreshRuns",
  openRunReport: "oneshot.openRunReport",
  // a checkpoint of a run (checkpointActions.ts)
  evaluateCheckpoint: "oneshot.evaluateCheckpoint",
  revealCheckpoint: "oneshot.revealCheckpoint",
  copyCheckpointPath: "oneshot.copyCheckpointPath",
  // trying a model (tryPanel.ts)
  tryModel: "oneshot.tryModel",
  exportOnnx: "oneshot.exportOnnx",
} as const;

/** Registered but not in package.json's `contributes.commands`. */
export const INTERNAL_COMMANDS: readonly string[] = [COMMANDS.showVerifierCase];

/** The Runs view (package.json `contributes.views`). */
export const RUNS_VIEW = "oneshot.runs";

/** VS Code's command that reveals the Runs view. */
export const FOCUS_RUNS_VIEW = `${RUNS_VIEW}.focus`;
