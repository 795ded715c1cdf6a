// Runs an example's verifier for the editor: the full "Test verifier" check or only the reference
// case. Built-ins grade in-process; a custom verifier runs in the verifier's sandbox process, and
// only in a trusted workspace.
import * as path from "node:path";
import * as vscode from "vscode";
import { checkReference, checkVerifier, type CaseVerdict, type VerifierReport } from "../core/authoring/verifierCheck";
import { verifierSpecOf, type ParsedExample } from "../core/example";
import { createVerifier } from "../core/verifier";
import { effectiveSettings } from "./runChoices";
import type { Verifier, VerifierSpec } from "../core/verifier/api";

export type CheckOutcome<T> =
  | { status: "done"; spec: VerifierSpec; value: T }
  | { status: "untrusted"; spec: VerifierSpec }
  | { status: "invalid"; message: string };

/**
 * Time limit per custom-verifier call in the editor. A sound verifier answers in milliseconds once
 * its sandbox runs; the limit also bounds the sandbox's start (a new process, on a busy machine
 * a few hundred ms), so it is not tighter than that, and a hung verifier costs 1.5 s per case.
 */
const EDITOR_TIMEOUT_MS = 1500;

/** The bundled sandbox script (dist/verifier-sandbox.cjs): the extension host's argv says nothing about it. */
let sandboxPath: string | undefined;

export function initVerifierRunner(extensionPath: string): void {
  sandboxPath = path.join(extensionPath, "dist", "verifier-sandbox.cjs");
}

/**
 * One verifier per example file, kept while its spec stays the same: a custom verifier's sandbox
 * process then starts once, and later checks of the same file answer in milliseconds.
 */
const warm = new Map<string, { key: string; verifier: Verifier }>();

/**
 * How training from the editor grades this example: its verifier, and whether built-ins accept
 * only a \boxed{} answer (the effective `boxed_only`; the paper's reward counts only the box).
 */
export function gradingOf(example: ParsedExample): { spec: VerifierSpec; boxedOnly: boolean } {
  return { spec: verifierSpecOf(example), boxedOnly: effectiveSettings(example.frontMatter).settings.boxed_only };
}

function verifierFor(file: string, spec: VerifierSpec, boxedOnly: boolean): Verifier {
  const key = JSON.stringify([spec, boxedOnly]);
  const cached = warm.get(file);
  if (cached?.key === key) return cached.verifier;
  if (cached) void cached.verifier.dispose();
  const verifier = createVerifier(spec, { timeoutMs: EDITOR_TIMEOUT_MS, sandboxPath, boxedOnly });
  warm.set(file, { key, verifier });
  return verifier;
}

/** Ends the sandbox of one file (closed) or of all (trust revoked, deactivation). */
export async function disposeVerifiers(file?: string): Promise<void> {
  const entries = file === undefined ? [...warm] : warm.has(file) ? [[file, warm.get(file)!] as const] : [];
  for (const [f] of entries) warm.delete(f);
  await Promise.all(entries.map(([, e]) => e.verifier.dispose()));
}

async function withVerifier<T>(
  example: ParsedExample | undefined,
  fn: (v: Verifier, answer: string) => Promise<T>,
): Promise<CheckOutcome<T>> {
  if (!example) return { status: "invalid", message: "Fix the errors in this file first (see the Problems panel)." };
  const { spec, boxedOnly } = gradingOf(example);
  if (spec.kind === "custom" && !vscode.workspace.isTrusted) return { status: "untrusted", spec };
  const verifier = verifierFor(example.file, spec, boxedOnly);
  return { status: "done", spec, value: await fn(verifier, String(example.frontMatter.answer)) };
}

export const runFullCheck = (example: ParsedExample | undefined): Promise<CheckOutcome<VerifierReport>> =>
  withVerifier(example, (v, answer) => checkVerifier(v, answer, example?.verifierLine));

export const runReferenceCheck = (example: ParsedExample | undefined): Promise<CheckOutcome<CaseVerdict>> =>
  withVerifier(example, (v, answer) => checkReference(v, answer));
