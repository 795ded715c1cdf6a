"""Hugging Face format in and out: config.json + (sharded) safetensors + tokenizer files."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from .config import parse_config
from .errors import BAD_CHECKPOINT, MODEL_NOT_FOUND, EngineError, bad_config
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
INDEX_FILE = "model.safetensors.index.json"

DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}


def damaged(folder: Path, what: str) -> EngineError:
    """A checkpoint folder whose files are missing, truncated or corrupt (the controller then
    falls back to an earlier checkpoint of the run)."""
    return EngineError(
        BAD_CHECKPOINT, f"checkpoint {folder} is damaged: {what}.", "Use an earlier checkpoint of the run."
    )


def read_config(model_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise bad_config(f"{model_dir / 'config.json'} cannot be read: {e}.") from None


@contextlib.contextmanager
def _default_dtype(dtype: torch.dtype) -> Iterator[None]:
    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def build_model(raw: dict[str, Any], dtype: torch.dtype, device: torch.device) -> Transformer:
    """An uninitialised model of the config's shape, allocated directly in `dtype` on `device`."""
    cfg = parse_config(raw)
    with _default_dtype(dtype), torch.device("meta"):
        model = Transformer(cfg)
    model.to_empty(device=device)
    model.tie()
    return model


def _weight_files(model_dir: Path) -> list[Path]:
    index = model_dir / INDEX_FILE
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
            files = [model_dir / f for f in sorted(set(weight_map.values()))]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise damaged(model_dir, f"{INDEX_FILE} cannot be read") from None
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise damaged(model_dir, f"{missing[0]}, listed in {INDEX_FILE}, is missing")
        return files
    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        raise EngineError(
            MODEL_NOT_FOUND,
            f"{model_dir} has no *.safetensors weights.",
            "Convert .bin/.pth weights to safetensors (transformers: save_pretrained) first.",
        )
    return files


def load_weights(model: Transformer, model_dir: Path) -> None:
    """Copies the checkpoint's tensors into the model, name for name, converting dtype on the way."""
    params = dict(model.named_parameters())  # tied weights appear once, under the embedding's name
    device = next(model.parameters()).device
    seen: set[str] = set()
    for path in _weight_files(model_dir):
        try:
            _copy_tensors(path, params, device, seen)
        except (SafetensorError, OSError) as e:
            reason = str(e).replace("Error while deserializing header: ", "")
            raise damaged(model_dir, f"{path.name} is truncated or corrupt ({reason})") from None
    missing = sorted(set(params) - seen)
    if missing:
        raise bad_config(f"{model_dir} lacks {len(missing)} weights, e.g. {missing[0]}.")


def _copy_tensors(path: Path, params: dict[str, torch.nn.Parameter], device: torch.device, seen: set[str]) -> None:
    with safe_open(str(path), framework="pt", device=str(device)) as f:
        for name in f.keys():  # noqa: SIM118 - safe_open is not a dict
            target = params.get(name)
            if target is None or name in seen:
                continue  # lm_head of a tied model, rotary buffers of old exports…
            tensor = f.get_tensor(name)
            if tensor.shape != target.shape:
                raise bad_config(f"weight {name} has shape {tuple(tensor.shape)}, config says {tuple(target.shape)}.")
            with torch.no_grad():
                target.copy_(tensor)
            seen.add(name)


def load_model(model_dir: Path, dtype: torch.dtype, device: torch.device) -> tuple[Transformer, dict[str, Any]]:
    raw = read_config(model_dir)
    model = build_model(raw, dtype, device)
    load_weights(model, model_dir)
    return model, raw


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
    """Writes a checkpoint transformers loads unchanged; returns the file names written."""
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach() for k, v in model.state_dict().items()}
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
