// The built-in verifier's helpers as the sandbox offers them to user code: a JSON array of strings
// in, a JSON string out ({"v": value} or {"e": message}). Nothing else crosses into QuickJS.
import { extractAnswer } from "../extract";
import { answersEquivalent, gradeBuiltin, normaliseAnswer } from "../grade";

const ARITY = new Map<string, number>([
  ["extract", 1],
  ["normalise", 1],
  ["equal", 2],
  ["grade", 2],
]);

function run(op: string, a: string[]): unknown {
  switch (op) {
    case "extract":
      return extractAnswer(a[0]);
    case "normalise":
      return normaliseAnswer(a[0]);
    case "equal":
      return answersEquivalent(a[0], a[1]);
    default: {
      const r = gradeBuiltin("math", a[0], a[1]);
      return { correct: r.correct, extracted: r.extracted, reason: r.reason };
    }
  }
}

export function helperCall(op: string, argsJson: string): string {
  try {
    const args: unknown = JSON.parse(argsJson);
    const n = ARITY.get(op);
    if (n === undefined || !Array.isArray(args) || args.length !== n || !args.every((x) => typeof x === "string")) {
      return JSON.stringify({ e: `helpers.${op} was called wrongly` });
    }
    return JSON.stringify({ v: run(op, args as string[]) ?? null });
  } catch (e) {
    return JSON.stringify({ e: `helpers.${op} failed: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300) });
  }
}
