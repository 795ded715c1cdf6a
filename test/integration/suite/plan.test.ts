// The memory plan in the editor: the preset lens's tooltip and Train's refusal, on a card of the
// `oneshot.gpuMemory` size (this machine needs no GPU for it, as `oneshot plan --gpu-memory`).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { COMMANDS } from "../../../src/vscode/commands";
import type { TrainResult } from "../../../src/vscode/trainExample";
import { closeWithoutSaving, openExample } from "./authoringHelpers";

const PROBLEM = "A pipe fills $\\frac{2}{7}$ of a tank per hour. How many hours does it take to fill the tank?\n";

describe("memory plan: the preset lens and Train", function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    await vscode.extensions.getExtension("oneshot-rlvr.oneshot-rlvr")!.activate();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "oneshot-plan-"));
    fs.writeFileSync(path.join(dir, "local.rlvr.md"), `---\nanswer: '\\frac{7}{2}'\npreset: local\n---\n${PROBLEM}`);
    // The paper preset itself fits 24 GB since it trains 4-row micro-batches; verl's 16 rows with every
    // layer recomputed do not.
    fs.writeFileSync(path.join(dir, "paper.rlvr.md"), `---\nanswer: '\\frac{7}{2}'\npreset: paper\nmicro_batch_size: 16\ngradient_checkpointing: true\n---\n${PROBLEM}`);
    await vscode.workspace.getConfiguration("oneshot").update("gpuMemory", 24, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.workspace.getConfiguration("oneshot").update("gpuMemory", undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const presetLens = async (uri: vscode.Uri) => {
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", uri, 100);
    const lens = lenses.find((l) => l.command?.title.startsWith("Preset: "));
    assert.ok(lens?.command, "no preset lens");
    return lens.command;
  };

  it("shows the plan in the preset lens's tooltip: the local preset fits 24 GB with the compact state", async () => {
    const { doc } = await openExample(path.join(dir, "local.rlvr.md"));
    const lens = await presetLens(doc.uri);
    assert.equal(lens.title, "Preset: local");
    assert.match(lens.tooltip ?? "", /^Plan on a 24 GB card: peak (1\d|2[01])\.\d GB of 24 GB \(fits\) · compact optimizer state, all rollouts at once · ~[\d.]+ (s|min)\/step\n/);
    assert.match(lens.tooltip ?? "", /\n\nChange the preset \(writes `preset:` in the front matter\)$/);
    await closeWithoutSaving(doc);
  });

  it("Train refuses the paper preset with 16-row micro-batches on 24 GB before starting, naming settings that would fit", async () => {
    const { doc } = await openExample(path.join(dir, "paper.rlvr.md"));
    assert.match((await presetLens(doc.uri)).tooltip ?? "", /\(does not fit\)/);
    const result = await vscode.commands.executeCommand<TrainResult>(COMMANDS.trainExample, doc.uri, { interactive: false });
    assert.equal(result.started, false);
    assert.equal(result.started === false && result.reason, "does-not-fit");
    assert.match((result.started === false && result.message) || "", /^Qwen\/Qwen2\.5-Math-1\.5B does not fit in 24 GB: the step needs about [\d.]+ GB at its peak \(training phase\); .* would fit in 24 GB\.$/);
    await closeWithoutSaving(doc);
  });
});
