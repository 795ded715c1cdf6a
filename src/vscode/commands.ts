// Command ids of the authoring features (contributed in package.json, except showVerifierCase,
// which only CodeLens uses).
export const COMMANDS = {
  newExample: "oneshot.newExample",
  newExampleFromDataset: "oneshot.newExampleFromDataset",
  trainExample: "oneshot.trainExample",
  trainSelection: "oneshot.trainSelection",
  testVerifier: "oneshot.testVerifier",
  changePreset: "oneshot.changePreset",
  changeModel: "oneshot.changeModel",
  openDemoExample: "oneshot.openDemoExample",
  showVerifierCase: "oneshot.showVerifierCase",
  /** Built by the dashboard feature; called when registered. */
  openDashboard: "oneshot.openDashboard",
} as const;
