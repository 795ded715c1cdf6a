// The verifiers of one `oneshot verify --jsonl` run, by spec. A custom verifier holds a sandbox
// process, so only the few used most recently stay open: a file whose every line brings its own
// verifier would otherwise keep one process per line.
import type { Verifier, VerifierOptions, VerifierSpec } from "../core/verifier/api";

/** Verifiers kept open at once. */
export const POOL_SIZE = 4;

export class VerifierPool {
  /** In order of last use, oldest first (a Map keeps insertion order). */
  private verifiers = new Map<string, Verifier>();

  constructor(
    private readonly options: VerifierOptions,
    private readonly create: (spec: VerifierSpec, options: VerifierOptions) => Verifier,
    private readonly size = POOL_SIZE,
  ) {}

  /** The verifier for a spec; one that pushes the pool over its size first ends the oldest. */
  async get(spec: VerifierSpec): Promise<Verifier> {
    const key = spec.kind === "custom" ? `custom:${spec.source}` : spec.kind;
    const known = this.verifiers.get(key);
    if (known) {
      this.verifiers.delete(key);
      this.verifiers.set(key, known);
      return known;
    }
    const evicted: Promise<void>[] = [];
    for (const [oldKey, old] of this.verifiers) {
      if (this.verifiers.size < this.size) break;
      this.verifiers.delete(oldKey);
      evicted.push(old.dispose());
    }
    // a sandbox process starts on the first call: the old ones are gone before it does
    await Promise.all(evicted);
    const v = this.create(spec, this.options);
    this.verifiers.set(key, v);
    return v;
  }

  /** How many verifiers are open now. */
  get open(): number {
    return this.verifiers.size;
  }

  async dispose(): Promise<void> {
    const all = [...this.verifiers.values()];
    this.verifiers.clear();
    await Promise.all(all.map((v) => v.dispose()));
  }
}
