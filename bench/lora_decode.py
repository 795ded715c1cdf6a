"""The decode step with LoRA adapters against without (issue 19's goal: at most 1.15x at batch 256).

Two copies of a random-init model of --shape (bf16), one DecodeRunner each at --batch rows: the
captured decode step (CUDA graph on a GPU; the eager step elsewhere) run --reps steps at a time from
each cache column in --cols, the two runners taking turns, median of --trials. The LoRA copy
attaches rank --lora-rank adapters (alpha 2 r) to --targets with random non-zero B's (a fresh B is
zero; the cost is the same either way) and decodes through lora.DecodeAdapters. Where the runner
adds gate|up's B term inside the SiLU-gate kernel (triton_lora.py, with Triton's attention), a third
copy decodes with that kernel off (an addmm_ instead) for comparison. Sampling at temperature 1, as
rollouts do. The record holds ms per step of each variant per column and their ratio to the step
without LoRA, and on CUDA each variant's kernels per step by kind at the middle column (where the
time goes).

    python3 bench/lora_decode.py --out bench/results/lora-decode-<date>.json
    python3 bench/lora_decode.py --shape tiny --device cpu --dtype float32 --batch 8 --cols 100 --out /tmp/l.json
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import torch
from common import (
    SHAPES,
    kernel_kind,
    model_arguments,
    record_header,
    sync,
    write_record,
)
from oneshot_engine import lora
from oneshot_engine.decode import LEN_BUCKET, DecodeRunner, Sampler
from oneshot_engine.loading import build_model
from oneshot_engine.model import Transformer
from oneshot_engine.options import EngineOptions
from oneshot_engine.protocol import LoraParams


def steps(runner: DecodeRunner, batch: int, col: int, reps: int) -> float:
    """Runs `reps` consecutive decode steps from column `col`; returns ms per step."""
    sampler = Sampler(greedy=False, top_k=0, top_p=1.0)
    length = runner.length_bucket(col + reps + 1)  # the graph the engine's decode would replay
    runner.col.fill_(col)
    sync(runner.device)
    t0 = time.perf_counter()
    for _ in range(reps):
        runner.run_step(batch, length, sampler, None)
    sync(runner.device)
    return (time.perf_counter() - t0) * 1e3 / reps


def kernels_by_kind(runner: DecodeRunner, batch: int, col: int, reps: int) -> dict[str, Any]:
    """GPU time and kernel count per decode step, by kernel kind (common.kernel_kind)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        steps(runner, batch, col, reps)
    kinds: dict[str, list[float]] = {}
    for e in prof.key_averages():
        if e.device_time_total > 0:
            k = kinds.setdefault(kernel_kind(e.key), [0.0, 0.0])
            k[0] += e.device_time_total / 1e3 / reps
            k[1] += e.count / reps
    return {
        "kernels_per_step": round(sum(k[1] for k in kinds.values()), 1),
        "by_kind_ms": {name: round(k[0], 3) for name, k in sorted(kinds.items(), key=lambda kv: -kv[1][0])},
        "by_kind_count": {name: round(k[1], 1) for name, k in kinds.items()},
    }


def compare(runners: dict[str, DecodeRunner], args: argparse.Namespace) -> dict[str, dict[int, float]]:
    """ms per step of each runner at each column: median of the trials, the runners taking turns in
    each trial (clock or thermal drift then hits both alike), after a first run that captures graphs."""
    cols = [int(c) for c in args.cols.split(",")]
    times: dict[str, dict[int, list[float]]] = {name: {c: [] for c in cols} for name in runners}
    for col in cols:
        for _ in range(args.trials + 1):
            for name, runner in runners.items():
                times[name][col].append(steps(runner, args.batch, col, args.reps))
    return {name: {c: sorted(t[1:])[len(t[1:]) // 2] for c, t in by_col.items()} for name, by_col in times.items()}


def timing_arguments(ap: argparse.ArgumentParser, cols: str) -> None:
    """The options of compare(): the columns to time from, steps per run, runs per column; --commit."""
    ap.add_argument("--cols", default=cols, help="cache columns to time from (prompt + tokens so far)")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--commit", default=None)


def random_model(args: argparse.Namespace) -> Transformer:
    torch.manual_seed(0)
    model = build_model(dict(SHAPES[args.shape]), getattr(torch, args.dtype), torch.device(args.device))
    with torch.no_grad():
        model.init_weights()
    return model.requires_grad_(False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    model_arguments(ap)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lora-rank", type=int, default=32)
    ap.add_argument("--targets", default=",".join(lora.TARGETS))
    timing_arguments(ap, "192,640,1088")
    args = ap.parse_args()

    device = torch.device(args.device)
    options = EngineOptions.from_env()
    options.apply_torch_settings()
    # Two copies of the same random model, one with adapters, each with its own runner.
    base_model, lora_model = random_model(args), random_model(args)
    spec = LoraParams(rank=args.lora_rank, alpha=2.0 * args.lora_rank, targets=args.targets.split(","), dropout=0.0)
    trainable = lora.attach(lora_model, spec)
    with torch.no_grad():
        for m in lora.lora_layers(lora_model).values():
            m.lora_B.normal_(std=0.01)
    cols = [int(c) for c in args.cols.split(",")]
    max_len = max(cols) + args.reps + LEN_BUCKET
    runners = {name: DecodeRunner(m, args.batch, max_len, options=options) for name, m in (("base", base_model), ("lora", lora_model))}
    assert runners["base"].adapters is None and runners["lora"].adapters is not None
    if runners["lora"].lora_kernels:
        addmm_model = random_model(args)
        lora.attach(addmm_model, spec)
        addmm_model.load_state_dict(lora_model.state_dict())
        runners["lora_addmm"] = DecodeRunner(addmm_model, args.batch, max_len, options=options, lora_kernels=False)
    timed_ms = compare(runners, args)
    base = timed_ms["base"]
    profiles = {}
    if device.type == "cuda":
        profiles = {name: kernels_by_kind(r, args.batch, cols[len(cols) // 2], args.reps) for name, r in runners.items()}

    rec: dict[str, Any] = record_header("lora_decode", device, "python3 " + " ".join(sys.argv), args.commit)
    rows = []
    for c in base:
        row = {"col": c, "base_ms": round(base[c], 3)}
        for name in ("lora", "lora_addmm"):
            if name in timed_ms:
                row[f"{name}_ms"] = round(timed_ms[name][c], 3)
                row["ratio" if name == "lora" else "addmm_ratio"] = round(timed_ms[name][c] / base[c], 3)
        rows.append(row)
    rec.update(
        shape=args.shape, dtype=args.dtype, batch=args.batch, lora_rank=args.lora_rank, targets=spec.targets,
        adapter_params=trainable, reps=args.reps, trials=args.trials, graphs=device.type == "cuda", steps=rows,
        lora_kernels=runners["lora"].lora_kernels,
        mean_ratio=round(sum(r["ratio"] for r in rows) / len(rows), 3),
        mean_addmm_ratio=round(sum(r["addmm_ratio"] for r in rows) / len(rows), 3) if "lora_addmm" in runners else None,
        base_profile=profiles.get("base"), lora_profile=profiles.get("lora"), lora_addmm_profile=profiles.get("lora_addmm"),
    )  # fmt: skip
    write_record(args.out, rec)
    print("| cache column | without LoRA ms/step | with LoRA ms/step | ratio | gate-up B by addmm_ ms/step | ratio |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['col']} | {r['base_ms']} | {r['lora_ms']} | {r['ratio']} | {r.get('lora_addmm_ms', '-')} | {r.get('addmm_ratio', '-')} |")
    print(f"mean ratio {rec['mean_ratio']} (goal <= 1.15; gate-up B by addmm_: {rec['mean_addmm_ratio']}), rank {args.lora_rank}, {trainable:,} adapter parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
