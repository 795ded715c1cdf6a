"""Random-init checkpoints of a given shape with a small trained byte-level BPE tokenizer.

For tests and benchmarks that need a real checkpoint directory without downloading one (the GPU smoke
builds a Qwen2.5-1.5B-shaped model this way).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from oneshot_engine.checkpoint import save_checkpoint
from oneshot_engine.loading import DTYPES, build_model

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

# The Qwen2 chat template's shape, short: a default system prompt, im_start/im_end turns.
CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] != 'system' %}"
    "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

_CORPUS = [
    "Please reason step by step, and put your final answer within \\boxed{}.",
    "What is 12 + 30? The answer is \\boxed{42}. Wait, let me recheck: 12 + 30 = 42.",
    "A pipe fills 2/7 of a tank per hour. How many hours does it take to fill the tank? 7/2 hours.",
    "Let x be a real number such that x^2 - 5x + 6 = 0. Then x = 2 or x = 3.",
    "The quick brown fox jumps over the lazy dog. 0123456789 + - * / = ( ) [ ] { } \\frac{a}{b}",
]


def train_tokenizer(out: Path, vocab_size: int = 512) -> int:
    """Trains a byte-level BPE on a small math corpus; writes tokenizer.json + tokenizer_config.json."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_CORPUS * 20, trainer=trainer)
    out.mkdir(parents=True, exist_ok=True)
    tok.save(str(out / "tokenizer.json"))
    config = {
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "chat_template": CHAT_TEMPLATE,
        "model_max_length": 32768,
        "tokenizer_class": "PreTrainedTokenizerFast",
    }
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return tok.get_vocab_size()


def special_token_ids(out: Path) -> dict[str, int]:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(out / "tokenizer.json"))
    return {t: tok.token_to_id(t) for t in SPECIAL_TOKENS}


def write_random_checkpoint(
    out: Path, config: dict[str, Any], dtype: str = "float32", device: str = "cpu", seed: int = 0
) -> None:
    """A random-init model of `config`'s shape with the tiny tokenizer, in Hugging Face format."""
    train_tokenizer(out)
    ids = special_token_ids(out)
    config = {"eos_token_id": ids["<|im_end|>"], "bos_token_id": ids["<|endoftext|>"], **config}
    torch.manual_seed(seed)
    model = build_model(config, DTYPES[dtype], torch.device(device))
    with torch.no_grad():
        model.init_weights()
    save_checkpoint(model, config, None, out)
    gen = {"eos_token_id": [ids["<|im_end|>"], ids["<|endoftext|>"]], "pad_token_id": ids["<|endoftext|>"]}
    (out / "generation_config.json").write_text(json.dumps(gen, indent=2), encoding="utf-8")
