// Command ids are declared once, in src/vscode/commands.ts: package.json must contribute exactly
// those, name no other, and no source or test may spell one out as a string of its own.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { COMMANDS, FOCUS_RUNS_VIEW, INTERNAL_COMMANDS, RUNS_VIEW } from "../../../src/vscode/commands";

interface Manifest {
  contributes: {
    commands: { command: string }[];
    views: Record<string, { id: string }[]>;
    menus: Record<string, { command: string }[]>;
  };
}

const manifestText = readFileSync("package.json", "utf8");
const manifest = JSON.parse(manifestText) as Manifest;
const declared: string[] = Object.values(COMMANDS);

test("package.json contributes exactly the declared commands (the internal ones aside)", () => {
  const contributed = manifest.contributes.commands.map((c) => c.command).sort();
  assert.deepEqual(contributed, declared.filter((id) => !INTERNAL_COMMANDS.includes(id)).sort());
});

test("every command package.json names (menus, command: links, onCommand: events) is declared", () => {
  const menus = Object.values(manifest.contributes.menus).flatMap((items) => items.map((m) => m.command));
  const mentioned = [...manifestText.matchAll(/(?:command:|onCommand:)(oneshot\.[\w.]+)/g)].map((m) => m[1]);
  const known = new Set([...declared, FOCUS_RUNS_VIEW]);
  assert.deepEqual([...new Set([...menus, ...mentioned])].filter((id) => !known.has(id)), []);
});

test("the Runs view is the one package.json contributes", () => {
  const views = Object.values(manifest.contributes.views).flatMap((vs) => vs.map((v) => v.id));
  assert.ok(views.includes(RUNS_VIEW), `package.json contributes views ${views.join(", ")}, not ${RUNS_VIEW}`);
});

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "fixtures" ? [] : sources(p);
    return /\.(ts|tsx|mjs|js)$/.test(e.name) ? [p] : [];
  });
}

test("no source or test spells out a command id: they import src/vscode/commands.ts", () => {
  const ids = [...declared, FOCUS_RUNS_VIEW].map((id) => id.replace(/\./g, "\\."));
  const literal = new RegExp(`["'\`](${ids.join("|")})["'\`]`);
  const home = path.join("src", "vscode", "commands.ts");
  const offenders = ["src", "test", "webview"]
    .flatMap(sources)
    .filter((file) => file !== home && literal.test(readFileSync(file, "utf8")));
  assert.deepEqual(offenders, []);
});
