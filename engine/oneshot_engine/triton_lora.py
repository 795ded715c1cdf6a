"""Triton kernels that add a LoRA adapter's B term inside the decode step's elementwise kernels.

The decode GEMMs carry the adapters' A's as extra rows (fused_weights.py, lora.DecodeAdapters), so a
GEMM's output row is [the projections' outputs | t = x A^T]. Adding t B^T with its own GEMM (addmm_)
reads and writes the whole output once more: for gate|up at batch 256 of a 1.5B model that is 9 MB
each way and a kernel launch, in every layer of every step. Here the B term is computed where the
output is consumed instead: SiLU(gate) * up reads the GEMM's output once, adds the low-rank product
(tl.dot over the adapters' k r columns, kept in fp32) and writes the activation.

On the CPU the kernels run in Triton's interpreter (TRITON_INTERPRET=1 before triton_decode or this
module is imported), which is how the tests check them against merged weights.
"""

# Triton kernel parameters are pointers and ints that Triton types itself; annotating them would only lie.
# ruff: noqa: ANN001
from __future__ import annotations

import torch

from .triton_decode import _INTERPRET, _jit, tl, triton


@_jit
def _silu_mul_low_rank_kernel(
    Y, B, Out,
    rows, inter, rank_cols,
    stride_y, stride_b, stride_o,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_R: tl.constexpr, F32_DOT: tl.constexpr,
):  # fmt: skip
    m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    n = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    r = tl.arange(0, BLOCK_R)
    m_ok, n_ok, r_ok = m < rows, n < inter, r < rank_cols
    y_row = Y + m.to(tl.int64)[:, None] * stride_y
    # t = x A^T sits after the gate | up columns of the GEMM's output.
    t = tl.load(y_row + 2 * inter + r[None, :], mask=m_ok[:, None] & r_ok[None, :], other=0.0)
    b_mask = n_ok[:, None] & r_ok[None, :]
    b_gate = tl.load(B + n[:, None] * stride_b + r[None, :], mask=b_mask, other=0.0)
    b_up = tl.load(B + (inter + n)[:, None] * stride_b + r[None, :], mask=b_mask, other=0.0)
    if F32_DOT:
        t = t.to(tl.float32)
        d_gate = tl.dot(t, tl.trans(b_gate.to(tl.float32)), input_precision="ieee")
        d_up = tl.dot(t, tl.trans(b_up.to(tl.float32)), input_precision="ieee")
    else:
        d_gate = tl.dot(t, tl.trans(b_gate))
        d_up = tl.dot(t, tl.trans(b_up))
    mask = m_ok[:, None] & n_ok[None, :]
    gate = tl.load(y_row + n[None, :], mask=mask, other=0.0).to(tl.float32) + d_gate
    up = tl.load(y_row + inter + n[None, :], mask=mask, other=0.0).to(tl.float32) + d_up
    act = gate / (1.0 + tl.exp(-gate)) * up
    tl.store(Out + m.to(tl.int64)[:, None] * stride_o + n[None, :], act.to(Out.dtype.element_ty), mask=mask)


def silu_mul_low_rank(y: torch.Tensor, b: torch.Tensor, *, block_m: int = 64, block_n: int = 64) -> torch.Tensor:
    """SiLU(gate + t B_gate^T) * (up + t B_up^T) from the gate|up GEMM's output y [rows, 2 inter + k r]
    (gate | up | t) and b [2 inter, k r] (the adapters' B's, scale folded in). Returns [rows, inter]
    in y's dtype."""
    rows, rank_cols = y.shape[0], b.shape[1]
    inter = b.shape[0] // 2
    if b.shape[0] != 2 * inter or y.shape[1] != 2 * inter + rank_cols or y.stride(1) != 1 or b.stride(1) != 1:
        raise ValueError(f"silu_mul_low_rank: y {tuple(y.shape)} does not fit b {tuple(b.shape)}")
    out = torch.empty(rows, inter, dtype=y.dtype, device=y.device)
    grid = (triton.cdiv(rows, block_m), triton.cdiv(inter, block_n))
    _silu_mul_low_rank_kernel[grid](
        y, b, out, rows, inter, rank_cols, y.stride(0), b.stride(0), out.stride(0),
        BLOCK_M=block_m, BLOCK_N=block_n, BLOCK_R=max(16, triton.next_power_of_2(rank_cols)),
        F32_DOT=y.dtype == torch.float32 or _INTERPRET, num_warps=4,
    )  # fmt: skip
    return out
