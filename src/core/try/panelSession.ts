// The "Try the Model" panel's logic without the editor: answers the webview's messages, loads
// models (exporting on first use through the injected `load`), and streams the tuned and the base
// model's answers side by side. src/vscode/tryPanel.ts wires it to a webview.
import type { ExtensionToTryView, TryModelChoice, TryRequest, TrySide, TryViewToExtension } from "../../protocol/tryMessages";
import { PAPER_MAX_TOKENS } from "../bench/presets";
import type { Verifier } from "../verifier/api";
import { answer } from "./answer";
import type { TryModel } from "./onnxModel";
import { problemChoices } from "./problems";
import { baseTarget, type TryTarget } from "./target";

export interface PanelModel {
  choice: TryModelChoice;
  target: TryTarget;
}

export interface PanelDeps {
  send(m: ExtensionToTryView): void;
  /** The models to offer (runs, then model folders). */
  models(): PanelModel[];
  /** Exports `target` when needed and loads it; `onStatus` gets progress sentences. */
  load(target: TryTarget, onStatus: (message: string) => void, signal: AbortSignal): Promise<TryModel>;
  verifier: Verifier;
  /** The built-in benchmark, offered when a model has no evaluated benchmark of its own. */
  syntheticFile: string;
  cwd: string;
  /** The model to preselect (the run or checkpoint the panel was opened from). */
  selected?: string;
  /** An error that is not the user's to fix (logged by the extension). */
  onError?: (message: string) => void;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class TryPanelSession {
  private loaded = new Map<string, Promise<TryModel>>();
  private running: AbortController | undefined;
  private inflight: Promise<void> = Promise.resolve();
  private models: PanelModel[] = [];

  constructor(private readonly deps: PanelDeps) {}

  async handle(m: TryViewToExtension): Promise<void> {
    switch (m.type) {
      case "ready":
        this.models = this.deps.models();
        this.deps.send({
          type: "init",
          models: this.models.map((x) => x.choice),
          ...(this.deps.selected ? { selected: this.deps.selected } : {}),
          defaults: { temperature: 0, maxTokens: PAPER_MAX_TOKENS },
        });
        return;
      case "selectModel": {
        const target = this.find(m.model)?.target;
        if (target) this.deps.send({ type: "problems", model: m.model, problems: problemChoices(target, this.deps.syntheticFile) });
        return;
      }
      case "ask":
        return this.ask(m);
      case "stop":
        this.running?.abort();
        return;
      case "error":
        this.deps.onError?.(`Try the Model webview: ${m.message}`);
        return;
    }
  }

  /** The model choice with this id; a run or folder opened after the panel is looked up afresh. */
  private find(id: string): PanelModel | undefined {
    const known = this.models.find((x) => x.choice.id === id);
    if (known) return known;
    this.models = this.deps.models();
    return this.models.find((x) => x.choice.id === id);
  }

  private async ask(req: TryRequest): Promise<void> {
    // A new question stops the one being answered and waits for it: its models may be released.
    this.running?.abort();
    const ac = new AbortController();
    this.running = ac;
    const previous = this.inflight;
    let done!: () => void;
    this.inflight = new Promise((r) => (done = r));
    await previous;
    try {
      await this.answerBoth(req, ac);
    } finally {
      done();
    }
  }

  private async answerBoth(req: TryRequest, ac: AbortController): Promise<void> {
    const chosen = this.find(req.model);
    if (!chosen) {
      this.deps.send({ type: "failed", message: `the model ${req.model} is no longer there` });
      this.deps.send({ type: "idle" });
      return;
    }
    const sides: [TrySide, TryTarget][] = [["model", chosen.target]];
    if (req.compare && chosen.target.base) {
      try {
        sides.push(["base", baseTarget(chosen.target, chosen.target.base, this.deps.cwd)]);
      } catch (e) {
        this.deps.send({ type: "failed", side: "base", message: message(e) });
      }
    }
    this.release(sides.map(([, t]) => t.model));
    await Promise.all(sides.map(([side, target]) => this.run(side, target, req, ac.signal)));
    if (this.running === ac) this.running = undefined;
    this.deps.send({ type: "idle" });
  }

  private async run(side: TrySide, target: TryTarget, req: TryRequest, signal: AbortSignal): Promise<void> {
    const send = this.deps.send;
    send({ type: "start", side, label: target.label });
    try {
      let p = this.loaded.get(target.model);
      if (!p) {
        p = this.deps.load(target, (m) => send({ type: "status", side, message: m }), signal);
        this.loaded.set(target.model, p);
        p.catch(() => this.loaded.delete(target.model));
      }
      const model = await p;
      send({ type: "status", side, message: "" });
      const a = await answer(model, target, {
        problem: req.problem,
        ...(req.answer?.trim() ? { reference: req.answer } : {}),
        verifier: this.deps.verifier,
        temperature: req.temperature,
        maxTokens: req.maxTokens,
        signal,
        onText: (text) => send({ type: "delta", side, text }),
      });
      send({
        type: "done",
        side,
        answer: {
          text: a.text,
          extracted: a.extracted,
          ...(a.verdict ? { verdict: a.verdict } : {}),
          tokens: a.tokens,
          finishReason: a.finishReason,
          firstTokenMs: a.firstTokenMs,
          tokensPerSecond: a.tokensPerSecond,
        },
      });
    } catch (e) {
      send({ type: "failed", side, message: message(e) });
    }
  }

  /** Frees loaded models other than `keep` (a panel holds at most the two it compares). */
  private release(keep: string[]): void {
    for (const [key, p] of this.loaded) {
      if (keep.includes(key)) continue;
      this.loaded.delete(key);
      void p.then((m) => m.dispose()).catch(() => undefined);
    }
  }

  dispose(): void {
    this.running?.abort();
    this.release([]);
  }
}
