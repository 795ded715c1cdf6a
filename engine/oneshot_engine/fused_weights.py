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


def _layer(attn: nn.Module, mlp: nn.Module, old: LayerWeights | None) -> LayerWeights:
    qkv = [attn.q_proj.weight, attn.k_proj.weight, attn.v_proj.weight]
    qkv_w = old.qkv_w if old is not None and _is_fused(qkv, old.qkv_w) else _fuse(qkv)
    qkv_b = None
    if attn.q_proj.bias is not None:
        biases = [attn.q_proj.bias, attn.k_proj.bias, attn.v_proj.bias]
        qkv_b = old.qkv_b if old is not None and _is_fused(biases, old.qkv_b) else _fuse(biases)
    gu = [mlp.gate_proj.weight, mlp.up_proj.weight]
    gate_up_w = old.gate_up_w if old is not None and _is_fused(gu, old.gate_up_w) else _fuse(gu)
    return LayerWeights(qkv_w, qkv_b, gate_up_w)


def fused_projections(model: Transformer) -> tuple[list[LayerWeights], bool]:
    """The fused buffers of every layer, and whether any had to be (re)built (captured graphs that read
    the old buffers are then stale)."""
    old: list[LayerWeights] | None = getattr(model, "_fused_weights", None)
    layers = model.model.layers
    out = [_layer(b.self_attn, b.mlp, old[i] if old else None) for i, b in enumerate(layers)]
    changed = old is None or any(
        a.qkv_w is not b.qkv_w or a.gate_up_w is not b.gate_up_w or a.qkv_b is not b.qkv_b
        for a, b in zip(out, old, strict=True)
    )
    model._fused_weights = out  # type: ignore[attr-defined]
    return out, changed
