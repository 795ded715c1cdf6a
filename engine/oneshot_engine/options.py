"""The engine's kernel and memory options: read from the environment once, when the engine starts.

Everything below the engine receives them as arguments (nothing deeper reads `os.environ`), and the
engine reports them in the `hello` and `load` results, so a run's event log says which kernels
produced it. The variables, all optional:

  ONESHOT_COMPILE=0          no torch.compile anywhere (decode helpers and training layers)
  ONESHOT_COMPILE_TRAIN=0    no torch.compile of the training pass's layers
  ONESHOT_FAST_DECODE=0      CUDA decodes with the eager loop instead of the static-cache runner
  ONESHOT_TRITON=0           no Triton kernels (decode attention, fused log-probs)
  ONESHOT_DECODE_ATTN=NAME   decode attention of the runner: triton, sdpa or bmm
  ONESHOT_MEMORY_LIMIT_GB=X  act as if the GPU had X GiB: the allocator refuses past it, as a smaller
                             card would, and training plans its memory within it

A flag is off only when set to "0", as before the options existed; any other value keeps it on.
"""

from __future__ import annotations

import dataclasses
import math
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch

# The decode runner's attention implementations (decode.py).
DecodeAttention = Literal["triton", "sdpa", "bmm"]
ATTENTIONS: tuple[DecodeAttention, ...] = typing.get_args(DecodeAttention)


@dataclass(frozen=True)
class EngineOptions:
    compile: bool = True
    compile_train: bool = True
    fast_decode: bool = True
    triton: bool = True
    # None: the device's default (triton on CUDA when it imports, sdpa otherwise).
    decode_attention: DecodeAttention | None = None
    memory_limit_gb: float | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> EngineOptions:
        """The options the environment asks for; ValueError (one sentence) for a value that cannot be used."""
        env = os.environ if env is None else env

        def on(name: str) -> bool:
            return env.get(name, "1") != "0"

        attention = env.get("ONESHOT_DECODE_ATTN") or None
        if attention is not None and attention not in ATTENTIONS:
            raise ValueError(
                f"ONESHOT_DECODE_ATTN is {attention!r}, not one of {', '.join(ATTENTIONS)} (or unset for the default)."
            )
        return cls(
            compile=on("ONESHOT_COMPILE"),
            compile_train=on("ONESHOT_COMPILE_TRAIN"),
            fast_decode=on("ONESHOT_FAST_DECODE"),
            triton=on("ONESHOT_TRITON"),
            decode_attention=attention,
            memory_limit_gb=_gigabytes(env.get("ONESHOT_MEMORY_LIMIT_GB") or None),
        )

    @property
    def compiles_training(self) -> bool:
        return self.compile and self.compile_train

    def apply_torch_settings(self) -> None:
        """Process-wide torch settings these options need; called once, where the engine starts.

        A memory limit caps this process's share of the current GPU (set_per_process_memory_fraction).

        With the training layers compiled, a compiler failure (no C toolchain for Triton, say) falls back
        to eager code. Dynamo reads the setting when a compiled layer first runs, deep in the training
        pass; setting it once here, from the options, replaces flipping it from inside the model.
        """
        if self.compiles_training:
            torch._dynamo.config.suppress_errors = True
        if self.memory_limit_gb is not None and torch.cuda.is_available():
            # The caching allocator then refuses past the limit like a smaller card; the CPU has no cap.
            index = torch.cuda.current_device()
            total = torch.cuda.get_device_properties(index).total_memory
            torch.cuda.set_per_process_memory_fraction(min(1.0, self.memory_limit_gb * 1024**3 / total), index)

    def effective(self, device: torch.device) -> EngineOptions:
        """The options as they apply on `device`: off where the device cannot use them (compilation,
        the fast decode and Triton need CUDA; Triton also its package), and the decode attention the
        runner will use (None when decoding takes the eager loop)."""
        from . import triton_logp
        from .decode import default_attention

        cuda = device.type == "cuda"
        fast = self.fast_decode and cuda
        triton = self.triton and triton_logp.available(device)
        attention = (self.decode_attention or default_attention(device, self.triton)) if fast else None
        return dataclasses.replace(
            self,
            compile=self.compile and cuda,
            compile_train=self.compiles_training and cuda,
            fast_decode=fast,
            triton=triton,
            decode_attention=attention,
        )

    def report(self) -> dict[str, Any]:
        """The `options` object of the hello and load results (EngineOptions in src/core/engine/protocol.ts)."""
        return dataclasses.asdict(self)


def _gigabytes(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"ONESHOT_MEMORY_LIMIT_GB is {text!r}, not a positive number of gigabytes.")
    return value
