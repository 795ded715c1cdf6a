// The memory and time plan of a run before it starts: model shape, card, per-phase memory, what
// `auto` settings become, the refusal of a plan that does not fit.
export * from "./findModel";
export * from "./forSettings";
export * from "./gpu";
export * from "./knownShapes";
export * from "./memory";
export * from "./plan";
export * from "./refusal";
export * from "./render";
export * from "./shape";

/** Exit code of `oneshot plan` and `oneshot train` when the plan does not fit the card. */
export const PLAN_REFUSED_EXIT_CODE = 4;
export * from "./record";
