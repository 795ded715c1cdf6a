// The config.json values (the ones the planner reads) of the hub models the presets and docs name,
// so `oneshot plan` answers for them before the model is downloaded. Copied from each repository's
// config.json on huggingface.co; bench/memory.py builds its random-init models of the same shapes.

const qwen = (hidden: number, layers: number, heads: number, kv: number, intermediate: number, vocab: number, tied: boolean, context: number) => ({
  model_type: "qwen2",
  hidden_size: hidden,
  num_hidden_layers: layers,
  num_attention_heads: heads,
  num_key_value_heads: kv,
  intermediate_size: intermediate,
  vocab_size: vocab,
  tie_word_embeddings: tied,
  max_position_embeddings: context,
});

const QWEN_05B = qwen(896, 24, 14, 2, 4864, 151936, true, 32768);
const QWEN_15B = qwen(1536, 28, 12, 2, 8960, 151936, true, 131072);
const QWEN_7B = qwen(3584, 28, 28, 4, 18944, 152064, false, 131072);

/** Hub id → the planner's subset of its config.json. */
export const KNOWN_CONFIGS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  "Qwen/Qwen2.5-0.5B": QWEN_05B,
  "Qwen/Qwen2.5-0.5B-Instruct": QWEN_05B,
  "Qwen/Qwen2.5-1.5B": QWEN_15B,
  "Qwen/Qwen2.5-1.5B-Instruct": { ...QWEN_15B, max_position_embeddings: 32768 },
  "Qwen/Qwen2.5-Math-1.5B": { ...QWEN_15B, max_position_embeddings: 4096 },
  "Qwen/Qwen2.5-Math-1.5B-Instruct": { ...QWEN_15B, max_position_embeddings: 4096 },
  "Qwen/Qwen2.5-7B": QWEN_7B,
  "Qwen/Qwen2.5-7B-Instruct": { ...QWEN_7B, max_position_embeddings: 32768 },
  "Qwen/Qwen2.5-Math-7B": { ...QWEN_7B, max_position_embeddings: 4096 },
  "Qwen/Qwen2.5-Math-7B-Instruct": { ...QWEN_7B, max_position_embeddings: 4096 },
};

/** Short names for the three sizes (tests, bench/memory.py's cases). */
export const SHAPE_NAMES = { "qwen2.5-0.5b": "Qwen/Qwen2.5-0.5B", "qwen2.5-1.5b": "Qwen/Qwen2.5-1.5B", "qwen2.5-7b": "Qwen/Qwen2.5-7B" } as const;
