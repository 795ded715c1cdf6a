"""The decode step's GEMMs: q|k|v and gate|up laid out as one buffer each, so a step runs one GEMM for
each, and room in a GEMM's buffer for the rows a LoRA adapter adds.

The layer's own parameters become row slices (views) of the fused buffer: the optimizer still sees
the same Parameter objects and updates them in place, which updates the buffer the decode step reads.
Nothing is copied per step and no second set of weights exists. Anything that swaps a parameter's
storage (loading with assign, a dtype or device move) breaks the sharing; `fused_projections` checks
the pointers on every call and fuses again when they moved.

A GEMM may carry `extra` rows after its projections' (zeros in the fused bias): the caller fills them
(lora.DecodeAdapters puts the adapters' A's there), so the one GEMM yields x A^T beside the
projections' outputs. Those rows are the only memory the fusion adds. o_proj and down_proj are fused
(into a buffer of their own rows plus the extra ones) only when they carry extra rows; otherwise the
decode reads their parameters as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .model import Transformer

# The decode step's GEMMs: (submodule of the block, the projections one GEMM computes, in buffer order).
GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "qkv": ("self_attn", ("q_proj", "k_proj", "v_proj")),
    "o": ("self_attn", ("o_proj",)),
    "gate_up": ("mlp", ("gate_proj", "up_proj")),
    "down": ("mlp", ("down_proj",)),
}


@dataclass(frozen=True)
class Gemm:
    """One GEMM of the decode step: F.linear(x, w, b) gives the projections' outputs in columns
    [0, out) and the extra rows' products after them."""

    w: torch.Tensor  # [out + extra, in]
    b: torch.Tensor | None  # [out + extra], zeros on the extra rows
    out: int

    @property
    def extra(self) -> torch.Tensor:
        """The caller's rows [extra, in] (a view into w)."""
        return self.w[self.out :]


LayerWeights = dict[str, Gemm]  # by GROUPS name


def _is_fused(parts: list[torch.Tensor], extra: int, buf: torch.Tensor | None) -> bool:
    if buf is None:
        return False
    ptr, step = buf.data_ptr(), buf.element_size()
    for p in parts:
        if p.data_ptr() != ptr or not p.is_contiguous():
            return False
        ptr += p.numel() * step
    tail = extra * (buf.shape[1] if buf.dim() == 2 else 1)
    return ptr + tail * step == buf.data_ptr() + buf.numel() * step


def _fuse(params: list[nn.Parameter], extra: int) -> torch.Tensor:
    """One contiguous buffer holding `params` back to back, then `extra` zero rows; each parameter's
    data becomes its slice."""
    with torch.no_grad():
        first = params[0].detach()
        buf = torch.cat([*(p.detach() for p in params), first.new_zeros((extra, *first.shape[1:]))])
    start = 0
    for p in params:
        n = p.shape[0]
        p.data = buf[start : start + n]
        start += n
    return buf


def _kept_or_fused(parts: list[nn.Parameter], extra: int, buf: torch.Tensor | None) -> torch.Tensor:
    return buf if _is_fused(parts, extra, buf) else _fuse(parts, extra)


def _gemm(linears: list[nn.Linear], extra: int, old: Gemm | None) -> Gemm:
    out = sum(m.out_features for m in linears)
    if len(linears) == 1 and extra == 0:
        return Gemm(linears[0].weight, linears[0].bias, out)
    w = _kept_or_fused([m.weight for m in linears], extra, old.w if old else None)
    b = None
    if linears[0].bias is not None:
        b = _kept_or_fused([m.bias for m in linears], extra, old.b if old else None)  # type: ignore[misc]
    return Gemm(w, b, out)


def _layer(block: nn.Module, rows: Callable[[nn.Linear], int], old: LayerWeights | None) -> LayerWeights:
    out: LayerWeights = {}
    for name, (part, projections) in GROUPS.items():
        linears = [getattr(getattr(block, part), p) for p in projections]
        out[name] = _gemm(linears, sum(rows(m) for m in linears), old.get(name) if old else None)
    return out


def fused_projections(model: Transformer, rows: Callable[[nn.Linear], int] = lambda m: 0) -> list[LayerWeights]:
    """The decode GEMMs of every layer, each with `rows(m)` extra rows per projection m, rebuilt for
    the layers whose parameters no longer share one buffer (callers holding CUDA graphs compare
    parameter addresses to know theirs are stale)."""
    old: list[LayerWeights] | None = getattr(model, "_fused_weights", None)
    layers = model.model.layers
    out = [_layer(b, rows, old[i] if old else None) for i, b in enumerate(layers)]
    model._fused_weights = out  # type: ignore[attr-defined]
    return out
