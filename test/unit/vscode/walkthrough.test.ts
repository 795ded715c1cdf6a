// The walkthrough's "Open the demo example" step shows the very file its command opens.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { DEMO_EXAMPLE } from "../../../src/core/authoring/demo";

interface Step {
  id: string;
  media: { markdown?: string };
}

test("the demo step's media shows the demo example's own text", () => {
  const manifest = JSON.parse(readFileSync("package.json", "utf8")) as { contributes: { walkthroughs: { steps: Step[] }[] } };
  const step = manifest.contributes.walkthroughs[0]!.steps.find((s) => s.id === "openDemo")!;
  const media = readFileSync(step.media.markdown!, "utf8");
  const shown = /```markdown\n([\s\S]*?)```/.exec(media)?.[1];
  assert.ok(shown, "the media has no ```markdown block");
  assert.equal(shown, readFileSync(path.join("examples", DEMO_EXAMPLE), "utf8"));
  assert.ok(media.includes(DEMO_EXAMPLE), "the media names the file it opens");
});
