// Run ids: <YYYYMMDD-HHMMSS>-<example stem>, local time (create.ts appends -2, -3, … when two runs
// of the same example start within the same second).
import * as path from "node:path";

export function exampleStem(file: string): string {
  const base = path.basename(file).replace(/\.rlvr\.md$/i, "").replace(/\.md$/i, "");
  return base.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "example";
}

export function newRunId(exampleFile: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${stamp}-${exampleStem(exampleFile)}`;
}
