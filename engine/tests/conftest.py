from __future__ import annotations

from pathlib import Path

import pytest
import torch
from families import FAMILIES

from oneshot_tools.randmodel import write_random_checkpoint

# One thread: the CI and dev machines share few cores, and OpenMP spinning under contention is
# an order of magnitude slower than a single thread for these tiny models.
torch.set_num_threads(1)


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
