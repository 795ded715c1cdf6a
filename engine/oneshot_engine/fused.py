"""Fused elementwise helpers of the decode step (RMSNorm, RoPE, SiLU-gate, sampling).

On CUDA they go through torch.compile: one kernel each instead of 3–8, which matters in a decode step
of ~500 kernels. On the CPU, or with the compile option off (ONESHOT_COMPILE=0), the same math runs eagerly. Training keeps the
eager model code: the compiled helpers with autograd made an H200 train step slower (5.8 s against
3.7 s, bench/results/step-2026-11-22-run2-ours-compiled.json).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F


def _rms_norm(x: torch.Tensor, w: torch.Tensor, eps: float) -> torch.Tensor:
    dtype = x.dtype
    xf = x.float()
    xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return w * xf.to(dtype)


def _add_rms_norm(x: torch.Tensor, r: torch.Tensor, w: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    s = x + r
    return s, _rms_norm(s, w, eps)


def _rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return x * cos + torch.cat((-x2, x1), dim=-1) * sin


def _silu_mul(gate_up: torch.Tensor) -> torch.Tensor:
    """SiLU(gate) * up of the fused gate|up GEMM's output [b, 2 * intermediate]: one contiguous input,
    so the generated kernel reads it with plain vector loads."""
    g, u = gate_up.chunk(2, dim=-1)
    return F.silu(g) * u


def sample_exp(logits: torch.Tensor, noise: torch.Tensor, inv_temp: torch.Tensor) -> torch.Tensor:
    """Exponential race: argmax(p / E), E ~ Exp(1) per entry, draws from softmax(logits / T) exactly."""
    probs = (logits.float() * inv_temp).softmax(-1)
    return (probs / noise).argmax(-1)


def argmax(logits: torch.Tensor) -> torch.Tensor:
    return logits.argmax(-1)


@dataclass
class Kernels:
    rms_norm: Callable[..., torch.Tensor]
    add_rms_norm: Callable[..., tuple[torch.Tensor, torch.Tensor]]
    rope: Callable[..., torch.Tensor]
    silu_mul: Callable[..., torch.Tensor]
    sample_exp: Callable[..., torch.Tensor]
    compiled: bool


EAGER = Kernels(_rms_norm, _add_rms_norm, _rope, _silu_mul, sample_exp, compiled=False)
_compiled: Kernels | None = None


def kernels(device: torch.device, compile: bool = True) -> Kernels:
    """Compiled helpers on CUDA when `compile` (EngineOptions.compile); eager ones otherwise."""
    global _compiled
    if device.type != "cuda" or not compile:
        return EAGER
    if _compiled is None:
        c = lambda f: torch.compile(f, dynamic=True, fullgraph=True)  # noqa: E731
        _compiled = Kernels(c(_rms_norm), c(_add_rms_norm), c(_rope), c(_silu_mul), c(sample_exp), compiled=True)
    return _compiled


