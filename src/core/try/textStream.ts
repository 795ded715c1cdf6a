// Turns "the whole response decoded so far" into text deltas safe to show: nothing that could still
// become a stop string (it is cut from the answer when it completes) and no half UTF-8 character
// (a byte-level token can end inside one; the decoder shows it as U+FFFD until the rest arrives).
export class TextStream {
  private shown = 0;
  private readonly holdBack: number;

  constructor(private readonly stop: string[]) {
    this.holdBack = Math.max(0, ...stop.map((s) => s.length - 1));
  }

  /** The first stop string's position in `text`, or -1. */
  stopAt(text: string): number {
    const hits = this.stop.map((s) => text.indexOf(s)).filter((i) => i >= 0);
    return hits.length ? Math.min(...hits) : -1;
  }

  /** The new text to show, given everything decoded so far. */
  push(text: string): string {
    let end = text.length - this.holdBack;
    while (end > this.shown && text.charCodeAt(end - 1) === 0xfffd) end--;
    return this.take(text, end);
  }

  /** The rest, once the answer is complete (`text` already cut at its stop string). */
  finish(text: string): string {
    return this.take(text, text.length);
  }

  private take(text: string, end: number): string {
    if (end <= this.shown) return "";
    const delta = text.slice(this.shown, end);
    this.shown = end;
    return delta;
  }
}
