"""Model configuration: the subset of a Hugging Face config.json our decoder needs.

Reads both the classic keys (rope_theta + rope_scaling, torch_dtype) that hub checkpoints carry and
the transformers-5 form (rope_parameters, dtype).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

from .errors import bad_config

SUPPORTED_MODEL_TYPES = ("qwen2", "llama", "qwen3")
SUPPORTED_ROPE_TYPES = ("default", "linear", "llama3")


@dataclass
class ModelConfig:
    model_type: str
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    rms_norm_eps: float
    max_position_embeddings: int
    tie_word_embeddings: bool
    qkv_bias: bool
    o_bias: bool
    qk_norm: bool
    rope_theta: float
    rope: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def rope_type(self) -> str:
        return str(self.rope.get("rope_type", self.rope.get("type", "default")))


def _require(raw: dict[str, Any], key: str) -> Any:
    if key not in raw:
        raise bad_config(f"config.json has no '{key}', which a {raw.get('model_type')} model needs.")
    return raw[key]


def parse_config(raw: dict[str, Any]) -> ModelConfig:
    """Validates a config.json dict and returns the fields the decoder uses."""
    model_type = raw.get("model_type")
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise bad_config(
            f"model type '{model_type}' is not supported; the engine runs {', '.join(SUPPORTED_MODEL_TYPES)}.",
            "unsupported_model",
        )
    act = raw.get("hidden_act", "silu")
    if act != "silu":
        raise bad_config(f"activation '{act}' is not supported (only silu).")
    hidden = int(_require(raw, "hidden_size"))
    heads = int(_require(raw, "num_attention_heads"))
    head_dim = raw.get("head_dim") or hidden // heads
    rope = dict(raw.get("rope_parameters") or raw.get("rope_scaling") or {})
    theta = float(rope.get("rope_theta", raw.get("rope_theta", 10000.0)))
    attention_bias = bool(raw.get("attention_bias", False))
    cfg = ModelConfig(
        model_type=model_type,
        vocab_size=int(_require(raw, "vocab_size")),
        hidden_size=hidden,
        intermediate_size=int(_require(raw, "intermediate_size")),
        num_layers=int(_require(raw, "num_hidden_layers")),
        num_heads=heads,
        num_kv_heads=int(raw.get("num_key_value_heads") or heads),
        head_dim=int(head_dim),
        rms_norm_eps=float(raw.get("rms_norm_eps", 1e-6)),
        max_position_embeddings=int(raw.get("max_position_embeddings", 2048)),
        tie_word_embeddings=bool(raw.get("tie_word_embeddings", False)),
        # Qwen2 always has q/k/v biases and no o bias; Llama and Qwen3 use attention_bias for all four.
        qkv_bias=True if model_type == "qwen2" else attention_bias,
        o_bias=False if model_type == "qwen2" else attention_bias,
        qk_norm=model_type == "qwen3",
        rope_theta=theta,
        rope=rope,
        raw=raw,
    )
    if cfg.rope_type not in SUPPORTED_ROPE_TYPES:
        raise bad_config(
            f"RoPE type '{cfg.rope_type}' is not supported (supported: {', '.join(SUPPORTED_ROPE_TYPES)})."
        )
    if raw.get("use_sliding_window"):
        raise bad_config("sliding-window attention (use_sliding_window) is not supported.")
    if model_type == "llama" and raw.get("mlp_bias"):
        raise bad_config("Llama models with mlp_bias are not supported.")
    if cfg.num_heads % cfg.num_kv_heads:
        raise bad_config("num_attention_heads must be a multiple of num_key_value_heads.")
    return cfg


def rope_inv_freq(cfg: ModelConfig) -> torch.Tensor:
    """Inverse frequencies of the rotary embedding, with the model's scaling (as transformers does)."""
    dim = cfg.head_dim
    inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    kind = cfg.rope_type
    if kind == "linear":
        inv_freq = inv_freq / float(cfg.rope["factor"])
    elif kind == "llama3":
        inv_freq = _llama3_inv_freq(inv_freq, cfg.rope)
    return inv_freq


def _llama3_inv_freq(inv_freq: torch.Tensor, rope: dict[str, Any]) -> torch.Tensor:
    factor = float(rope["factor"])
    low = float(rope["low_freq_factor"])
    high = float(rope["high_freq_factor"])
    old_ctx = float(rope["original_max_position_embeddings"])
    low_wavelen = old_ctx / low
    high_wavelen = old_ctx / high
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_ctx / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    is_medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
    return torch.where(is_medium, smoothed, scaled)
