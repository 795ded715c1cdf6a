"""Resolves a model argument (local directory or hub id) to a local directory with config.json."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import MODEL_NOT_FOUND, OFFLINE, EngineError

# Files a checkpoint needs; skips other frameworks' weights (.bin, .pth, gguf…) hub repos often also hold.
ALLOW_PATTERNS = ["*.json", "*.safetensors", "*.jinja", "tokenizer*", "*.txt"]
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def hub_offline() -> bool:
    value = os.environ.get("HF_HUB_OFFLINE", "") or os.environ.get("TRANSFORMERS_OFFLINE", "")
    return value.strip().lower() in ("1", "true", "yes", "on")


def resolve_model_dir(model: str, revision: str | None = None) -> Path:
    """Returns a local directory holding config.json, downloading from the hub when allowed."""
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise EngineError(MODEL_NOT_FOUND, f"{path} has no config.json, so it is not a model directory.")
        return path
    looks_like_path = model.startswith((".", "/", "~")) or os.sep + os.sep in model or model.count("/") > 1
    if looks_like_path or not _REPO_ID.match(model):
        raise EngineError(
            MODEL_NOT_FOUND,
            f"model '{model}' is neither a local directory nor a Hugging Face hub id.",
            "not_a_model",
        )
    return Path(_snapshot(model, revision))


def _snapshot(repo_id: str, revision: str | None) -> str:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        return snapshot_download(repo_id, revision=revision, allow_patterns=ALLOW_PATTERNS, local_files_only=True)
    except LocalEntryNotFoundError:
        if hub_offline():
            raise EngineError(
                OFFLINE,
                f"model {repo_id} is not in the local cache and the machine is offline (HF_HUB_OFFLINE is set).",
                "offline_mode",
            ) from None
    try:
        return snapshot_download(repo_id, revision=revision, allow_patterns=ALLOW_PATTERNS)
    except GatedRepoError:
        raise EngineError(
            MODEL_NOT_FOUND,
            f"model {repo_id} is gated on the Hugging Face hub and this machine has no access to it.",
            "gated",
        ) from None
    except RepositoryNotFoundError:
        raise EngineError(MODEL_NOT_FOUND, f"model {repo_id} does not exist on the Hugging Face hub.") from None
    except RevisionNotFoundError:
        raise EngineError(MODEL_NOT_FOUND, f"model {repo_id} has no revision '{revision}'.") from None
    except LocalEntryNotFoundError:
        # Raised when the hub cannot be reached and nothing is cached.
        raise EngineError(
            OFFLINE,
            f"model {repo_id} is not in the local cache and the Hugging Face hub cannot be reached.",
        ) from None
    except OSError as e:
        raise EngineError(
            OFFLINE, f"downloading model {repo_id} failed: {e}.", "download_failed"
        ) from None
