// A diagnostic log of the run directory (engine.log: the engine's stderr). Losing lines of it must
// never end a run, so an append that fails is dropped; a full disk is remembered, because it
// explains the engine's next failure better than the engine itself may (see diskFull.ts).
import { appendFileSync } from "node:fs";
import { isDiskFull } from "./diskFull";

export class LogFile {
  /** An append failed because the disk was full. */
  diskFull = false;

  constructor(readonly file: string) {}

  append(text: string): void {
    try {
      appendFileSync(this.file, text);
    } catch (e) {
      if (isDiskFull(e)) this.diskFull = true;
    }
  }
}
