"""Checkpoints out: the model written back in the Hugging Face format it was loaded from (loading.py),
config.json + (sharded) safetensors + the source's tokenizer files."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from .loading import DTYPES, INDEX_FILE
from .lora import merged_state_dict
from .model import Transformer

# Files copied next to the weights so the checkpoint is complete for transformers and vLLM.
SIDE_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
    "tokenizer.model",
    "added_tokens.json",
    "chat_template.jinja",
    "chat_template.json",
    "generation_config.json",
)
MAX_SHARD_BYTES = 5 * 1024**3


def _shards(state: dict[str, torch.Tensor]) -> list[dict[str, torch.Tensor]]:
    shards: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for name, t in state.items():
        nbytes = t.numel() * t.element_size()
        if shards[-1] and size + nbytes > MAX_SHARD_BYTES:
            shards.append({})
            size = 0
        shards[-1][name] = t
        size += nbytes
    return shards


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def save_checkpoint(model: Transformer, raw_config: dict[str, Any], source_dir: Path | None, out: Path) -> list[str]:
    """Writes a checkpoint transformers loads unchanged (LoRA adapters merged into their weights);
    returns the file names written."""
    out.mkdir(parents=True, exist_ok=True)
    state = merged_state_dict(model)
    if model.cfg.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    dtype_name = next(k for k, v in DTYPES.items() if v == next(model.parameters()).dtype)
    shards = _shards(state)
    files: list[str] = []
    weight_map: dict[str, str] = {}
    for i, shard in enumerate(shards):
        name = "model.safetensors" if len(shards) == 1 else f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        tmp = out / (name + ".tmp")
        save_file({k: v.contiguous().cpu() for k, v in shard.items()}, str(tmp), metadata={"format": "pt"})
        os.replace(tmp, out / name)
        files.append(name)
        weight_map.update({k: name for k in shard})
    if len(shards) > 1:
        total = sum(t.numel() * t.element_size() for t in state.values())
        index = {"metadata": {"total_size": total}, "weight_map": weight_map}
        _atomic_write_text(out / INDEX_FILE, json.dumps(index, indent=2))
        files.append(INDEX_FILE)
    config = dict(raw_config)
    config["torch_dtype" if "torch_dtype" in config else "dtype"] = dtype_name
    _atomic_write_text(out / "config.json", json.dumps(config, indent=2, sort_keys=True) + "\n")
    files.append("config.json")
    if source_dir is not None and source_dir.resolve() != out.resolve():
        for name in SIDE_FILES:
            if (source_dir / name).is_file():
                shutil.copyfile(source_dir / name, out / name)
                files.append(name)
    return files
