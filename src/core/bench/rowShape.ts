// Dataset rows in the layouts people train from, made flat so that fields are found by name like
// any other. verl's layout (the paper's own files) nests everything: the problem is a chat
// `prompt` (a list of {role, content} messages), the answer is `reward_model.ground_truth` and the
// id is `extra_info.index`. A message list becomes its user turn's text and a struct column
// becomes dotted keys, so `reward_model.ground_truth` is a field name like `answer`.

// files.ts's Row, restated: files.ts → fields.ts → here, so importing it would close a cycle.
type Row = Record<string, unknown>;

export function flattenRow(row: Row): Row {
  const out: Row = {};
  const put = (key: string, value: unknown) => {
    if (isMessages(value)) out[key] = userTurn(value);
    else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) put(`${key}.${k}`, v);
    else out[key] = value;
  };
  for (const [k, v] of Object.entries(row)) put(k, v);
  return out;
}

// Instructions that training datasets append to the problem and that a preset's prompt or the
// chat template adds again: left in, the model would read them twice. Only at the very end.
const BOXED = String.raw`\\boxed\{\{?\}?\}`;
const INSTRUCTIONS = [
  String.raw`let['’]?s think step by step and output the final answer within ${BOXED}`,
  String.raw`please reason step by step,? and put your final answer within ${BOXED}`,
  String.raw`(?:please )?output the final answer within ${BOXED}`,
  String.raw`(?:please )?put your final answer within ${BOXED}`,
];
const TRAILING_INSTRUCTION = new RegExp(String.raw`\s*(?:${INSTRUCTIONS.join("|")})\s*\.?\s*$`, "i");

/** The problem without a known trailing instruction (see INSTRUCTIONS); unchanged when it is only that. */
export function stripTrailingInstruction(text: string): string {
  let out = text;
  for (;;) {
    const next = out.replace(TRAILING_INSTRUCTION, "");
    if (next === out || !next.trim()) return out;
    out = next;
  }
}

interface Message {
  role: string;
  content: unknown;
}

function isMessages(v: unknown): v is Message[] {
  return Array.isArray(v) && v.length > 0 && v.every((m) => isPlainObject(m) && typeof m.role === "string" && "content" in m);
}

/** The last user message's text (the question asked); null when there is none. */
function userTurn(messages: Message[]): string | null {
  const user = messages.filter((m) => m.role === "user").at(-1);
  return user ? contentText(user.content) : null;
}

// Content is a string, or (OpenAI's multi-part form) a list of {type: "text", text} parts.
function contentText(content: unknown): string | null {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return null;
  const parts = content.map((p) => (isPlainObject(p) && typeof p.text === "string" ? p.text : null)).filter((p): p is string => p !== null);
  return parts.length ? parts.join("\n") : null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
