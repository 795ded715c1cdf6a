// The Log tab: the run's `log` events (level, source, message) and its controller.log as it
// grows. Text only (never HTML); each pane keeps its last lines, and follows new ones while it is
// scrolled to the bottom.
import type { LogEvent } from "../src/core/run/events";
import { el } from "./dom";

const MAX_EVENTS = 500;
const MAX_CONTROLLER_CHARS = 256 * 1024;

export class LogTab {
  private readonly events = el("div", { class: "log-events", role: "log", "aria-label": "Run log" });
  private readonly controller = el("pre", { class: "log-controller", role: "log", "aria-label": "controller.log" });

  constructor(root: HTMLElement) {
    root.append(
      el("h3", {}, ["Run log"]),
      this.events,
      el("h3", {}, ["controller.log"]),
      this.controller,
    );
    this.empty();
  }

  add(reset: boolean, events: LogEvent[], controller: string): void {
    if (reset) {
      this.events.replaceChildren();
      this.controller.textContent = "";
    }
    follow(this.events, () => {
      this.events.querySelector(".empty")?.remove();
      for (const e of events) this.events.append(line(e));
      while (this.events.childElementCount > MAX_EVENTS) this.events.firstElementChild?.remove();
    });
    follow(this.controller, () => {
      const text = (this.controller.textContent ?? "") + controller;
      this.controller.textContent = text.length > MAX_CONTROLLER_CHARS ? text.slice(text.indexOf("\n", text.length - MAX_CONTROLLER_CHARS) + 1) : text;
    });
    this.empty();
  }

  private empty(): void {
    if (!this.events.childElementCount) this.events.append(el("p", { class: "empty" }, ["No log messages yet."]));
    document.body.dataset.logEvents = String(this.events.querySelectorAll(".log-line").length);
  }
}

function line(e: LogEvent): HTMLElement {
  const time = new Date(e.t).toLocaleTimeString([], { hour12: false });
  return el("div", { class: `log-line ${e.level}` }, [
    el("span", { class: "dim" }, [time]),
    el("span", { class: "log-level" }, [e.level]),
    el("span", { class: "dim" }, [e.source ?? ""]),
    el("span", { class: "log-message" }, [e.message]),
  ]);
}

/** Runs `change`, keeping the pane scrolled to the bottom when it was there. */
function follow(pane: HTMLElement, change: () => void): void {
  const atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 8;
  change();
  if (atBottom) pane.scrollTop = pane.scrollHeight;
}
