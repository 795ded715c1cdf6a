// "Try the Model" webview: pick a model (a run's best or last checkpoint, or a model folder) and a
// problem, ask; the model's answer and, with "Compare with base", the base model's stream side by
// side. Text arrives as deltas; its LaTeX is rendered at most a few times a second while it streams
// and once more when the answer is done. Only text nodes and KaTeX's DOM: nothing as HTML.
import "@vscode-elements/elements/dist/vscode-badge/index.js";
import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-checkbox/index.js";
import "@vscode-elements/elements/dist/vscode-option/index.js";
import "@vscode-elements/elements/dist/vscode-progress-ring/index.js";
import "@vscode-elements/elements/dist/vscode-single-select/index.js";
import "@vscode-elements/elements/dist/vscode-textarea/index.js";
import "@vscode-elements/elements/dist/vscode-textfield/index.js";
import "../style.css";
import "./try.css";
import type { ExtensionToTryView, TryAnswerView, TryProblemChoice, TrySide, TryViewToExtension } from "../../src/protocol/tryMessages";
import { el } from "../dom";
import { renderMathText } from "../latex";

interface VsCodeApi {
  postMessage(message: TryViewToExtension): void;
  getState(): TryState | undefined;
  setState(state: TryState): void;
}
interface TryState {
  model?: string;
  compare?: boolean;
  temperature?: string;
  maxTokens?: string;
}
declare function acquireVsCodeApi(): VsCodeApi;
const api = acquireVsCodeApi();
const state: TryState = api.getState() ?? {};
const post = (m: TryViewToExtension) => api.postMessage(m);
const save = (patch: Partial<TryState>) => api.setState(Object.assign(state, patch));

window.addEventListener("error", (e) => post({ type: "error", message: String(e.message) }));
window.addEventListener("unhandledrejection", (e) => post({ type: "error", message: String(e.reason) }));

type Field = HTMLElement & { value: string };
type Check = HTMLElement & { checked: boolean };

const modelSelect = el("vscode-single-select", { "aria-label": "Model", "data-testid": "model" }) as Field;
const compare = el("vscode-checkbox", { label: "Compare with base", "data-testid": "compare" }) as Check;
const problemSelect = el("vscode-single-select", { "aria-label": "Problem", "data-testid": "problem-choice" }) as Field;
const problemText = el("vscode-textarea", { rows: "4", placeholder: "Type a problem, or pick one above", "aria-label": "Problem", "data-testid": "problem" }) as Field;
const answerField = el("vscode-textfield", { placeholder: "reference answer (optional)", "aria-label": "Reference answer", "data-testid": "answer" }) as Field;
const temperature = el("vscode-textfield", { type: "number", min: "0", step: "0.1", value: state.temperature ?? "0", "aria-label": "Temperature", class: "narrow" }) as Field;
const maxTokens = el("vscode-textfield", { type: "number", min: "1", step: "1", value: state.maxTokens ?? "3072", "aria-label": "Max tokens", class: "narrow" }) as Field;
const askButton = el("vscode-button", { "data-testid": "ask" }, ["Ask"]);
const stopButton = el("vscode-button", { secondary: "", disabled: "", "data-testid": "stop" }, ["Stop"]);
const message = el("p", { class: "try-message", role: "status" });

class AnswerColumn {
  readonly root: HTMLElement;
  private readonly title = el("h3");
  private readonly status = el("span", { class: "dim" });
  private readonly body = el("div", { class: "rv-text try-text" });
  private readonly footer = el("div", { class: "try-footer" });
  private text = "";
  private timer: number | undefined;

  constructor(readonly side: TrySide) {
    this.root = el("section", { class: "try-column", "data-side": side, hidden: "" }, [
      el("header", {}, [this.title, this.status]),
      this.body,
      this.footer,
    ]);
  }

  start(label: string): void {
    this.root.hidden = false;
    this.root.classList.remove("correct", "incorrect");
    this.title.textContent = this.side === "base" ? `${label} (base)` : label;
    this.text = "";
    this.body.replaceChildren();
    this.footer.replaceChildren();
    this.setStatus("starting…");
  }

  setStatus(s: string): void {
    this.status.replaceChildren(...(s ? [el("vscode-progress-ring", { class: "ring" }), ` ${s}`] : []));
  }

  append(delta: string): void {
    this.setStatus("writing…");
    this.text += delta;
    // Re-rendering LaTeX on every token would be most of the work: a few times a second is enough.
    this.timer ??= window.setTimeout(() => this.render(), 150);
  }

  private render(): void {
    this.timer = undefined;
    const box = el("div");
    renderMathText(box, this.text);
    this.body.replaceChildren(...box.childNodes);
  }

  done(a: TryAnswerView): void {
    window.clearTimeout(this.timer);
    this.text = a.text;
    this.render();
    this.setStatus("");
    if (a.verdict) this.root.classList.add(a.verdict.correct ? "correct" : "incorrect");
    const extracted = el("span", { "data-testid": `extracted-${this.side}` }, ["answer: "]);
    const math = el("span");
    if (a.extracted !== null) renderMathText(math, `$${a.extracted}$`);
    else math.textContent = "(none found)";
    extracted.append(math);
    const parts: Node[] = [extracted];
    if (a.verdict) {
      parts.push(
        el("vscode-badge", { class: a.verdict.correct ? "ok" : "bad", title: a.verdict.reason, "data-testid": `verdict-${this.side}` }, [
          a.verdict.correct ? "correct" : "incorrect",
        ]),
      );
    }
    const how = { stop: "", length: " · hit the token limit", stop_string: " · stop string", aborted: " · stopped" }[a.finishReason];
    parts.push(el("span", { class: "dim" }, [`${a.tokens} tokens${how} · first token ${Math.round(a.firstTokenMs)} ms · ${a.tokensPerSecond.toFixed(1)} tokens/s`]));
    this.footer.replaceChildren(...parts);
  }

  fail(text: string): void {
    window.clearTimeout(this.timer);
    this.setStatus("");
    this.footer.replaceChildren(el("div", { class: "run-error" }, [text]));
  }
}

const columns: Record<TrySide, AnswerColumn> = { model: new AnswerColumn("model"), base: new AnswerColumn("base") };
let problems: TryProblemChoice[] = [];
let hasBase = new Map<string, boolean>();

const app = document.getElementById("app")!;
app.replaceChildren(
  el("header", { class: "run-header" }, [el("div", { class: "title" }, [el("h2", {}, ["Try the Model"])])]),
  el("div", { class: "toolbar" }, [el("label", {}, ["Model ", modelSelect]), compare]),
  el("div", { class: "toolbar" }, [el("label", {}, ["Problem ", problemSelect])]),
  problemText,
  el("div", { class: "toolbar" }, [
    el("label", {}, ["Answer ", answerField]),
    el("label", { title: "0 = greedy, as evaluation decodes" }, ["Temperature ", temperature]),
    el("label", {}, ["Max tokens ", maxTokens]),
    askButton,
    stopButton,
  ]),
  message,
  el("div", { class: "try-columns" }, [columns.model.root, columns.base.root]),
);

function setBusy(busy: boolean): void {
  if (busy) {
    askButton.setAttribute("disabled", "");
    stopButton.removeAttribute("disabled");
  } else {
    askButton.removeAttribute("disabled");
    stopButton.setAttribute("disabled", "");
  }
  document.body.dataset.busy = String(busy);
}

// `model` explicitly: right after its options are replaced, the select's value may still be stale.
function updateCompare(model = modelSelect.value): void {
  const ok = hasBase.get(model) === true;
  if (ok) compare.removeAttribute("disabled");
  else compare.setAttribute("disabled", "");
  compare.title = ok ? "" : "Only a run (or its checkpoint) has a base model to compare with";
}

modelSelect.addEventListener("change", () => {
  save({ model: modelSelect.value });
  updateCompare();
  post({ type: "selectModel", model: modelSelect.value });
});
compare.addEventListener("change", () => save({ compare: compare.checked }));
problemSelect.addEventListener("change", () => {
  const p = problems.find((x) => x.id === problemSelect.value);
  if (!p) return;
  problemText.value = p.problem;
  answerField.value = p.answer ?? "";
});
temperature.addEventListener("change", () => save({ temperature: temperature.value }));
maxTokens.addEventListener("change", () => save({ maxTokens: maxTokens.value }));

askButton.addEventListener("click", () => {
  const problem = problemText.value.trim();
  const t = Number(temperature.value);
  const n = Number(maxTokens.value);
  const bad = !problem ? "Type a problem first." : !(t >= 0) ? "The temperature must be a number ≥ 0." : !(Number.isInteger(n) && n >= 1) ? "Max tokens must be a whole number ≥ 1." : "";
  message.textContent = bad;
  if (bad) return;
  columns.base.root.hidden = true;
  setBusy(true);
  post({ type: "ask", model: modelSelect.value, compare: compare.checked && hasBase.get(modelSelect.value) === true, problem, answer: answerField.value, temperature: t, maxTokens: n });
});
stopButton.addEventListener("click", () => post({ type: "stop" }));

window.addEventListener("message", (e: MessageEvent<ExtensionToTryView>) => {
  const m = e.data;
  switch (m.type) {
    case "init": {
      hasBase = new Map(m.models.map((x) => [x.id, x.hasBase]));
      modelSelect.replaceChildren(...m.models.map((x) => el("vscode-option", { value: x.id, description: x.description }, [x.label])));
      const pick = [m.selected, state.model].find((id) => id && hasBase.has(id)) ?? m.models[0]?.id ?? "";
      modelSelect.value = pick;
      compare.checked = state.compare ?? true;
      updateCompare(pick);
      if (!m.models.length) message.textContent = "No model to try: train a run first.";
      else post({ type: "selectModel", model: pick });
      break;
    }
    case "problems":
      if (m.model !== modelSelect.value) break;
      problems = m.problems;
      problemSelect.replaceChildren(
        el("vscode-option", { value: "" }, ["Type your own"]),
        ...problems.map((p) => el("vscode-option", { value: p.id, description: p.source }, [`${p.source === "example" ? "The run's example: " : ""}${p.problem.slice(0, 90)}`])),
      );
      problemSelect.value = "";
      break;
    case "start":
      columns[m.side].start(m.label);
      break;
    case "status":
      columns[m.side].setStatus(m.message);
      break;
    case "delta":
      columns[m.side].append(m.text);
      break;
    case "done":
      columns[m.side].done(m.answer);
      break;
    case "failed":
      if (m.side) columns[m.side].fail(m.message);
      else message.textContent = m.message;
      break;
    case "idle":
      setBusy(false);
      break;
  }
  document.body.dataset.lastMessage = m.type;
});

post({ type: "ready" });
