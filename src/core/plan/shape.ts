// A model's shape as the planner needs it: read from a Hugging Face config.json with the engine's
// own rules (engine/oneshot_engine/config.py, parse_config), so the parameter count here is the
// engine's (Qwen2.5-1.5B: 1,543,714,304, as its `load` result reports).

export interface ModelShape {
  modelType: string;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  vocab: number;
  tied: boolean;
  qkvBias: boolean;
  oBias: boolean;
  qkNorm: boolean;
  /** max_position_embeddings (the context), when config.json says. */
  context?: number;
}

/** Why a config.json cannot be planned for: one sentence naming the key. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShapeError";
  }
}

const MODEL_TYPES = ["qwen2", "llama", "qwen3"];

/** The shape of a parsed config.json; `where` names the file in messages. */
export function shapeFromConfig(raw: unknown, where = "config.json"): ModelShape {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ShapeError(`${where} is not a JSON object`);
  const c = raw as Record<string, unknown>;
  const type = c.model_type;
  if (typeof type !== "string" || !MODEL_TYPES.includes(type)) {
    throw new ShapeError(`${where} has model_type ${JSON.stringify(type) ?? "(none)"}; the planner knows ${MODEL_TYPES.join(", ")}`);
  }
  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new ShapeError(`${where} has no positive integer ${key}`);
    return v;
  };
  const hidden = int("hidden_size");
  const heads = int("num_attention_heads");
  const kvHeads = int("num_key_value_heads", heads);
  if (heads % kvHeads) throw new ShapeError(`${where}: num_attention_heads must be a multiple of num_key_value_heads`);
  const attentionBias = c.attention_bias === true;
  const context = c.max_position_embeddings;
  return {
    modelType: type,
    hidden,
    layers: int("num_hidden_layers"),
    heads,
    kvHeads,
    headDim: typeof c.head_dim === "number" && c.head_dim > 0 ? c.head_dim : Math.floor(hidden / heads),
    intermediate: int("intermediate_size"),
    vocab: int("vocab_size"),
    tied: c.tie_word_embeddings === true,
    // As parse_config: Qwen2 always has q/k/v biases and no o bias; the others follow attention_bias.
    qkvBias: type === "qwen2" ? true : attentionBias,
    oBias: type === "qwen2" ? false : attentionBias,
    qkNorm: type === "qwen3",
    context: typeof context === "number" ? context : undefined,
  };
}

/** Parameters of the model (the tied output embedding counted once), as the engine counts them. */
export function paramCount(s: ModelShape): number {
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const attn = s.hidden * q + 2 * s.hidden * kv + q * s.hidden + (s.qkvBias ? q + 2 * kv : 0) + (s.oBias ? s.hidden : 0);
  const layer = attn + 3 * s.hidden * s.intermediate + 2 * s.hidden + (s.qkNorm ? 2 * s.headDim : 0);
  const embed = s.vocab * s.hidden;
  return embed * (s.tied ? 1 : 2) + s.layers * layer + s.hidden;
}

/** Parameters that take part in a matrix product per token: all but an untied input embedding (a lookup). */
export function matmulParams(s: ModelShape): number {
  return paramCount(s) - (s.tied ? 0 : s.vocab * s.hidden);
}

/** Bytes of keys and values one token keeps in the KV cache, all layers. */
export function kvBytesPerToken(s: ModelShape, elem: number): number {
  return 2 * s.layers * s.kvHeads * s.headDim * elem;
}
