// Grades a step's rollouts while the engine still generates them. The engine sends rows as they
// finish (generate's stream_outputs, the `outputs` notification); each batch goes to the verifier
// at once, one batch at a time, and when generate returns only the rows not graded yet are. The
// rewards are those of grading the result's outputs in order: a grade made during generation
// counts only for the row and the text it was made for, anything else is graded again.
import type { GenerateOutput, StreamedOutput } from "../engine/protocol";
import type { Verifier, VerifyResult } from "../verifier/api";

export class RolloutGrader {
  private readonly graded = new Map<number, { text: string; result: VerifyResult }>();
  private queued: StreamedOutput[] = [];
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly verifier: Verifier,
    private readonly answer: string,
  ) {}

  /** Rows the engine sent before its result; ignored once the grader is finishing or cancelled. */
  add(rows: readonly StreamedOutput[]): void {
    if (this.closed) return;
    this.queued.push(...rows);
    this.pump();
  }

  /** How many rows were graded before `finish` (for tests and measurements). */
  get gradedEarly(): number {
    return this.graded.size;
  }

  private pump(): void {
    if (this.running || this.closed || this.queued.length === 0) return;
    const batch = this.queued;
    this.queued = [];
    this.running = this.verifier
      .gradeMany(batch.map((o) => ({ response: o.text, answer: this.answer })))
      .then((results) => results.forEach((result, k) => this.graded.set(batch[k]!.index, { text: batch[k]!.text, result })))
      // a verifier never throws for a response; if it did, these rows are graded with the rest
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
        this.pump();
      });
  }

  /** Every output's grade, in the outputs' order: those made during generation, the rest now. */
  async finish(outputs: readonly GenerateOutput[]): Promise<VerifyResult[]> {
    await this.cancel();
    const known = outputs.map((o, i) => {
      const g = this.graded.get(i);
      return g && g.text === o.text ? g.result : undefined;
    });
    const rest = outputs.flatMap((o, i) => (known[i] ? [] : [i]));
    const late = rest.length ? await this.verifier.gradeMany(rest.map((i) => ({ response: outputs[i]!.text, answer: this.answer }))) : [];
    rest.forEach((i, k) => (known[i] = late[k]));
    return known as VerifyResult[];
  }

  /** Takes no more rows, drops those not yet sent to the verifier, and waits for the batch it is grading. */
  async cancel(): Promise<void> {
    this.closed = true;
    this.queued = [];
    await this.running;
  }
}
