"""The decode step with LoRA adapters against without (issue 19's goal: at most 1.15x at batch 256).

A random-init model of --shape (bf16), one DecodeRunner per variant at --batch rows: the captured
decode step (CUDA graph on a GPU; the eager step elsewhere) replayed --reps steps at a time from a
cache column in the middle of each attention-length bucket in --cols, median of --trials. The LoRA
variant attaches rank --lora-rank adapters (alpha 2 r) to --targets with random non-zero B's (a fresh
B is zero; the cost is the same either way) and decodes through lora.DecodeAdapters. Sampling at
temperature 1, as rollouts do. The record holds ms per step of both variants per column and their ratio.

    python3 bench/lora_decode.py --out bench/results/lora-decode-<date>.json
    python3 bench/lora_decode.py --shape tiny --device cpu --dtype float32 --batch 8 --cols 100 --out /tmp/l.json
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import torch
from common import SHAPES, model_arguments, record_header, sync, write_record
from oneshot_engine import lora
from oneshot_engine.decode import LEN_BUCKET, DecodeRunner, Sampler
from oneshot_engine.loading import build_model
from oneshot_engine.model import Transformer
from oneshot_engine.options import EngineOptions
from oneshot_engine.protocol import LoraParams


def step_ms(runner: DecodeRunner, batch: int, col: int, reps: int, trials: int) -> float:
    """Median ms per decode step over `trials` runs of `reps` consecutive steps from column `col`."""
    sampler = Sampler(greedy=False, top_k=0, top_p=1.0)
    length = -(-(col + reps + 1) // LEN_BUCKET) * LEN_BUCKET

    def run() -> float:
        runner.col.fill_(col)
        sync(runner.device)
        t0 = time.perf_counter()
        for _ in range(reps):
            runner.run_step(batch, length, sampler, None)
        sync(runner.device)
        return (time.perf_counter() - t0) * 1e3 / reps

    run()  # captures the graph (and compiles the helpers) on the first call
    return sorted(run() for _ in range(trials))[trials // 2]


def time_variant(model: Transformer, args: argparse.Namespace, options: EngineOptions) -> dict[int, float]:
    cols = [int(c) for c in args.cols.split(",")]
    runner = DecodeRunner(model, args.batch, max(cols) + args.reps + LEN_BUCKET, options=options)
    out = {col: step_ms(runner, args.batch, col, args.reps, args.trials) for col in cols}
    del runner
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    model_arguments(ap)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lora-rank", type=int, default=32)
    ap.add_argument("--targets", default=",".join(lora.TARGETS))
    ap.add_argument("--cols", default="192,640,1088", help="cache columns to time from (prompt + tokens so far)")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--commit", default=None)
    args = ap.parse_args()

    device, dtype = torch.device(args.device), getattr(torch, args.dtype)
    options = EngineOptions.from_env()
    options.apply_torch_settings()
    torch.manual_seed(0)
    model = build_model(dict(SHAPES[args.shape]), dtype, device)
    with torch.no_grad():
        model.init_weights()
    model.requires_grad_(False)
    base = time_variant(model, args, options)
    spec = LoraParams(rank=args.lora_rank, alpha=2.0 * args.lora_rank, targets=args.targets.split(","), dropout=0.0)
    trainable = lora.attach(model, spec)
    with torch.no_grad():
        for m in lora.lora_layers(model).values():
            m.lora_B.normal_(std=0.01)
    adapted = time_variant(model, args, options)

    rec: dict[str, Any] = record_header("lora_decode", device, "python3 " + " ".join(sys.argv), args.commit)
    rows = [
        {"col": c, "base_ms": round(base[c], 3), "lora_ms": round(adapted[c], 3), "ratio": round(adapted[c] / base[c], 3)}
        for c in base
    ]
    rec.update(
        shape=args.shape, dtype=args.dtype, batch=args.batch, lora_rank=args.lora_rank, targets=spec.targets,
        adapter_params=trainable, reps=args.reps, trials=args.trials, graphs=device.type == "cuda", steps=rows,
        mean_ratio=round(sum(r["ratio"] for r in rows) / len(rows), 3),
    )  # fmt: skip
    write_record(args.out, rec)
    print("| cache column | without LoRA ms/step | with LoRA ms/step | ratio |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['col']} | {r['base_ms']} | {r['lora_ms']} | {r['ratio']} |")
    print(f"mean ratio {rec['mean_ratio']} (goal <= 1.15), rank {args.lora_rank}, {trainable:,} adapter parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
