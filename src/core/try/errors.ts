// A problem with the model or its export that the user can act on: one sentence, shown as is by
// the CLI and the panel.
export class TryError extends Error {
  override name = "TryError";
}
