"""Triton kernels of the decode step: split-K GQA attention over the static cache, and RoPE fused with
the cache write.

Both read the cache column `col` from a device tensor inside the kernel, so a CUDA graph captured once
per (batch, length) bucket replays at every column; their grids depend on shapes only. The attention
kernel reads only the live columns [0, col] (the rest of the bucket is never loaded) and splits them
evenly over a fixed number of programs per (row, KV head); each program serves all query heads of its
KV head, so K and V are read once per KV head.

On the CPU the kernels run in Triton's interpreter (TRITON_INTERPRET=1 before this module is imported):
that is how the tests check them.
"""

# Triton kernel parameters are pointers and ints that Triton types itself; annotating them would only lie.
# ruff: noqa: ANN001
from __future__ import annotations

import functools
import math
import os

import torch

try:
    import triton
    import triton.language as tl
except ImportError:  # CPU installs without Triton: the decode runner uses the PyTorch attention paths
    triton = None
    tl = None

# The interpreter is chosen when the kernels are decorated, i.e. at this module's import.
_INTERPRET = os.environ.get("TRITON_INTERPRET", "").lower() in ("1", "true", "on", "yes")
_jit = triton.jit if triton is not None else (lambda f: f)
LOG2E = 1.4426950408889634
TARGET_WAVES = 3  # attention programs per SM to aim for (H200: 1 split at batch 256, 4 at batch 64 were best)


def available(device: torch.device) -> bool:
    """Whether the kernels can run on `device`: CUDA with Triton, or the CPU under Triton's interpreter.
    The caller also checks EngineOptions.triton."""
    if triton is None:
        return False
    if device.type == "cuda":
        return True
    return device.type == "cpu" and _INTERPRET


# F32_DOT: fp32 operands at full precision (no TF32) for fp32 models, and under the interpreter, whose
# tl.dot multiplies bf16 bit patterns as integers (Triton 3.8); bf16 on the GPU keeps bf16 tensor cores.


# ---------------------------------------------------------------------------------------------------
# Attention


@_jit
def _attn_split_kernel(
    Q, K, V, Bias, Col, Shared, Part, Lse, Out,
    stride_qb, stride_qh,
    stride_kb, stride_kh, stride_kn,
    stride_vb, stride_vh, stride_vn,
    stride_bb,
    kv_heads, length, qk_scale,
    GROUP: tl.constexpr, HEAD_DIM: tl.constexpr, BLOCK_G: tl.constexpr, BLOCK_D: tl.constexpr,
    BLOCK_N: tl.constexpr, SPLITS: tl.constexpr, F32_DOT: tl.constexpr,
):  # fmt: skip
    pid = tl.program_id(0)
    split = tl.program_id(1)
    row = (pid // kv_heads).to(tl.int64)  # row * stride can pass 2**31 in a big cache
    kvh = pid % kv_heads
    col = tl.load(Col)
    # Live columns [0, col] (col < length), cut into SPLITS runs of whole blocks; late splits may be empty.
    n_live = tl.minimum(col + 1, length)
    per_split = tl.cdiv(tl.cdiv(n_live, BLOCK_N), SPLITS) * BLOCK_N
    lo = split * per_split
    hi = tl.minimum(lo + per_split, n_live)

    g = tl.arange(0, BLOCK_G)
    d = tl.arange(0, BLOCK_D)
    g_ok = g < GROUP
    d_ok = d < HEAD_DIM
    heads = kvh * GROUP + g
    q_mask = g_ok[:, None] & d_ok[None, :]
    q = tl.load(Q + row * stride_qb + heads[:, None] * stride_qh + d[None, :], mask=q_mask, other=0.0)

    m_i = tl.full([BLOCK_G], float("-inf"), tl.float32)
    l_i = tl.zeros([BLOCK_G], tl.float32)
    acc = tl.zeros([BLOCK_G, BLOCK_D], tl.float32)
    b_base = Bias + row * stride_bb
    # Columns [0, shared) hold the same keys and values in every row (one prompt copied to all rows):
    # a block wholly inside them is read from row 0, whose copy every program then finds in L2, not
    # once per row from HBM. One source row per block, not per column: a per-column row makes every
    # load a gather (the step at 256 rows and 1,088 columns measured 12% slower with it); the block
    # that straddles `shared` reads the row's own copy, which holds the same values.
    shared = tl.load(Shared)
    for start in range(lo, hi, BLOCK_N):
        n = start + tl.arange(0, BLOCK_N)
        n_ok = n < hi
        kv_mask = n_ok[:, None] & d_ok[None, :]
        src = tl.where(start + BLOCK_N <= shared, 0, row)
        k_ptr = K + src * stride_kb + kvh * stride_kh + n[:, None] * stride_kn + d[None, :]
        v_ptr = V + src * stride_vb + kvh * stride_vh + n[:, None] * stride_vn + d[None, :]
        k = tl.load(k_ptr, mask=kv_mask, other=0.0)
        if F32_DOT:
            s = tl.dot(q.to(tl.float32), tl.trans(k.to(tl.float32)), input_precision="ieee")
        else:
            s = tl.dot(q, tl.trans(k))
        bias = tl.load(b_base + n, mask=n_ok, other=float("-inf")).to(tl.float32)
        s = s * qk_scale + bias[None, :] * 1.4426950408889634  # log2(e); Triton kernels read no globals
        m_new = tl.maximum(m_i, tl.max(s, 1))
        # A head whose keys so far are all padding keeps m = -inf; subtracting 0 instead avoids inf - inf.
        m_safe = tl.where(m_new == float("-inf"), 0.0, m_new)
        alpha = tl.exp2(m_i - m_safe)
        p = tl.exp2(s - m_safe[:, None])
        l_i = l_i * alpha + tl.sum(p, 1)
        v = tl.load(v_ptr, mask=kv_mask, other=0.0)
        if F32_DOT:
            acc = acc * alpha[:, None] + tl.dot(p, v.to(tl.float32), input_precision="ieee")
        else:
            acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v)
        m_i = m_new

    l_safe = tl.where(l_i == 0.0, 1.0, l_i)
    o = acc / l_safe[:, None]
    hd = heads[:, None] * HEAD_DIM + d[None, :]
    if SPLITS == 1:
        tl.store(Out + row * (kv_heads * GROUP * HEAD_DIM) + hd, o.to(Out.dtype.element_ty), mask=q_mask)
    else:
        # Partial results [b, heads, SPLITS, HEAD_DIM] and their log2-sum-exp (-inf for an empty split).
        part_row = (row * kv_heads * GROUP + heads) * SPLITS + split
        tl.store(Part + part_row[:, None] * HEAD_DIM + d[None, :], o, mask=q_mask)
        tl.store(Lse + part_row, m_i + tl.log2(l_safe), mask=g_ok)


@_jit
def _attn_merge_kernel(
    Part, Lse, Out,
    SPLITS: tl.constexpr, BLOCK_S: tl.constexpr, HEAD_DIM: tl.constexpr, BLOCK_D: tl.constexpr,
):  # fmt: skip
    pid = tl.program_id(0).to(tl.int64)  # row * heads + head
    s = tl.arange(0, BLOCK_S)
    d = tl.arange(0, BLOCK_D)
    s_ok = s < SPLITS
    lse = tl.load(Lse + pid * SPLITS + s, mask=s_ok, other=float("-inf"))
    w = tl.exp2(lse - tl.max(lse, 0))  # the split holding column col is never empty: the max is finite
    o = tl.load(
        Part + (pid * SPLITS + s[:, None]) * HEAD_DIM + d[None, :],
        mask=s_ok[:, None] & (d[None, :] < HEAD_DIM),
        other=0.0,
    )
    out = tl.sum(o * w[:, None], 0) / tl.sum(w, 0)
    tl.store(Out + pid * HEAD_DIM + d, out.to(Out.dtype.element_ty), mask=d < HEAD_DIM)


@functools.lru_cache(maxsize=8)
def _sm_count(device: torch.device) -> int:
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).multi_processor_count
    return 132


# Kernel launch settings per cache-length bucket: (longest bucket, block_n, num_warps, num_stages,
# fewest splits), the first whose bound holds the length. From bench/paper_step.py's sweep on an H200
# at 1,024 rows (bench/results/paper-step-2026-12-02-early.json): 512 keys 259 -> 204 us with blocks
# of 128; 1,600 keys 470 -> 458 us with 3 stages; 3,100 keys 956 -> 836 us with blocks of 128 in 2
# splits (the grid's last wave of programs half as long).
LAUNCH_BY_LENGTH: list[tuple[int, int, int, int, int]] = [
    (1024, 128, 4, 2, 1),
    (2048, 64, 4, 3, 1),
    (1 << 62, 128, 4, 2, 2),
]
def launch_for(length: int) -> dict[str, int]:
    """decode_attention's block_n, num_warps, num_stages and min_splits for a bucket of `length` columns.
    Also the faster at 256 rows (2-3% against decode_attention's defaults from 192 to 1,600 columns:
    bench/results/decode-launch-2026-12-02-b256.json), though swept at 1,024."""
    _, block_n, warps, stages, splits = next(c for c in LAUNCH_BY_LENGTH if length <= c[0])
    return {"block_n": block_n, "num_warps": warps, "num_stages": stages, "min_splits": splits}


def choose_splits(programs: int, length: int, block_n: int, device: torch.device) -> int:
    """Splits per (row, KV head) so the grid covers the SMs about TARGET_WAVES times, at most one per
    key block of the bucket."""
    want = math.ceil(TARGET_WAVES * _sm_count(device) / programs)
    return max(1, min(want, math.ceil(length / block_n)))


def decode_attention(
    q: torch.Tensor,
    k_cache: torch.Tensor,
    v_cache: torch.Tensor,
    pad_bias: torch.Tensor,
    col: torch.Tensor,
    length: int,
    *,
    block_n: int = 64,
    splits: int | None = None,
    num_warps: int = 4,
    num_stages: int = 2,
    shared: torch.Tensor | None = None,
    min_splits: int = 1,
) -> torch.Tensor:
    """Attention of one query token per row: q [b, heads, d] against cache columns [0, col] (col a
    1-element device tensor, col < length) of k_cache/v_cache [rows, kv_heads, max_len, d], plus
    pad_bias [rows, max_len] (0 or -inf). Returns [b, heads * d] in q's dtype.

    shared: a 1-element device tensor, the number of leading columns that are the same in every row
    (the prompt all rows were copied from); they are read from row 0 instead. None: no such columns.
    min_splits: the fewest splits when `splits` is None (choose_splits may pick more)."""
    b, heads, dim = q.shape
    kv_heads = k_cache.shape[1]
    if heads % kv_heads or k_cache.shape[0] < b or k_cache.shape[-1] != dim or length > k_cache.shape[2]:
        raise ValueError(
            f"decode_attention: q {tuple(q.shape)} does not fit the cache {tuple(k_cache.shape)}"
        )
    if not (
        q.is_contiguous() and k_cache.stride(-1) == 1 and v_cache.stride(-1) == 1 and pad_bias.stride(-1) == 1
    ):
        raise ValueError("decode_attention needs contiguous q and unit-stride cache and bias rows")
    group = heads // kv_heads
    if splits is None:
        splits = max(min(min_splits, math.ceil(length / block_n)), choose_splits(b * kv_heads, length, block_n, q.device))
    out = torch.empty(b, heads * dim, dtype=q.dtype, device=q.device)
    if shared is None:  # the decode runner passes its own: nothing is allocated inside a graph capture
        shared = torch.zeros(1, dtype=torch.long, device=q.device)
    if splits > 1:
        part = torch.empty(b, heads, splits, dim, dtype=torch.float32, device=q.device)
        lse = torch.empty(b, heads, splits, dtype=torch.float32, device=q.device)
    else:
        part = lse = out  # unused by the kernel when SPLITS == 1
    _attn_split_kernel[(b * kv_heads, splits)](
        q, k_cache, v_cache, pad_bias, col, shared, part, lse, out,
        q.stride(0), q.stride(1),
        k_cache.stride(0), k_cache.stride(1), k_cache.stride(2),
        v_cache.stride(0), v_cache.stride(1), v_cache.stride(2),
        pad_bias.stride(0),
        kv_heads, length, LOG2E / math.sqrt(dim),
        GROUP=group, HEAD_DIM=dim, BLOCK_G=max(16, triton.next_power_of_2(group)),
        BLOCK_D=max(16, triton.next_power_of_2(dim)), BLOCK_N=block_n, SPLITS=splits,
        F32_DOT=q.dtype == torch.float32 or _INTERPRET, num_warps=num_warps, num_stages=num_stages,
    )  # fmt: skip
    if splits > 1:
        _attn_merge_kernel[(b * heads,)](
            part, lse, out,
            SPLITS=splits, BLOCK_S=triton.next_power_of_2(splits), HEAD_DIM=dim,
            BLOCK_D=triton.next_power_of_2(dim), num_warps=1 if dim <= 64 else 2,
        )  # fmt: skip
    return out


# ---------------------------------------------------------------------------------------------------
# RoPE + cache write


@_jit
def _rope_write_kernel(
    QKV, Cos, Sin, K, V, Col, Qout, QW, KW, eps,
    stride_xb, stride_cb, stride_sb,
    stride_kb, stride_kh, stride_kn,
    stride_vb, stride_vh, stride_vn,
    HEADS: tl.constexpr, KV_HEADS: tl.constexpr, HEAD_DIM: tl.constexpr, HALF: tl.constexpr,
    HALF_P2: tl.constexpr,
    NORM: tl.constexpr,
):  # fmt: skip
    row = tl.program_id(0).to(tl.int64)
    h = tl.program_id(1)  # q heads, then k heads (whose program also copies the matching v head)
    j = tl.arange(0, HALF_P2)
    ok = j < HALF
    src = QKV + row * stride_xb + h * HEAD_DIM
    x1 = tl.load(src + j, mask=ok, other=0.0)
    x2 = tl.load(src + HALF + j, mask=ok, other=0.0)
    dt = x1.dtype
    x1 = x1.to(tl.float32)
    x2 = x2.to(tl.float32)
    if NORM:
        # Qwen3's per-head RMSNorm before RoPE, rounded as the model rounds it: w * (x * rsqrt).to(dtype).
        is_q = h < HEADS
        w1 = tl.where(is_q, tl.load(QW + j, mask=ok, other=0.0), tl.load(KW + j, mask=ok, other=0.0))
        w2 = tl.where(
            is_q, tl.load(QW + HALF + j, mask=ok, other=0.0), tl.load(KW + HALF + j, mask=ok, other=0.0)
        )
        r = 1.0 / tl.sqrt((tl.sum(x1 * x1, 0) + tl.sum(x2 * x2, 0)) / HEAD_DIM + eps)
        # (The product is taken in fp32 and rounded once: the same value, and the interpreter cannot
        # multiply bf16 tensors.)
        x1 = (w1.to(tl.float32) * (x1 * r).to(dt).to(tl.float32)).to(dt).to(tl.float32)
        x2 = (w2.to(tl.float32) * (x2 * r).to(dt).to(tl.float32)).to(dt).to(tl.float32)
    c1 = tl.load(Cos + row * stride_cb + j, mask=ok, other=0.0).to(tl.float32)
    c2 = tl.load(Cos + row * stride_cb + HALF + j, mask=ok, other=0.0).to(tl.float32)
    s1 = tl.load(Sin + row * stride_sb + j, mask=ok, other=0.0).to(tl.float32)
    s2 = tl.load(Sin + row * stride_sb + HALF + j, mask=ok, other=0.0).to(tl.float32)
    y1 = (x1 * c1 - x2 * s1).to(dt)
    y2 = (x2 * c2 + x1 * s2).to(dt)
    if h < HEADS:
        dst = Qout + (row * HEADS + h) * HEAD_DIM
        tl.store(dst + j, y1, mask=ok)
        tl.store(dst + HALF + j, y2, mask=ok)
    else:
        kvh = h - HEADS
        col = tl.load(Col)
        kdst = K + row * stride_kb + kvh * stride_kh + col * stride_kn
        tl.store(kdst + j, y1, mask=ok)
        tl.store(kdst + HALF + j, y2, mask=ok)
        vsrc = src + KV_HEADS * HEAD_DIM
        vdst = V + row * stride_vb + kvh * stride_vh + col * stride_vn
        tl.store(vdst + j, tl.load(vsrc + j, mask=ok, other=0.0), mask=ok)
        tl.store(vdst + HALF + j, tl.load(vsrc + HALF + j, mask=ok, other=0.0), mask=ok)


def rope_write_kv(
    qkv: torch.Tensor,
    cos: torch.Tensor,
    sin: torch.Tensor,
    k_cache: torch.Tensor,
    v_cache: torch.Tensor,
    col: torch.Tensor,
    heads: int,
    kv_heads: int,
    q_norm: torch.Tensor | None = None,
    k_norm: torch.Tensor | None = None,
    eps: float = 1e-6,
) -> torch.Tensor:
    """From qkv [b, (heads + 2 kv_heads) * d] (q | k | v, biases added): rotates q and k (HF rotate_half,
    cos/sin [b, d]), writes k and v into the caches at column col (a device tensor) for rows [0, b),
    and returns the rotated q [b, heads, d]. q_norm/k_norm: Qwen3's per-head RMSNorm weights, applied
    before the rotation."""
    b = qkv.shape[0]
    dim = k_cache.shape[-1]
    if qkv.shape[1] != (heads + 2 * kv_heads) * dim or dim % 2 or k_cache.shape[0] < b:
        raise ValueError(
            f"rope_write_kv: qkv {tuple(qkv.shape)} does not fit the cache {tuple(k_cache.shape)}"
        )
    if not (qkv.stride(1) == 1 and cos.stride(-1) == 1 and sin.stride(-1) == 1 and k_cache.stride(-1) == 1):
        raise ValueError("rope_write_kv needs unit-stride rows")
    q = torch.empty(b, heads, dim, dtype=qkv.dtype, device=qkv.device)
    norm = q_norm is not None and k_norm is not None
    _rope_write_kernel[(b, heads + kv_heads)](
        qkv, cos, sin, k_cache, v_cache, col, q, q_norm if norm else q, k_norm if norm else q, eps,
        qkv.stride(0), cos.stride(0), sin.stride(0),
        k_cache.stride(0), k_cache.stride(1), k_cache.stride(2),
        v_cache.stride(0), v_cache.stride(1), v_cache.stride(2),
        HEADS=heads, KV_HEADS=kv_heads, HEAD_DIM=dim, HALF=dim // 2, HALF_P2=triton.next_power_of_2(dim // 2),
        NORM=norm, num_warps=1 if dim <= 128 else 2,
    )  # fmt: skip
    return q
