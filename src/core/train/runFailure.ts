/** A failure that ends the run with a message for the user (not an internal error). */
export class RunFailure extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}
