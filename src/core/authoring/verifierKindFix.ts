// A verifier block that the front matter ignores (`verifier: math` above a ```verifier block):
// the parser reports it; the editor offers to write `verifier: custom`, the likelier intent of
// someone who wrote the block.
import { isMap, isScalar } from "yaml";
import type { ExampleDocument } from "../example/document";

/** The kind the front matter names instead of `custom` while a closed verifier block exists; else undefined. */
export function ignoredBlockKind(src: ExampleDocument): string | undefined {
  const block = src.verifierBlock;
  if (!block || block.close === undefined) return undefined;
  const contents = src.yaml?.contents;
  if (!isMap(contents)) return undefined;
  const node = contents.get("verifier", true);
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
  const kind = String(node.value);
  return kind === "custom" ? undefined : kind;
}
