// The model's tokenizer and chat template in JavaScript, read the way the engine reads them
// (engine/oneshot_engine/tokenizer.py), so a prompt formatted here is token for token the prompt
// `oneshot eval` sent to the engine.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";
import { TryError } from "./errors";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

type Json = Record<string, unknown>;

function readJson(file: string): Json {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Json;
  } catch (e) {
    throw new TryError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** tokenizer_config.json holds special tokens as strings or as AddedToken objects. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as Json).content === "string") return (value as Json).content as string;
  return undefined;
}

const ids = (value: unknown): number[] =>
  typeof value === "number" ? [value] : Array.isArray(value) ? value.filter((v): v is number => typeof v === "number") : [];

function findTemplate(dir: string, cfg: Json): string | undefined {
  let template = cfg.chat_template;
  if (Array.isArray(template)) {
    const named = new Map(template.filter((t): t is Json => !!t && typeof t === "object").map((t) => [t.name, t.template]));
    template = named.get("default") ?? named.values().next().value;
  }
  if (typeof template === "string" && template) return template;
  const jinja = path.join(dir, "chat_template.jinja");
  if (existsSync(jinja)) return readFileSync(jinja, "utf8");
  const json = readJson(path.join(dir, "chat_template.json")).chat_template;
  return typeof json === "string" ? json : undefined;
}

export class ModelTokenizer {
  private constructor(
    private readonly tok: Tokenizer,
    private readonly special: Record<string, string>,
    readonly chatTemplate: string | undefined,
    readonly eosIds: number[],
    private readonly bosId: number | undefined,
  ) {}

  static load(dir: string): ModelTokenizer {
    const file = path.join(dir, "tokenizer.json");
    if (!existsSync(file)) throw new TryError(`${dir} has no tokenizer.json, so its text cannot be tokenized; copy the base model's tokenizer files into it`);
    const cfg = readJson(path.join(dir, "tokenizer_config.json"));
    let tok: Tokenizer;
    try {
      tok = new Tokenizer(readJson(file), cfg);
    } catch (e) {
      throw new TryError(`${file} cannot be read as a tokenizer: ${(e as Error).message}`);
    }
    const special: Record<string, string> = {};
    for (const k of ["bos_token", "eos_token", "pad_token", "unk_token"]) {
      const t = tokenText(cfg[k]);
      if (t !== undefined) special[k] = t;
    }
    const idOf = (t: string | undefined) => (t === undefined ? undefined : tok.token_to_id(t));
    const eos = [
      ...ids(readJson(path.join(dir, "generation_config.json")).eos_token_id),
      ...ids(readJson(path.join(dir, "config.json")).eos_token_id),
    ];
    const eosTok = idOf(special.eos_token);
    if (eosTok !== undefined) eos.push(eosTok);
    return new ModelTokenizer(tok, special, findTemplate(dir, cfg), [...new Set(eos)].sort((a, b) => a - b), idOf(special.bos_token));
  }

  encode(text: string): number[] {
    let out = this.tok.encode(text, { add_special_tokens: true }).ids;
    // A template that writes bos_token plus a post-processor that adds it gives two: keep one.
    if (this.bosId !== undefined && out.length > 1 && out[0] === this.bosId && out[1] === this.bosId) out = out.slice(1);
    return out;
  }

  decode(tokens: number[]): string {
    return this.tok.decode(tokens, { skip_special_tokens: true });
  }

  /** An explicit `{system}`/`{problem}` template, else the chat template, else the plain texts: as the engine's format_prompt. */
  formatPrompt(messages: ChatMessage[], template?: string): string {
    if (template !== undefined) {
      const system = messages.find((m) => m.role === "system")?.content ?? "";
      const problem = [...messages].reverse().find((m) => m.role === "user")?.content ?? "";
      return template.replaceAll("{system}", system).replaceAll("{problem}", problem);
    }
    if (!this.chatTemplate) return messages.map((m) => m.content).join("\n\n");
    try {
      return new Template(this.chatTemplate).render({
        messages,
        add_generation_prompt: true,
        tools: null,
        documents: null,
        ...this.special,
      });
    } catch (e) {
      throw new TryError(`the model's chat template failed: ${(e as Error).message}`);
    }
  }
}
