from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from families import FAMILIES

from oneshot_engine.randmodel import write_random_checkpoint

torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(scope="session")
def family_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One random tiny checkpoint (our writer) per family."""
    out = {}
    for name, cfg in FAMILIES.items():
        d = tmp_path_factory.mktemp(f"ckpt-{name}")
        write_random_checkpoint(d, cfg, seed=1)
        out[name] = d
    return out


@pytest.fixture(scope="session")
def qwen2_dir(family_dirs: dict[str, Path]) -> Path:
    return family_dirs["qwen2"]
