"""q|k|v and gate|up weights laid out as one buffer each, so a decode step runs one GEMM for each.

The layer's own parameters become row slices (views) of the fused buffer: the optimizer still sees
the same Parameter objects and updates them in place, which updates the buffer the decode step reads.
Nothing is copied per step and no second set of weights exists. Anything that swaps a parameter's
storage (loading with assign, a dtype or device move) breaks the sharing; `fused_projections` checks
the pointers on every call and fuses again when they moved.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .model import Transformer


@dataclass(frozen=True)
class LayerWeights:
    qkv_w: torch.Tensor
    qkv_b: torch.Tensor | None
    gate_up_w: torch.Tensor


def _is_fused(parts: list[torch.Tensor], buf: torch.Tensor | None) -> bool:
    if buf is None:
        return False
    ptr, step = buf.data_ptr(), buf.element_size()
    for p in parts:
        if p.data_ptr() != ptr or not p.is_contiguous():
            return False
        ptr += p.numel() * step
    return ptr == buf.data_ptr() + buf.numel() * step


def _fuse(params: list[nn.Parameter]) -> torch.Tensor:
    """One contiguous buffer holding `params` back to back; each parameter's data becomes its slice."""
    with torch.no_grad():
        buf = torch.cat([p.detach() for p in params])
    start = 0
    for p in params:
        n = p.shape[0]
        p.data = buf[start : start + n]
        start += n
    return buf


def _kept_or_fused(parts: list[nn.Parameter], buf: torch.Tensor | None) -> torch.Tensor:
    return buf if _is_fused(parts, buf) else _fuse(parts)


def _layer(attn: nn.Module, mlp: nn.Module, old: LayerWeights | None) -> LayerWeights:
    qkv_w = _kept_or_fused(
        [attn.q_proj.weight, attn.k_proj.weight, attn.v_proj.weight], old.qkv_w if old else None
    )
    qkv_b = None
    if attn.q_proj.bias is not None:
        qkv_b = _kept_or_fused([attn.q_proj.bias, attn.k_proj.bias, attn.v_proj.bias], old.qkv_b if old else None)
    gate_up_w = _kept_or_fused([mlp.gate_proj.weight, mlp.up_proj.weight], old.gate_up_w if old else None)
    return LayerWeights(qkv_w, qkv_b, gate_up_w)


def fused_projections(model: Transformer) -> list[LayerWeights]:
    """The fused buffers of every layer, rebuilt for the layers whose parameters no longer share one
    (callers holding CUDA graphs compare parameter addresses to know theirs are stale)."""
    old: list[LayerWeights] | None = getattr(model, "_fused_weights", None)
    layers = model.model.layers
    out = [_layer(b.self_attn, b.mlp, old[i] if old else None) for i, b in enumerate(layers)]
    model._fused_weights = out  # type: ignore[attr-defined]
    return out
