"""Rollout throughput: our decode (static cache, CUDA graphs) vs Hugging Face generate, same process,
same GPU, same random weights.

A shared prompt of --prompt-len tokens, --new-tokens sampled per row at temperature 1 (fixed length:
no EOS), for each batch in --batches. HF runs warm with SDPA and no mask passed by us. Roofline per
decode step = max((weight bytes + KV bytes read) / copy bandwidth, FLOPs / bf16 matmul rate), both
measured in this run; the run's roofline is the sum over its steps (prefill counted as FLOPs only).

    python3 bench/rollout.py --out bench/results/rollout-<date>.json
    python3 bench/rollout.py --shape tiny --device cpu --dtype float32 --batches 4 --new-tokens 32 --out /tmp/r.json
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import Any

import torch
from common import (
    BenchTokenizer,
    kernel_kind,
    matmul_params,
    measure_ceilings,
    record_header,
    timed,
    twin_models,
    weight_bytes,
    write_record,
)
from oneshot_engine.generate import SamplingParams, generate
from oneshot_engine.model import Transformer
from oneshot_engine.options import EngineOptions
from oneshot_engine.runtime import ModelRuntime


def roofline_s(model: Transformer, batch: int, plen: int, new: int, ceil: dict[str, float]) -> float:
    cfg = model.cfg
    w_bytes = weight_bytes(model)
    kv_per_token = 2 * cfg.num_layers * cfg.num_kv_heads * cfg.head_dim * next(model.parameters()).element_size()
    flops_tok = 2 * matmul_params(model)
    attn_per_key = 4 * cfg.num_layers * cfg.num_heads * cfg.head_dim  # q·k and p·v per (query, key)
    total = batch * plen * flops_tok / ceil["bf16_flops_per_s"]  # one shared prefill per row (upper bound)
    for s in range(new - 1):
        keys = plen + s + 1
        bytes_ = w_bytes + batch * keys * kv_per_token
        flops = batch * (flops_tok + keys * attn_per_key)
        total += max(bytes_ / ceil["copy_bytes_per_s"], flops / ceil["bf16_flops_per_s"])
    return total


def run_ours(runtime: ModelRuntime, prompt: list[int], batch: int, new: int, seed: int) -> tuple[Any, float]:
    sp = SamplingParams(rollouts=batch, temperature=1.0, max_response_tokens=new, seed=seed, ignore_eos=True)
    model = runtime.model
    device = next(model.parameters()).device
    run = lambda: generate(model, BenchTokenizer(), [prompt], sp, fast=True, runtime=runtime)  # type: ignore[arg-type]
    (_, rb, _), secs = timed(run, device)
    assert int(rb.resp_len.min()) == new
    return rb, secs


def run_hf(hf: Any, prompt: list[int], batch: int, new: int) -> float:
    device = hf.device
    ids = torch.tensor([prompt] * batch, device=device)
    out, secs = timed(
        lambda: hf.generate(
            ids, do_sample=True, temperature=1.0, top_k=0, top_p=1.0, max_new_tokens=new, min_new_tokens=new
        ),
        device,
    )
    assert out.shape[1] == len(prompt) + new
    return secs


def profile_decode(runtime: ModelRuntime, prompt: list[int], batch: int, new: int) -> dict[str, Any]:
    """Where a decode step's time goes: graph replay time per step against the sum of its kernels' time,
    and the kernels grouped by kind, at the middle attention length."""
    from oneshot_engine.decode import Sampler
    from torch.profiler import ProfilerActivity, profile

    run_ours(runtime, prompt, batch, new, seed=9)  # leaves the runner and its graphs in place
    runner = runtime.decoder
    assert runner is not None
    sampler = Sampler(greedy=False, top_k=0, top_p=1.0)
    col = len(prompt) + new // 2
    length = -(-(col + 1) // 128) * 128
    reps = 20

    def replay() -> None:
        runner.col.fill_(col)
        for _ in range(reps):
            runner.run_step(batch, length, sampler, None)

    replay()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    replay()
    end.record()
    end.synchronize()
    step_ms = start.elapsed_time(end) / reps
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        replay()
        torch.cuda.synchronize()
    groups: dict[str, list[float]] = {}
    kernels = []
    for e in prof.key_averages():
        if e.device_time_total <= 0:
            continue
        kind = kernel_kind(e.key)
        g = groups.setdefault(kind, [0.0, 0.0])
        g[0] += e.device_time_total / 1e3 / reps
        g[1] += e.count / reps
        kernels.append((e.device_time_total / 1e3 / reps, e.count / reps, e.key[:80]))
    kernels.sort(reverse=True)
    total = sum(g[0] for g in groups.values())
    return {
        "at_keys": length,
        "graph_ms_per_step": round(step_ms, 3),
        "kernel_ms_per_step": round(total, 3),
        "kernels_per_step": round(sum(g[1] for g in groups.values()), 1),
        "by_kind_ms": {k: round(v[0], 3) for k, v in sorted(groups.items(), key=lambda kv: -kv[1][0])},
        "top_kernels": [{"ms": round(t, 3), "per_step": round(c, 1), "name": n} for t, c, n in kernels[:12]],
    }


def greedy_agreement(model: Transformer, hf: Any, prompt: list[int], new: int) -> dict[str, float]:
    """Fraction of equal greedy tokens: ours (fast) vs HF, and ours fast vs ours eager."""
    sp = SamplingParams(rollouts=2, temperature=0.0, max_response_tokens=new, ignore_eos=True)
    fast = generate(model, BenchTokenizer(), [prompt], sp, fast=True)[1].tokens[:, len(prompt) :]  # type: ignore[arg-type]
    eager = generate(model, BenchTokenizer(), [prompt], sp, fast=False)[1].tokens[:, len(prompt) :]  # type: ignore[arg-type]
    ids = torch.tensor([prompt] * 2, device=hf.device)
    ref = hf.generate(ids, do_sample=False, max_new_tokens=new, min_new_tokens=new)[:, len(prompt) :]

    def prefix(a: torch.Tensor, b: torch.Tensor) -> float:
        # Tokens before the first disagreement: after one near-tie flip the continuations differ anyway.
        eq = (a == b).all(0).long()
        return float(eq.cumprod(0).sum()) / a.shape[1]

    return {"fast_vs_hf_prefix": prefix(fast, ref), "fast_vs_eager_prefix": prefix(fast, eager)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="results file; one per batch size gets -b<batch> added")
    ap.add_argument("--shape", default="qwen2.5-1.5b", choices=["qwen2.5-1.5b", "tiny"])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--batches", default="64,256")
    ap.add_argument("--prompt-len", type=int, default=128)
    ap.add_argument("--new-tokens", type=int, default=1024)
    ap.add_argument("--attn", default="triton", help="decode attention variants to time, comma-separated: triton,sdpa,bmm")
    ap.add_argument("--skip-hf", action="store_true")
    ap.add_argument("--hf-warmup", choices=["full", "first", "short"], default="full")
    ap.add_argument("--profile", action="store_true", help="kernel breakdown of one decode step (CUDA)")
    ap.add_argument("--commit", default=None)
    args = ap.parse_args()

    device, dtype = torch.device(args.device), getattr(torch, args.dtype)
    command = "python3 " + " ".join(sys.argv)
    model, hf = twin_models(args.shape, dtype, device)
    model.requires_grad_(False)
    ceil = measure_ceilings(device)
    print(f"ceilings: copy {ceil['copy_bytes_per_s'] / 1e12:.2f} TB/s, bf16 {ceil['bf16_flops_per_s'] / 1e12:.0f} TFLOP/s")
    gen = torch.Generator().manual_seed(0)
    prompt = torch.randint(1, model.cfg.vocab_size, (args.prompt_len,), generator=gen).tolist()
    agreement = greedy_agreement(model, hf, prompt, 64)
    print(f"greedy agreement: {agreement}")
    options = EngineOptions.from_env()
    options.apply_torch_settings()
    runtime = ModelRuntime(model, options)
    rows = []
    for batch in [int(b) for b in args.batches.split(",")]:
        rec: dict[str, Any] = record_header("rollout", device, command, args.commit)
        rec.update(
            shape=args.shape, dtype=args.dtype, batch=batch, prompt_len=args.prompt_len, new_tokens=args.new_tokens,
            ceilings=ceil, greedy_agreement=agreement,
        )
        tokens = batch * args.new_tokens
        variants: dict[str, Any] = {}
        for attn in args.attn.split(","):
            runtime.release_decoder()
            runtime = ModelRuntime(model, dataclasses.replace(options, decode_attention=attn))
            try:
                _, cold = run_ours(runtime, prompt, batch, args.new_tokens, seed=1)
            except Exception as e:  # noqa: BLE001 - a failing variant is recorded, the others still run
                variants[attn] = {"error": f"{type(e).__name__}: {e}"}
                print(f"batch {batch} ours[{attn}] failed: {e}", flush=True)
                continue
            runner = runtime.decoder
            assert runner is not None
            warm = [run_ours(runtime, prompt, batch, args.new_tokens, seed=2 + i)[1] for i in range(2)]
            variants[attn] = {
                "cold_s": round(cold, 3),
                "warm_s": [round(w, 3) for w in warm],
                "graphs": len(runner.graphs),
                "capture_s": round(runner.capture_s, 2),
                "compiled_helpers": runner.k_.compiled,
            }
            print(f"batch {batch} ours[{attn}]: cold {cold:.2f}s warm {min(warm):.2f}s", flush=True)
        ok = [a for a in variants if "warm_s" in variants[a]]
        best = min(ok, key=lambda a: min(variants[a]["warm_s"]))
        ours_s = min(variants[best]["warm_s"])
        roof = roofline_s(model, batch, args.prompt_len, args.new_tokens, ceil)
        rec.update(
            ours_variants=variants,
            ours_attention=best,
            ours_s=round(ours_s, 3),
            ours_tokens_per_s=round(tokens / ours_s, 1),
            ours_ms_per_step=round(1e3 * ours_s / args.new_tokens, 3),
            roofline_s=round(roof, 3),
            roofline_fraction=round(roof / ours_s, 4),
        )
        if args.profile and device.type == "cuda":
            rec["ours_profile"] = profile_decode(runtime, prompt, batch, args.new_tokens)
        runtime.release_decoder()
        if not args.skip_hf:
            # Warm means a first run of the same length: HF's growing cache allocates new block sizes
            # all through its first long run (measured here: 61 ms/step on a first run, 24 the next).
            # "first": only the first batch warms at full length; its cached blocks serve smaller batches.
            full = args.hf_warmup == "full" or (args.hf_warmup == "first" and not rows)
            warm_tokens = args.new_tokens if full else 8
            warmup = run_hf(hf, prompt, batch, warm_tokens)
            hf_s = run_hf(hf, prompt, batch, args.new_tokens)
            rec["hf_warmup"] = {"new_tokens": warm_tokens, "s": round(warmup, 3), "mode": args.hf_warmup}
            rec.update(
                hf_s=round(hf_s, 3),
                hf_tokens_per_s=round(tokens / hf_s, 1),
                hf_ms_per_step=round(1e3 * hf_s / args.new_tokens, 3),
                hf_roofline_fraction=round(roof / hf_s, 4),
                speedup_vs_hf=round(hf_s / ours_s, 2),
            )
        if device.type == "cuda":
            rec["peak_mem_gb"] = round(torch.cuda.max_memory_allocated(device) / 1024**3, 2)
        root, ext = os.path.splitext(args.out)
        write_record(f"{root}-b{batch}{ext or '.json'}", rec)
        rows.append(rec)
    print("\n| batch | HF tok/s | ours tok/s | speedup | HF ms/step | ours ms/step | roofline ms/step | % roofline |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['batch']} | {r.get('hf_tokens_per_s', '-')} | {r['ours_tokens_per_s']} | {r.get('speedup_vs_hf', '-')} "
            f"| {r.get('hf_ms_per_step', '-')} | {r['ours_ms_per_step']} | {1e3 * r['roofline_s'] / r['new_tokens']:.3f} "
            f"| {100 * r['roofline_fraction']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
