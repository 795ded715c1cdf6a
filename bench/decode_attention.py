"""Decode attention microbenchmark: the Triton split-K kernel (triton_decode.decode_attention) against
the SDPA call DecodeRunner._attend makes today, and the fused RoPE + cache write against the two RoPE
calls and two index_copy_ it replaces. Qwen2.5-1.5B attention shape (12 query heads, 2 KV heads, head
dim 128), bf16, one layer's cache.

Each variant is captured `--reps` times in one CUDA graph (as the decode step is) and the graph replayed
after a warm-up; the time is the median replay over `--reps` calls. KV GB/s counts the K and V bytes of
the columns attended (b * kv_heads * length * d * 2 bytes * 2); SDPA reads all `length` columns, the
Triton kernel only columns [0, col], so rows are timed at col = length - 1 (same bytes) and the Triton
kernel again at col = length - 64 (mid-bucket, as most steps are). Errors are max |out - reference| with
the reference the bmm math in fp32.

    python3 bench/decode_attention.py --out /tmp/decode-attention.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from common import device_name, git_commit, write_record

HEADS, KV_HEADS, HEAD_DIM = 12, 2, 128
DEVICE = torch.device("cuda")
MAX_LEN = 1280  # the runner's cache width for a 128-token prompt + 1,024 new tokens (+ alignment)
# (block_n, splits, num_warps, num_stages); splits None = the kernel's own choice.
CONFIGS: list[tuple[int, int | None, int, int]] = [
    (64, None, 4, 2),
    (64, None, 4, 3),
    (128, None, 4, 2),
    (128, None, 8, 2),
    (64, 1, 4, 2),
    (64, 2, 4, 2),
    (64, 4, 4, 2),
    (64, 8, 4, 2),
]


def graph_time_us(fn: Callable[[], Any], reps: int) -> float:
    """Median µs per call of `fn`, captured reps times in one CUDA graph and replayed."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for _ in range(reps):
            fn()
    for _ in range(3):
        graph.replay()
    start, end = (
        torch.cuda.Event(enable_timing=True),
        torch.cuda.Event(enable_timing=True),
    )
    times = []
    for _ in range(10):
        start.record()
        graph.replay()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1e3 / reps)
    return sorted(times)[len(times) // 2]


def reference(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    bias: torch.Tensor,
    col: int,
    length: int,
) -> torch.Tensor:
    b = q.shape[0]
    qg = q.float().view(b, KV_HEADS, HEADS // KV_HEADS, HEAD_DIM)
    kk, vv = k[:b, :, :length].float(), v[:b, :, :length].float()
    future = torch.arange(length, device=q.device) > col
    mask = (
        bias[:b, :length].float().masked_fill(future, float("-inf"))[:, None, None, :]
    )
    p = (qg @ kk.transpose(-1, -2) * HEAD_DIM**-0.5 + mask).softmax(-1)
    return (p @ vv).reshape(b, HEADS * HEAD_DIM)


def attention_case(td: Any, b: int, length: int, reps: int) -> dict[str, Any]:
    dev, dt = DEVICE, torch.bfloat16
    q = torch.randn(b, HEADS, HEAD_DIM, device=dev, dtype=dt)
    k = torch.randn(b, KV_HEADS, MAX_LEN, HEAD_DIM, device=dev, dtype=dt)
    v = torch.randn(b, KV_HEADS, MAX_LEN, HEAD_DIM, device=dev, dtype=dt)
    pad_bias = torch.zeros(b, MAX_LEN, device=dev, dtype=dt)
    pad_bias[: b // 2, :17] = float(
        "-inf"
    )  # half the rows left-padded, as mixed-length prompts are
    col_last = length - 1
    col = torch.full((1,), col_last, dtype=torch.long, device=dev)
    kv_bytes = b * KV_HEADS * length * HEAD_DIM * 2 * 2
    ref = reference(q, k, v, pad_bias, col_last, length)

    # Today's path: the step builds the masked bias once (shared by all layers), each layer calls SDPA.
    future = torch.arange(MAX_LEN, device=dev)[:length] > col
    bias = pad_bias[:b, :length].masked_fill(future, float("-inf"))[:, None, None, :]
    qg = q.view(b, KV_HEADS, HEADS // KV_HEADS, HEAD_DIM)

    def sdpa() -> torch.Tensor:
        y = F.scaled_dot_product_attention(
            qg, k[:b, :, :length], v[:b, :, :length], attn_mask=bias
        )
        return y.reshape(b, HEADS * HEAD_DIM)

    sdpa_us = graph_time_us(sdpa, reps)
    out: dict[str, Any] = {
        "batch": b,
        "length": length,
        "kv_bytes": kv_bytes,
        "sdpa_us": round(sdpa_us, 2),
        "sdpa_gb_per_s": round(kv_bytes / sdpa_us / 1e3, 1),
        "sdpa_max_abs_err": (sdpa().float() - ref).abs().max().item(),
        "triton": [],
    }
    for block_n, splits, warps, stages in CONFIGS:

        def tri(
            bn: int = block_n, s: int | None = splits, w: int = warps, st: int = stages
        ) -> torch.Tensor:
            return td.decode_attention(
                q,
                k,
                v,
                pad_bias,
                col,
                length,
                block_n=bn,
                splits=s,
                num_warps=w,
                num_stages=st,
            )

        col.fill_(col_last)
        err = (tri().float() - ref).abs().max().item()
        us = graph_time_us(tri, reps)
        col.fill_(length - 64)
        us_mid = graph_time_us(tri, reps)
        used = splits or td.choose_splits(b * KV_HEADS, length, block_n, dev)
        out["triton"].append(
            {
                "block_n": block_n,
                "splits": used,
                "auto_splits": splits is None,
                "num_warps": warps,
                "num_stages": stages,
                "us": round(us, 2),
                "gb_per_s": round(kv_bytes / us / 1e3, 1),
                "us_at_col_length_minus_64": round(us_mid, 2),
                "max_abs_err": err,
            }
        )
    best = min(out["triton"], key=lambda r: r["us"])
    out["triton_best"] = best
    out["speedup_best_vs_sdpa"] = round(sdpa_us / best["us"], 2)
    auto = out["triton"][0]
    out["speedup_default_vs_sdpa"] = round(sdpa_us / auto["us"], 2)
    return out


def rope_case(td: Any, b: int, reps: int) -> dict[str, Any]:
    from oneshot_engine.fused import kernels

    dev, dt = DEVICE, torch.bfloat16
    kf = kernels(dev)
    qkv = torch.randn(b, (HEADS + 2 * KV_HEADS) * HEAD_DIM, device=dev, dtype=dt)
    angles = torch.rand(b, HEAD_DIM // 2, device=dev) * 100
    emb = torch.cat((angles, angles), -1)
    cos, sin = emb.cos().to(dt), emb.sin().to(dt)
    k_cache = torch.zeros(b, KV_HEADS, MAX_LEN, HEAD_DIM, device=dev, dtype=dt)
    v_cache = torch.zeros_like(k_cache)
    k_ref, v_ref = torch.zeros_like(k_cache), torch.zeros_like(k_cache)
    col = torch.full((1,), 300, dtype=torch.long, device=dev)
    cos_q, sin_q = cos[:, None, :], sin[:, None, :]

    def today() -> torch.Tensor:
        q, k, v = qkv.split(
            [HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM], -1
        )
        q = kf.rope(q.view(b, HEADS, HEAD_DIM), cos_q, sin_q)
        k = kf.rope(k.view(b, KV_HEADS, HEAD_DIM), cos_q, sin_q)
        k_ref.index_copy_(2, col, k.unsqueeze(2))
        v_ref.index_copy_(2, col, v.reshape(b, KV_HEADS, HEAD_DIM).unsqueeze(2))
        return q

    def fused() -> torch.Tensor:
        return td.rope_write_kv(qkv, cos, sin, k_cache, v_cache, col, HEADS, KV_HEADS)

    q_err = (fused().float() - today().float()).abs().max().item()
    k_err = (k_cache.float() - k_ref.float()).abs().max().item()
    torch_us, triton_us = graph_time_us(today, reps), graph_time_us(fused, reps)
    return {
        "batch": b,
        "torch_us": round(torch_us, 2),
        "triton_us": round(triton_us, 2),
        "speedup": round(torch_us / triton_us, 2),
        "q_max_abs_err": q_err,
        "k_max_abs_err": k_err,
        "v_equal": bool(torch.equal(v_cache, v_ref)),
        "torch_compiled_helpers": kf.compiled,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="where to write the JSON record")
    ap.add_argument("--batches", default="64,256")
    ap.add_argument("--lengths", default="256,640,1152")
    ap.add_argument("--reps", type=int, default=50, help="calls per captured graph")
    ap.add_argument("--commit", default=None, help="the code's commit, where the tree has no git history")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print(
            "decode_attention.py needs a CUDA GPU; none is visible to torch.",
            file=sys.stderr,
        )
        return 1
    from oneshot_engine import triton_decode as td

    if not td.available(torch.device("cuda")):
        print(
            "decode_attention.py needs Triton (pip install triton).",
            file=sys.stderr,
        )
        return 1
    batches = [int(x) for x in args.batches.split(",")]
    lengths = [int(x) for x in args.lengths.split(",")]
    if max(lengths) > MAX_LEN or any(n % 64 for n in lengths):
        print(f"lengths must be multiples of 64 up to {MAX_LEN}.", file=sys.stderr)
        return 1
    torch.manual_seed(0)
    record: dict[str, Any] = {
        "bench": "decode_attention",
        "device": device_name(torch.device("cuda")),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": args.commit or git_commit(),
        "command": " ".join(["python3", *sys.argv]),
        "torch_version": torch.__version__,
        "triton_version": __import__("triton").__version__,
        "shape": {
            "heads": HEADS,
            "kv_heads": KV_HEADS,
            "head_dim": HEAD_DIM,
            "max_len": MAX_LEN,
            "dtype": "bf16",
        },
        "attention": [
            attention_case(td, b, n, args.reps) for b in batches for n in lengths
        ],
        "rope_write_kv": [rope_case(td, b, args.reps) for b in batches],
    }
    record["layers_28_attention_ms"] = {
        f"b{r['batch']}-L{r['length']}": {
            "sdpa": round(28 * r["sdpa_us"] / 1e3, 3),
            "triton_best": round(28 * r["triton_best"]["us"] / 1e3, 3),
        }
        for r in record["attention"]
    }
    text = json.dumps(record, indent=2)
    print(text)
    write_record(args.out, record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
