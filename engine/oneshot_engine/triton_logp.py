"""Per-token log-probs and entropies through the vocabulary projection, with the row-wise math fused.

Same values as train._logp_entropy: logits = h @ w.t() in the model dtype, then fp32 math. Per chunk
of rows the product stays a cuBLAS GEMM; one Triton pass over the chunk's logits (online max and
rescaled sums) gives lse, the target's logit and the entropy, so no fp32 [rows, vocab] block is ever
made. Backward recomputes the chunk's logits, overwrites them in place with d(loss)/d(logits) and
turns them into dh and dw with two more GEMMs. Only h, w, targets and two fp32 numbers per row are
kept between forward and backward, unless `keep` asks to keep the logits themselves (the trainer does
when memory allows): backward then skips the recomputing GEMM, a third of the vocabulary
projection's backward.
"""

from __future__ import annotations

import os
from typing import Any

import torch
from torch.autograd.function import once_differentiable

try:
    import triton
    import triton.language as tl
except ImportError:  # the engine runs without Triton (CPU installs, other platforms)
    triton = None

# Bytes of one [chunk, vocab] logits block in the model dtype (bf16: 1,766 rows of a 151,936 vocabulary).
CHUNK_BYTES = 1 << 29
FWD_BLOCK = 4096
BWD_BLOCK = 4096


def available(device: torch.device) -> bool:
    """Whether the fused path can run on `device`: Triton importable and a CUDA device, or a CPU
    tensor under Triton's interpreter (TRITON_INTERPRET=1). The caller also checks EngineOptions.triton."""
    if triton is None:
        return False
    if device.type == "cuda":
        return torch.cuda.is_available()
    return device.type == "cpu" and _interpreting()


def _interpreting() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0") == "1"


if triton is not None:

    # Unannotated pointers and sizes: Triton reads annotations as type and specialisation hints.
    def _fwd_kernel(logits_ptr, targets_ptr, logp_ptr, ent_ptr, lse_ptr, mean_ptr, V, stride, BLOCK: tl.constexpr):  # noqa: ANN001
        """One row per program, streamed in BLOCK-wide pieces. With M the running max, S = sum e_k and
        T = sum e_k (x_k - M), e_k = exp(x_k - M): lse = M + log S, mean logit E = M + T / S and
        entropy = lse - E = log S - T / S (no cancellation of two large numbers)."""
        row = tl.program_id(0).to(tl.int64)
        base = logits_ptr + row * stride
        cols = tl.arange(0, BLOCK)
        # A finite start, so that the first rescale multiplies zeros by a finite number, not by -inf.
        m = tl.full((), -1e30, tl.float32)
        s = tl.zeros((BLOCK,), tl.float32)
        t = tl.zeros((BLOCK,), tl.float32)
        for start in range(0, V, BLOCK):
            k = start + cols
            valid = k < V
            x = tl.load(base + k, mask=valid, other=float("-inf")).to(tl.float32)
            m_new = tl.maximum(m, tl.max(x, axis=0))
            scale = tl.exp(m - m_new)
            e = tl.exp(x - m_new)
            d = tl.where(valid, x - m_new, 0.0)
            t = scale * (t + s * (m - m_new)) + e * d
            s = scale * s + e
            m = m_new
        s_sum = tl.sum(s, axis=0)
        t_mean = tl.sum(t, axis=0) / s_sum
        lse = m + tl.log(s_sum)
        target = tl.load(targets_ptr + row)
        x_t = tl.load(base + target).to(tl.float32)
        tl.store(logp_ptr + row, x_t - lse)
        tl.store(ent_ptr + row, tl.log(s_sum) - t_mean)
        tl.store(lse_ptr + row, lse)
        tl.store(mean_ptr + row, m + t_mean)

    # Unannotated pointers and sizes: Triton reads annotations as type and specialisation hints.
    def _bwd_kernel(logits_ptr, targets_ptr, lse_ptr, mean_ptr, g_logp_ptr, g_ent_ptr, V, stride, BLOCK: tl.constexpr):  # noqa: ANN001
        """In place: logit_k becomes g_logp * (1[k = target] - p_k) - g_ent * p_k * (logit_k - E),
        the gradient of g_logp * logp + g_ent * entropy, p_k = exp(logit_k - lse)."""
        row = tl.program_id(0).to(tl.int64)
        k = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
        valid = k < V
        ptrs = logits_ptr + row * stride + k
        x = tl.load(ptrs, mask=valid, other=0.0).to(tl.float32)
        lse = tl.load(lse_ptr + row)
        mean = tl.load(mean_ptr + row)
        g_logp = tl.load(g_logp_ptr + row)
        g_ent = tl.load(g_ent_ptr + row)
        target = tl.load(targets_ptr + row)
        p = tl.exp(x - lse)
        d = -p * (g_logp + g_ent * (x - mean))
        d = tl.where(k == target, d + g_logp, d)
        tl.store(ptrs, d.to(logits_ptr.dtype.element_ty), mask=valid)


_KERNELS: dict[bool, tuple[Any, Any]] = {}


def _kernels() -> tuple[Any, Any]:
    """The jitted kernels; built on first use because triton.jit picks compiled or interpreted from
    TRITON_INTERPRET at decoration time."""
    key = _interpreting()
    if key not in _KERNELS:
        _KERNELS[key] = (triton.jit(_fwd_kernel), triton.jit(_bwd_kernel))
    return _KERNELS[key]


def chunk_rows(n: int, vocab: int, elem: int, chunk_bytes: int = CHUNK_BYTES) -> int:
    """Rows per chunk: at most chunk_bytes of logits, split evenly so the last GEMM is not a sliver."""
    most = max(1, chunk_bytes // (elem * vocab))
    chunks = max(1, -(-n // most))
    return -(-n // chunks)


def _block(v: int, most: int) -> int:
    return min(most, triton.next_power_of_2(v))


class LogpEntropy(torch.autograd.Function):
    """(h [N, D], w [V, D], targets [N], rows per chunk) -> (logp [N] fp32, entropy [N] fp32)."""

    @staticmethod
    def forward(
        ctx: Any, h: torch.Tensor, w: torch.Tensor, targets: torch.Tensor, chunk: int, keep: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        n, v = h.shape[0], w.shape[0]
        fwd, _ = _kernels()
        logp, ent, lse, mean = (torch.empty(n, dtype=torch.float32, device=h.device) for _ in range(4))
        block = _block(v, FWD_BLOCK)
        # Logits chunks for backward (not inputs or outputs: plain attributes of ctx, dropped as used).
        kept: list[torch.Tensor | None] = []
        for i in range(0, n, chunk):
            logits = h[i : i + chunk] @ w.t()
            fwd[(logits.shape[0],)](
                logits, targets[i:], logp[i:], ent[i:], lse[i:], mean[i:], v, logits.stride(0),
                BLOCK=block, num_warps=8,
            )
            if keep:
                kept.append(logits)
            del logits
        ctx.save_for_backward(h, w, targets, lse, mean)
        ctx.chunk = chunk
        ctx.kept = kept
        return logp, ent

    @staticmethod
    @once_differentiable
    def backward(
        ctx: Any, g_logp: torch.Tensor, g_ent: torch.Tensor
    ) -> tuple[torch.Tensor | None, torch.Tensor | None, None, None]:
        h, w, targets, lse, mean = ctx.saved_tensors
        chunk = ctx.chunk
        n, v = h.shape[0], w.shape[0]
        _, bwd = _kernels()
        g_logp = g_logp.float().contiguous()
        g_ent = g_ent.float().contiguous()
        need_h, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_h = torch.empty_like(h) if need_h else None
        grad_w = torch.empty_like(w) if need_w else None
        block = _block(v, BWD_BLOCK)
        kept = ctx.kept
        for j, i in enumerate(range(0, n, chunk)):
            hc = h[i : i + chunk]
            if kept:
                dlogits, kept[j] = kept[j], None
            else:
                dlogits = hc @ w.t()
            rows = dlogits.shape[0]
            bwd[(rows, triton.cdiv(v, block))](
                dlogits, targets[i:], lse[i:], mean[i:], g_logp[i:], g_ent[i:], v, dlogits.stride(0),
                BLOCK=block, num_warps=8,
            )
            if grad_h is not None:
                torch.mm(dlogits, w, out=grad_h[i : i + rows])
            if grad_w is not None:
                if i == 0:
                    torch.mm(dlogits.t(), hc, out=grad_w)
                else:
                    grad_w.addmm_(dlogits.t(), hc)
            del dlogits
        return grad_h, grad_w, None, None, None


def fused_logp_entropy(
    h: torch.Tensor, w: torch.Tensor, targets: torch.Tensor, chunk: int | None = None, keep: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-prob of each target and entropy of each row's distribution over h @ w.t(), fp32 [N] each.

    `chunk` (rows per GEMM) defaults to CHUNK_BYTES of logits in the model dtype. `keep`: keep every
    chunk's logits (N x vocab in the model dtype) for backward instead of recomputing them there; only
    when autograd records the call."""
    n = h.shape[0]
    if n == 0:
        empty = h.new_zeros(0, dtype=torch.float32)
        return empty, empty
    if chunk is None:
        chunk = chunk_rows(n, w.shape[0], h.element_size())
    keep = keep and torch.is_grad_enabled() and (h.requires_grad or w.requires_grad)
    return LogpEntropy.apply(h.contiguous(), w.contiguous(), targets.contiguous(), chunk, keep)
