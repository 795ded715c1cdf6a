// Entry of the integration suite that runs inside a real VS Code extension host (code-server or
// desktop VS Code). Bundled to out/test/index.cjs; the host calls run().
import Mocha from "mocha";

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", timeout: 60_000, color: false });
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} integration test(s) failed`)) : resolve()));
  });
}
