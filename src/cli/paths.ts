// Locations of the shipped assets relative to the installed CLI/extension: dist/ sits beside
// engine/ and examples/ both in the repository and inside the packaged extension.
import { existsSync } from "node:fs";
import * as path from "node:path";

export function projectRoot(installDir: string): string {
  // installDir is dist/ (bundled) or src/cli (run from source through tsx).
  for (let dir = installDir, i = 0; i < 4; i++, dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "engine", "requirements.txt"))) return dir;
  }
  return path.dirname(installDir);
}

export const engineDir = (root: string) => path.join(root, "engine");
export const examplesDir = (root: string) => path.join(root, "examples");
export const defaultVenvDir = (root: string) => path.join(root, ".venv");
