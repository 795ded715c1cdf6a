"""Per-token log-probs and entropies through the vocabulary projection: the torch path of
train.token_logp_entropy (chunked fp32 math, checkpointed) against triton_logp's fused kernels, on the
shape of one training micro-batch (2 rows x 1,024 response tokens of a Qwen2.5-1.5B: hidden 1,536,
vocabulary 151,936, bf16). Times forward + backward (and forward alone, as the no-grad old-log-prob
pass runs it) with CUDA events after warm-up, the extra memory each path needs beyond h and w, and how
far the two paths' outputs and gradients are from each other and from an fp32-weights run.

    python3 bench/logp.py --out bench/results/logp-<date>.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

import torch
from common import cuda_median_s, record_header, write_record
from oneshot_engine import train, triton_logp

Fn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tokens", type=int, default=2048)
    ap.add_argument("--hidden", type=int, default=1536)
    ap.add_argument("--vocab", type=int, default=151936)
    ap.add_argument("--dtype", choices=["bfloat16", "float16", "float32"], default="bfloat16")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--out", default=None, help="also write the JSON record here")
    ap.add_argument("--commit", default=None, help="the code's commit, where the tree has no git history")
    return ap.parse_args()


def torch_path(h: torch.Tensor, w: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """train.token_logp_entropy with the fused path switched off (the engine's triton option off)."""
    return train.token_logp_entropy(h, w, targets, triton=False)


def step(fn: Fn, h: torch.Tensor, w: torch.Tensor, targets: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> tuple:
    h.grad = w.grad = None
    logp, ent = fn(h, w, targets)
    (a * logp + b * ent).sum().backward()
    return logp.detach(), ent.detach(), h.grad, w.grad


def median_ms(fn: Callable[[], Any], iters: int, warmup: int) -> float:
    return 1e3 * cuda_median_s(fn, iters, warmup)


def extra_peak_gb(fn: Callable[[], Any], device: torch.device) -> float:
    """Peak memory one call allocates beyond what was allocated before it (for a training step that
    includes the gradients of h and w, the same for both paths)."""
    torch.cuda.synchronize(device)
    base = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    fn()
    torch.cuda.synchronize(device)
    return (torch.cuda.max_memory_allocated(device) - base) / 1024**3


def max_diff(x: torch.Tensor, y: torch.Tensor) -> float:
    return float((x.float() - y.float()).abs().max())


def compare(got: tuple, want: tuple) -> dict[str, float]:
    names = ("logp", "entropy", "grad_h", "grad_w")
    return {f"max_abs_diff_{n}": max_diff(x, y) for n, x, y in zip(names, got, want, strict=True)}


def main() -> int:
    args = parse_args()
    if not torch.cuda.is_available():
        print("bench/logp.py needs a CUDA GPU and none is visible.")
        return 1
    device = torch.device("cuda")
    if not triton_logp.available(device):
        print("bench/logp.py needs Triton (pip install triton) and ONESHOT_TRITON not set to 0.")
        return 1
    dtype = getattr(torch, args.dtype)
    n, d, v = args.tokens, args.hidden, args.vocab
    g = torch.Generator(device=device).manual_seed(0)
    # Final-norm outputs are about unit scale; lm_head init std 0.02 gives logits of std ~0.8.
    h = torch.randn(n, d, device=device, generator=g).to(dtype).requires_grad_()
    w = (torch.randn(v, d, device=device, generator=g) * 0.02).to(dtype).requires_grad_()
    targets = torch.randint(0, v, (n,), device=device, generator=g)
    a = torch.randn(n, device=device, generator=g) / n
    b = torch.randn(n, device=device, generator=g) / n

    paths: dict[str, Fn] = {"torch": torch_path, "fused": triton_logp.fused_logp_entropy}
    result: dict[str, Any] = {}
    outputs = {}
    for name, fn in paths.items():
        outputs[name] = tuple(t.clone() for t in step(fn, h, w, targets, a, b))
        h.grad = w.grad = None
        fwd_bwd = median_ms(lambda fn=fn: step(fn, h, w, targets, a, b), args.iters, args.warmup)
        h.grad = w.grad = None

        def forward(fn: Fn = fn) -> None:
            with torch.no_grad():
                fn(h, w, targets)

        fwd = median_ms(forward, args.iters, args.warmup)
        peak_train = extra_peak_gb(lambda fn=fn: step(fn, h, w, targets, a, b), device)
        h.grad = w.grad = None
        peak_fwd = extra_peak_gb(forward, device)
        result[name] = {
            "fwd_bwd_ms": round(fwd_bwd, 3),
            "fwd_ms": round(fwd, 3),
            "extra_peak_gb_fwd_bwd": round(peak_train, 3),
            "extra_peak_gb_fwd": round(peak_fwd, 3),
        }

    # The floor the fused path approaches: its forward GEMMs (backward adds three more of the same size).
    chunk = triton_logp.chunk_rows(n, v, h.element_size())
    with torch.no_grad():
        gemm = median_ms(lambda: [h[i : i + chunk] @ w.t() for i in range(0, n, chunk)], args.iters, args.warmup)

    h32, w32 = h.detach().float().requires_grad_(), w.detach().float().requires_grad_()
    fp32 = step(torch_path, h32, w32, targets, a, b)
    record = record_header("logp", device, " ".join(["python3", *sys.argv]), args.commit)
    record.update(
        tokens=n, hidden=d, vocab=v, dtype=args.dtype, iters=args.iters, chunk_rows=chunk,
        **result,
        lm_head_fwd_gemm_ms=round(gemm, 3),
        speedup_fwd_bwd=round(result["torch"]["fwd_bwd_ms"] / result["fused"]["fwd_bwd_ms"], 3),
        speedup_fwd=round(result["torch"]["fwd_ms"] / result["fused"]["fwd_ms"], 3),
        fused_vs_torch=compare(outputs["fused"], outputs["torch"]),
        torch_vs_fp32_weights=compare(outputs["torch"], fp32),
        fused_vs_fp32_weights=compare(outputs["fused"], fp32),
    )
    print(json.dumps(record, indent=2))
    if args.out:
        write_record(args.out, record)
    t, f = result["torch"], result["fused"]
    print(
        f"logp+entropy fwd+bwd, {n} tokens x vocab {v}: torch {t['fwd_bwd_ms']:.2f} ms "
        f"({t['extra_peak_gb_fwd_bwd']:.2f} GB), fused {f['fwd_bwd_ms']:.2f} ms ({f['extra_peak_gb_fwd_bwd']:.2f} GB); "
        f"forward GEMMs alone {gemm:.2f} ms",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
