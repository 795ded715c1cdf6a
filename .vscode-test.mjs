// `npm run test:desktop`: the integration suite (test/integration/suite, bundled by esbuild.mjs into
// out/test/suite) in desktop VS Code through @vscode/test-cli and @vscode/test-electron, which
// download VS Code (needs internet). Where that is impossible, `npm run test:integration` runs the
// same suite in code-server.
import { defineConfig } from "@vscode/test-cli";

export default defineConfig({
  label: "integration",
  files: "out/test/suite/**/*.test.cjs",
  version: "stable",
  workspaceFolder: "test/integration/fixtures/workspace",
  // Only the extension under development, in a trusted workspace, as the code-server harness does.
  launchArgs: ["--disable-extensions", "--disable-workspace-trust"],
  env: { ONESHOT_TEST_WORKSPACE_TRUST: "trusted" },
  mocha: { ui: "bdd", timeout: 60_000, color: false },
});
