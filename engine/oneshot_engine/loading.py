"""Model loading: a Hugging Face folder (config.json + (sharded) safetensors) into a Transformer.

checkpoint.py writes the same format back.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open

from .config import parse_config
from .errors import BAD_CHECKPOINT, MODEL_NOT_FOUND, EngineError, bad_config
from .model import Transformer

INDEX_FILE = "model.safetensors.index.json"

DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}


def damaged(folder: Path, what: str) -> EngineError:
    """A checkpoint folder whose files are missing, truncated or corrupt (the controller then
    falls back to an earlier checkpoint of the run)."""
    return EngineError(BAD_CHECKPOINT, f"checkpoint {folder} is damaged: {what}.")


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
            "no_safetensors",
        )
    return files


def load_weights(model: Transformer, model_dir: Path, on_file: Callable[[int, int], None] | None = None) -> None:
    """Copies the checkpoint's tensors into the model, name for name, converting dtype on the way.
    on_file(done, total) hears each weight file (shard) as it is read, starting with (0, total)."""
    params = dict(model.named_parameters())  # tied weights appear once, under the embedding's name
    device = next(model.parameters()).device
    seen: set[str] = set()
    files = _weight_files(model_dir)
    for i, path in enumerate(files):
        if on_file is not None:
            on_file(i, len(files))
        try:
            _copy_tensors(path, params, device, seen)
        except (SafetensorError, OSError) as e:
            reason = str(e).replace("Error while deserializing header: ", "")
            raise damaged(model_dir, f"{path.name} is truncated or corrupt ({reason})") from None
    if on_file is not None:
        on_file(len(files), len(files))
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


def load_model(
    model_dir: Path, dtype: torch.dtype, device: torch.device, on_file: Callable[[int, int], None] | None = None
) -> tuple[Transformer, dict[str, Any]]:
    raw = read_config(model_dir)
    model = build_model(raw, dtype, device)
    load_weights(model, model_dir, on_file)
    return model, raw
