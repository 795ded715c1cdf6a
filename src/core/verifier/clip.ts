// Reasons and errors travel into every rollout event, outcome and report line: a verifier's 2 MB
// error message must not become 2 MB per rollout. Every such text passes through clipText.

/** Longest reason or error text kept, in characters (UTF-16 units). */
export const TEXT_LIMIT = 300;

export function clipText(s: string, limit = TEXT_LIMIT): string {
  if (s.length <= limit) return s;
  // don't cut a surrogate pair in half
  const end = /[\uD800-\uDBFF]/.test(s[limit - 1]) ? limit - 1 : limit;
  return `${s.slice(0, end)}… (${s.length - end} more characters)`;
}
