// The rollout viewer: one step at a time (slider, previous/next, follow the latest step), every
// rollout the log recorded for it, filtered by correctness and fetched from the extension a page
// at a time. Text and answers are rendered with KaTeX.
import type { RolloutFilter, RolloutPage } from "../src/protocol/messages";
import type { RolloutRecord } from "../src/core/run/events";
import { getState, post, saveState } from "./api";
import { renderMathText, renderPendingMath, renderTex } from "./latex";
import { el } from "./dom";
import { chatTurns } from "../src/core/monitor/chatTurns";

/**
 * The prompt as the conversation it encodes (system, user), each turn rendered; the text the
 * model saw, chat-template markers and all, one click away. A prompt without turns shows as is.
 */
function promptView(text: string): HTMLElement {
  const turns = chatTurns(text);
  const box = el("div", { class: "rv-prompt" });
  if (!turns) {
    renderMathText(box, text);
    return box;
  }
  for (const t of turns) {
    const content = el("div", { class: "rv-turn-text" });
    renderMathText(content, t.content);
    box.append(el("div", { class: `rv-turn ${t.role}`, "data-role": t.role }, [el("div", { class: "rv-role" }, [t.role]), content]));
  }
  box.append(el("details", { class: "rv-raw" }, [el("summary", {}, ["Raw prompt"]), el("pre", {}, [text])]));
  return box;
}

const PAGE = 20;

// Renders a card's math when it comes near the screen.
const nearScreen = new IntersectionObserver(
  (entries) => {
    for (const e of entries)
      if (e.isIntersecting) {
        nearScreen.unobserve(e.target);
        renderPendingMath(e.target as HTMLElement);
      }
  },
  { rootMargin: "600px 0px" },
);

export class RolloutViewer {
  private steps: number[] = [];
  private index = -1;
  private follow = true;
  private filter: RolloutFilter = getState().filter ?? "all";
  private requestId = 0;
  private pending = 0;
  private shown: { step: number; filter: RolloutFilter; loaded: number; matching: number } | null = null;
  private visible = false;
  private debounce = 0;

  private readonly slider = el("input", { type: "range", min: "0", max: "0", value: "0", "aria-label": "Step" });
  private readonly stepLabel = el("span", { class: "rv-step" });
  private readonly followBox = el("vscode-checkbox", { checked: "" }, ["Follow latest step"]);
  private readonly filterSelect = el("vscode-single-select", { "aria-label": "Filter" }, [
    el("vscode-option", { value: "all" }, ["All"]),
    el("vscode-option", { value: "correct" }, ["Correct"]),
    el("vscode-option", { value: "incorrect" }, ["Incorrect"]),
  ]);
  private readonly problem = el("div", { class: "rv-problem" });
  private readonly summary = el("div", { class: "rv-summary" });
  private readonly list = el("div", { class: "rv-list" });
  private readonly more = el("vscode-button", { secondary: "", class: "rv-more", hidden: "" }, ["Load more"]);
  private readonly empty = el("p", { class: "empty" }, ["No rollouts recorded yet."]);

  constructor(root: HTMLElement) {
    const prev = el("vscode-button", { secondary: "", "aria-label": "Previous step" }, ["‹"]);
    const next = el("vscode-button", { secondary: "", "aria-label": "Next step" }, ["›"]);
    root.append(
      el("div", { class: "toolbar" }, [prev, this.slider, next, this.stepLabel, this.followBox, this.filterSelect]),
      this.problem,
      this.summary,
      this.empty,
      this.list,
      this.more,
    );
    (this.filterSelect as HTMLElement & { value: string }).value = this.filter;
    prev.addEventListener("click", () => this.go(this.index - 1));
    next.addEventListener("click", () => this.go(this.index + 1));
    this.slider.addEventListener("input", () => this.go(Number(this.slider.value), true));
    this.followBox.addEventListener("change", () => {
      this.follow = (this.followBox as HTMLElement & { checked: boolean }).checked;
      if (this.follow) this.go(this.steps.length - 1);
    });
    this.filterSelect.addEventListener("change", () => {
      this.filter = (this.filterSelect as HTMLElement & { value: string }).value as RolloutFilter;
      saveState({ filter: this.filter });
      this.request(0);
    });
    this.more.addEventListener("click", () => this.request(this.shown?.loaded ?? 0));
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible && this.index >= 0 && this.shown?.step !== this.steps[this.index]) this.request(0);
  }

  /** New steps with rollouts (or the whole list after a reset). */
  addSteps(steps: readonly number[], reset: boolean): void {
    if (reset) {
      this.steps = [];
      this.index = -1;
      this.shown = null;
      this.list.replaceChildren();
    }
    for (const s of steps) this.steps.push(s);
    this.slider.max = String(Math.max(0, this.steps.length - 1));
    this.empty.hidden = this.steps.length > 0;
    if (!this.steps.length) return;
    if (this.index < 0 || this.follow) this.go(this.steps.length - 1);
    else this.label();
  }

  private go(index: number, debounced = false): void {
    if (!this.steps.length) return;
    const i = Math.max(0, Math.min(this.steps.length - 1, index));
    const changed = i !== this.index;
    this.index = i;
    this.slider.value = String(i);
    if (i !== this.steps.length - 1 && this.follow) {
      this.follow = false;
      (this.followBox as HTMLElement & { checked: boolean }).checked = false;
    }
    this.label();
    if (!changed && this.shown?.step === this.steps[i]) return;
    clearTimeout(this.debounce);
    if (debounced) this.debounce = window.setTimeout(() => this.request(0), 120);
    else this.request(0);
  }

  private label(): void {
    const step = this.steps[this.index];
    this.stepLabel.textContent = `Step ${step} · ${this.index + 1} of ${this.steps.length} recorded`;
  }

  private request(offset: number): void {
    if (!this.visible || this.index < 0) return;
    this.pending = ++this.requestId;
    performance.mark("oneshot:rollouts-request");
    const step = this.steps[this.index];
    post({ type: "requestRollouts", requestId: this.pending, step, filter: this.filter, offset, limit: PAGE });
  }

  onPage(requestId: number, page: RolloutPage | null): void {
    if (requestId !== this.pending) return;
    performance.mark("oneshot:rollouts-received");
    if (!page) {
      this.summary.textContent = "The rollouts of this step are no longer in the log.";
      this.list.replaceChildren();
      this.more.hidden = true;
      return;
    }
    const fresh = page.offset === 0;
    if (fresh) {
      this.list.replaceChildren();
      this.problem.replaceChildren();
      const prompt = promptView(page.prompt);
      const answer = el("span", { class: "rv-answer" });
      renderTex(answer, page.answer);
      this.problem.append(prompt, el("div", { class: "rv-ref" }, ["Reference answer: ", answer]));
    }
    const acc = page.recorded ? Math.round((100 * page.correct) / page.recorded) : 0;
    this.summary.textContent =
      `${page.correct} of ${page.recorded} recorded rollouts correct (${acc}%)` +
      (page.produced > page.recorded ? ` · the step sampled ${page.produced}` : "") +
      (page.filter !== "all" ? ` · showing ${page.matching} ${page.filter}` : "");
    const frag = document.createDocumentFragment();
    if (!page.matching) frag.append(el("p", { class: "empty" }, [`No ${page.filter} rollouts at this step.`]));
    for (const r of page.rollouts) frag.append(card(r));
    this.list.append(frag);
    const loaded = page.offset + page.rollouts.length;
    this.shown = { step: page.step, filter: page.filter, loaded, matching: page.matching };
    this.more.hidden = loaded >= page.matching;
    performance.mark("oneshot:rollouts-rendered");
    this.list.dataset.step = String(page.step);
    this.list.dataset.count = String(loaded);
  }
}

function card(r: RolloutRecord): HTMLElement {
  const answer = el("span", { class: "rv-extracted" });
  if (r.extracted === null) answer.textContent = "no answer";
  else renderTex(answer, r.extracted);
  const badge = el("vscode-badge", { class: r.correct ? "ok" : "bad" }, [r.correct ? "correct" : "incorrect"]);
  const head = el("header", {}, [
    el("strong", {}, [`#${r.index}`]),
    el("span", { class: "dim" }, [`group ${r.group}`]),
    badge,
    el("span", {}, ["answer: ", answer]),
    el("span", { class: "dim" }, [`reward ${fmt(r.reward)} · adv ${fmt(r.advantage)}`]),
    el("span", { class: "dim" }, [`${r.tokens} tokens · ${r.finish_reason === "length" ? "hit the token limit" : r.finish_reason}`]),
  ]);
  const body = el("div", { class: "rv-text" });
  renderMathText(body, r.text, true);
  nearScreen.observe(body);
  const children: (HTMLElement | string)[] = [head];
  if (r.reason) children.push(el("div", { class: "rv-reason" }, [r.reason]));
  children.push(body);
  return el("article", { class: r.correct ? "rollout correct" : "rollout incorrect", "data-index": String(r.index) }, children);
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}
