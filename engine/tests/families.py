"""Tiny configs of each supported family, small enough for CPU tests in milliseconds."""

from __future__ import annotations

from typing import Any

BASE: dict[str, Any] = {
    "vocab_size": 512,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 512,
    "rms_norm_eps": 1e-6,
    "hidden_act": "silu",
}

FAMILIES: dict[str, dict[str, Any]] = {
    # Qwen2.5: q/k/v biases, tied embeddings (the 1.5B and smaller are tied).
    "qwen2": {**BASE, "model_type": "qwen2", "rope_theta": 10000.0, "tie_word_embeddings": True},
    # Llama 3.x: llama3 RoPE scaling, untied.
    "llama": {
        **BASE,
        "model_type": "llama",
        "rope_theta": 500000.0,
        "rope_scaling": {
            "rope_type": "llama3",
            "factor": 8.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 64,
        },
        "tie_word_embeddings": False,
    },
    # Qwen3: per-head q/k RMSNorm, head_dim not hidden/heads.
    "qwen3": {**BASE, "model_type": "qwen3", "head_dim": 24, "rope_theta": 1000000.0, "tie_word_embeddings": True},
}
