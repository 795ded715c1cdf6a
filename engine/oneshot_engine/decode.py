"""The fast decode loop: a static KV cache, one decode step per CUDA graph, sampling on the GPU.

All rollouts share static buffers sized for the largest batch: the KV cache [rows, kv_heads, max_len,
head_dim] per layer, the last token and position of each row, the cache column (a 0-d tensor, so a
graph replays at any step) and the additive key bias of each row's left padding. A decode step for
`b` live rows attending to the first `L` cache columns is captured once per (b, L) bucket and
replayed; finished rows are retired by compacting the live ones to the front when they fit a smaller
batch bucket. The graphs read the model's own parameters, which the optimizer updates in place, so
the weights being trained are the weights sampled from (no copy, no sync).

Attention (EngineOptions.decode_attention, ONESHOT_DECODE_ATTN): "triton" (the default on CUDA)
fuses RoPE with the cache write and runs split-K attention over the live columns only
(triton_decode.py); "sdpa" and "bmm" are the PyTorch paths, "sdpa" the default without CUDA.

Without CUDA the runner's step runs eagerly (the GPU path minus graphs); tests use it that way. The
engine's CPU runs decode with generate.py's eager loop instead: generate.py's docstring says why.
The engine owns the runner (runtime.ModelRuntime); nothing is kept on the model.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .fused import argmax, kernels
from .fused_weights import LayerWeights, fused_projections
from .lora import DecodeAdapters, decode_rows
from .model import Transformer
from .options import ATTENTIONS, EngineOptions

# Cache columns per attention-length bucket: each step attends to at most this many unwritten columns.
LEN_BUCKET = 128
# The Triton attention reads only the live columns whatever the bucket, so its graphs need coarser
# buckets: fewer captures (the paper step's 3,200 columns: 4 graphs instead of 25, recaptured every
# step when training frees the cache) and a launch setting per bucket (triton_decode.LAUNCH_BY_LENGTH).
TRITON_LEN_BUCKET = 1024
CHECK_EVERY = 16  # decode steps between host checks for EOS / stop strings (rows run on meanwhile)


def batch_buckets(limit: int) -> list[int]:
    """1, 2, 3, 4, 6, 8, 12, 16, 24 …: a row count wastes at most a third of a bucket."""
    out, p = [], 1
    while True:
        for v in (p, p + p // 2) if p >= 2 else (p,):
            if v >= limit:
                return [*out, limit]
            out.append(v)
        p *= 2


def filter_logits(logits: torch.Tensor, top_k: int, top_p: float) -> torch.Tensor:
    """fp32 logits with everything outside top-k / the top-p nucleus set to -inf (static shapes)."""
    logits = logits.float()
    if 0 < top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = sorted_logits.softmax(-1)
        # Drop a token when the tokens before it already cover top_p (the first one always stays).
        drop = (probs.cumsum(-1) - probs) > top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
    return logits


def triton_available(device: torch.device, enabled: bool = True) -> bool:
    """Whether the Triton decode kernels run on `device` (imports Triton only when asked); `enabled` is
    EngineOptions.triton, which turns them off on CUDA."""
    if device.type == "cuda" and not enabled:
        return False
    try:
        from . import triton_decode
    except ImportError:
        return False
    return triton_decode.available(device)


def default_attention(device: torch.device, triton: bool = True) -> str:
    """Triton kernels on CUDA when they are there (and `triton` allows them); PyTorch's SDPA otherwise
    (and on the CPU)."""
    return "triton" if device.type == "cuda" and triton_available(device, triton) else "sdpa"


# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sampler:
    greedy: bool
    top_k: int
    top_p: float


class DecodeRunner:
    """Static decode state for up to `rows_max` rows of `max_len` columns of one model."""

    def __init__(
        self,
        model: Transformer,
        rows_max: int,
        max_len: int,
        use_graphs: bool | None = None,
        attention: str | None = None,
        options: EngineOptions | None = None,
        lora_kernels: bool | None = None,
    ) -> None:
        """attention: overrides options.decode_attention (tests and benchmarks compare them).
        lora_kernels: whether the LoRA adapters' B term of gate|up is added inside the SiLU-gate kernel
        (triton_lora.py) rather than by an addmm_; by default where the attention is Triton's."""
        options = options or EngineOptions()
        p = next(model.parameters())
        self.model, self.device, self.dtype = model, p.device, p.dtype
        cfg = model.cfg
        self.rows_max = rows_max
        self.max_len = math.ceil(max_len / 64) * 64  # aligned bias rows for the attention kernels
        self.use_graphs = self.device.type == "cuda" if use_graphs is None else use_graphs
        self.k_ = kernels(self.device, options.compile)
        shape = (rows_max, cfg.num_kv_heads, self.max_len, cfg.head_dim)
        dev = self.device
        self.k = [torch.zeros(shape, dtype=self.dtype, device=dev) for _ in range(cfg.num_layers)]
        self.v = [torch.zeros(shape, dtype=self.dtype, device=dev) for _ in range(cfg.num_layers)]
        self.tok = torch.zeros(rows_max, dtype=torch.long, device=dev)
        self.pos = torch.zeros(rows_max, dtype=torch.long, device=dev)
        self.col = torch.zeros(1, dtype=torch.long, device=dev)
        # Leading cache columns every row holds the same (one prompt copied to all rows; 0: none): the
        # Triton attention reads them from row 0 (generate sets it per wave).
        self.shared = torch.zeros(1, dtype=torch.long, device=dev)
        self.cols = torch.arange(self.max_len, device=dev)
        self.pad_bias = torch.zeros(rows_max, self.max_len, dtype=self.dtype, device=dev)
        self.out = torch.zeros(rows_max, self.max_len, dtype=torch.long, device=dev)
        self.noise = torch.ones(rows_max, cfg.vocab_size, dtype=torch.float32, device=dev)
        self.inv_temp = torch.ones((), dtype=torch.float32, device=dev)
        self.graphs: dict[tuple[int, int, Sampler], torch.cuda.CUDAGraph] = {}
        self.pool = torch.cuda.graph_pool_handle() if self.use_graphs else None
        self.capture_s = 0.0
        self.attention = (
            attention or options.decode_attention or default_attention(self.device, options.triton)
        )
        if self.attention not in ATTENTIONS:
            raise ValueError(
                f"unknown decode attention {self.attention!r}: pick one of {', '.join(ATTENTIONS)}"
            )
        if self.attention == "triton" and not triton_available(self.device, options.triton):
            raise ValueError(
                "decode attention 'triton' needs Triton on CUDA (or TRITON_INTERPRET=1 on the CPU); "
                "set ONESHOT_DECODE_ATTN=sdpa"
            )
        self.lora_kernels = self.attention == "triton" if lora_kernels is None else lora_kernels
        if self.lora_kernels and not triton_available(self.device, options.triton):
            raise ValueError("lora_kernels needs Triton on CUDA (or TRITON_INTERPRET=1 on the CPU)")
        self.weights: list[LayerWeights] = []
        self.adapters: DecodeAdapters | None = None
        self.signature: tuple[int, ...] = ()
        self.refresh_weights()

    def refresh_weights(self) -> None:
        """Fuses q|k|v and gate|up (again) with rows for the LoRA adapters' A's, copies the adapters into
        the decode's buffers (lora.DecodeAdapters) and drops the captured graphs when any parameter's
        or buffer's storage moved since they were captured (a graph replays the addresses it was
        captured with)."""
        self.weights = fused_projections(self.model, decode_rows)
        self.adapters = DecodeAdapters.build(self.model, self.weights, self.adapters)
        signature = tuple(p.data_ptr() for p in self.model.parameters())
        signature += self.adapters.pointers() if self.adapters is not None else ()
        if signature != self.signature:
            self.graphs.clear()
            self.signature = signature

    def length_bucket(self, live: int) -> int:
        """The cache columns a step with `live` live columns attends over (its graph's bucket)."""
        bucket = TRITON_LEN_BUCKET if self.attention == "triton" else LEN_BUCKET
        return min(self.max_len, math.ceil(live / bucket) * bucket)

    def kv_nbytes(self) -> int:
        """Bytes of the static KV cache (rows_max x max_len tokens per layer)."""
        return sum(t.numel() * t.element_size() for t in (*self.k, *self.v))

    # -- the step ------------------------------------------------------------------------------------

    def _attend(self, q: torch.Tensor, layer: int, b: int, length: int, bias: torch.Tensor) -> torch.Tensor:
        """q [b, heads, d] against the first `length` cache columns; each KV head's query group is read
        as `group` query positions, so K and V are read once per KV head (no GQA expansion)."""
        cfg = self.model.cfg
        group = cfg.num_heads // cfg.num_kv_heads
        qg = q.view(b, cfg.num_kv_heads, group, cfg.head_dim)
        k = self.k[layer][:b, :, :length]
        v = self.v[layer][:b, :, :length]
        if self.attention == "bmm":
            s = torch.matmul(qg * (cfg.head_dim**-0.5), k.transpose(-1, -2))
            p = (s.float() + bias).softmax(-1).to(q.dtype)
            y = torch.matmul(p, v)
        else:
            y = F.scaled_dot_product_attention(qg, k, v, attn_mask=bias)
        return y.reshape(b, cfg.num_heads * cfg.head_dim)

    def _qkv(self, layer_index: int, h: torch.Tensor) -> torch.Tensor:
        """The layer's q | k | v projections of h as one [b, (heads + 2 kv_heads) * d] tensor (row-strided
        when LoRA adapters ride the GEMM): one GEMM on the fused buffer whose slices are the three
        projections' parameters."""
        return self._gemm(layer_index, "qkv", h)

    def _gemm(self, layer: int, group: str, x: torch.Tensor) -> torch.Tensor:
        """Decode GEMM `group` (fused_weights.GROUPS) of x, not the modules (whose adapter math is the
        training path's). With LoRA adapters the GEMM's extra rows give x A^T and one more GEMM adds
        the B term in place; the result is then a row-strided view of the GEMM's output."""
        g = self.weights[layer][group]
        y = F.linear(x, g.w, g.b)
        return y if self.adapters is None else self.adapters.add_(y, layer, group)

    def _silu_mul(self, layer: int, h: torch.Tensor) -> torch.Tensor:
        """SiLU(gate) * up of the gate|up GEMM of h. With LoRA adapters on it and lora_kernels, one
        Triton kernel adds their B term and applies the gate: no addmm_ over the GEMM's whole output."""
        a = self.adapters.layers[layer]["gate_up"] if self.adapters is not None and self.lora_kernels else None
        if a is None:
            return self.k_.silu_mul(self._gemm(layer, "gate_up", h))
        from . import triton_lora

        g = self.weights[layer]["gate_up"]
        return triton_lora.silu_mul_low_rank(F.linear(h, g.w, g.b), a.b)

    def _attention_triton(
        self, i: int, h: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, length: int
    ) -> torch.Tensor:
        """The Triton path of one layer's attention: fused RoPE + cache write, then split-K attention
        that reads col and the padding bias itself (no per-step mask tensor)."""
        from . import triton_decode as td

        a = self.model.model.layers[i].self_attn
        norm = a.q_norm is not None
        q = td.rope_write_kv(
            self._qkv(i, h), cos, sin, self.k[i], self.v[i], self.col, a.n_heads, a.n_kv,
            q_norm=a.q_norm.weight if norm else None, k_norm=a.k_norm.weight if norm else None,
            eps=a.q_norm.eps if norm else 1e-6,
        )  # fmt: skip
        return self._gemm(
            i,
            "o",
            td.decode_attention(
                q, self.k[i], self.v[i], self.pad_bias, self.col, length, shared=self.shared, **td.launch_for(length)
            ),
        )

    def _attention_torch(
        self,
        i: int,
        h: torch.Tensor,
        rope: tuple[torch.Tensor, torch.Tensor],
        length: int,
        bias: torch.Tensor,
    ) -> torch.Tensor:
        """The PyTorch path of one layer's attention ("sdpa" / "bmm"): separate projections, RoPE,
        index_copy_ into the cache, then _attend."""
        kf, b = self.k_, h.shape[0]
        a = self.model.model.layers[i].self_attn
        cos_q, sin_q = rope
        nq, nkv = a.n_heads * a.head_dim, a.n_kv * a.head_dim
        q, k, v = self._qkv(i, h).split([nq, nkv, nkv], dim=-1)
        q = q.view(b, a.n_heads, a.head_dim)
        k = k.view(b, a.n_kv, a.head_dim)
        v = v.view(b, a.n_kv, a.head_dim)
        if a.q_norm is not None:
            q = kf.rms_norm(q, a.q_norm.weight, a.q_norm.eps)
            k = kf.rms_norm(k, a.k_norm.weight, a.k_norm.eps)
        q, k = kf.rope(q, cos_q, sin_q), kf.rope(k, cos_q, sin_q)
        self.k[i][:b].index_copy_(2, self.col, k.unsqueeze(2))
        self.v[i][:b].index_copy_(2, self.col, v.unsqueeze(2))
        return self._gemm(i, "o", self._attend(q, i, b, length, bias))

    def _step(self, b: int, length: int, sampler: Sampler) -> None:
        """One decode step of rows [0, b): reads tok/pos/col, writes the cache column, the next token
        (into tok and out[:, col + 1]) and advances pos and col. Capturable: no host syncs."""
        m, kf = self.model, self.k_
        tok, pos = self.tok[:b], self.pos[:b]
        x = m.model.embed_tokens(tok)
        cos, sin = m.rope(pos, x.dtype)  # [b, d]
        triton_path = self.attention == "triton"
        if not triton_path:
            rope = (cos[:, None, :], sin[:, None, :])
            future = self.cols[:length] > self.col
            bias = self.pad_bias[:b, :length].masked_fill(future, float("-inf"))[:, None, None, :]
            if self.attention == "bmm":
                bias = bias.float()
        layers = m.model.layers
        h = kf.rms_norm(x, layers[0].input_layernorm.weight, layers[0].input_layernorm.eps)
        for i, layer in enumerate(layers):
            if triton_path:
                y = self._attention_triton(i, h, cos, sin, length)
            else:
                y = self._attention_torch(i, h, rope, length, bias)
            mlp_norm = layer.post_attention_layernorm
            x, h = kf.add_rms_norm(x, y, mlp_norm.weight, mlp_norm.eps)
            y = self._gemm(i, "down", self._silu_mul(i, h))
            nxt_norm = layers[i + 1].input_layernorm if i + 1 < len(layers) else m.model.norm
            x, h = kf.add_rms_norm(x, y, nxt_norm.weight, nxt_norm.eps)
        logits = m.lm_head(h)
        nxt = self._sample(logits, b, sampler)
        self.tok[:b].copy_(nxt)
        self.out[:b].index_copy_(1, self.col + 1, nxt[:, None])
        self.pos[:b].add_(1)
        self.col.add_(1)

    def _sample(self, logits: torch.Tensor, b: int, sampler: Sampler) -> torch.Tensor:
        if sampler.greedy:
            return argmax(logits)
        if sampler.top_k > 0 or sampler.top_p < 1.0:
            logits = filter_logits(logits, sampler.top_k, sampler.top_p)
        return self.k_.sample_exp(logits, self.noise[:b], self.inv_temp)

    # -- graphs --------------------------------------------------------------------------------------

    def run_step(self, b: int, length: int, sampler: Sampler, gen: torch.Generator | None) -> None:
        if not sampler.greedy:
            self.noise[:b].exponential_(generator=gen)
        if not self.use_graphs:
            self._step(b, length, sampler)
            return
        key = (b, length, sampler)
        graph = self.graphs.get(key)
        if graph is None:
            graph = self._capture(b, length, sampler)
            self.graphs[key] = graph
        graph.replay()

    def _capture(self, b: int, length: int, sampler: Sampler) -> torch.cuda.CUDAGraph:
        t0 = time.perf_counter()
        # A warm-up step (compiles helpers, sets up cuBLAS) on a side stream, as capture requires. The
        # step mutates tok/pos/col/out, so they are restored; the cache column it writes is the same
        # column the real step writes again with the same values.
        saved = (self.tok[:b].clone(), self.pos[:b].clone(), self.col.clone())
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            self._step(b, length, sampler)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, pool=self.pool):
            self._step(b, length, sampler)
        self.tok[:b].copy_(saved[0])
        self.pos[:b].copy_(saved[1])
        self.col.copy_(saved[2])
        torch.cuda.synchronize()
        self.capture_s += time.perf_counter() - t0
        return graph
