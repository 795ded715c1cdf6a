"""One train step unsharded vs FSDP2-sharded, same process, same batch (issue 20, item 7).

Run under torchrun: `--nproc-per-node 1` on one GPU measures what sharding costs where it saves
nothing (the goal: the sharded step within 10% of the unsharded one); more processes time the sharded
step alone (each rank its share of the rows). A random-init model of --shape in bf16, fp32 AdamW
state, lr 1e-6, the `local` preset's shape by default: 64 rows of a --prompt-len prompt and
--response-len response tokens, micro-batches of 2, gradient checkpointing on, token-mean, no KL.

Unsharded: train.Trainer on the bf16 model with fp32 masters (the single engine's path). Sharded:
sharded.sharded_trainer, as `load` builds it under torchrun (an fp32 FSDP2 copy computing in bf16,
the bf16 model kept whole for decoding and refreshed after each step, which the step time includes).
Each runs --warmup untimed steps (compilation) and --steps timed ones; reported: median step seconds,
peak memory, the ratio sharded / unsharded.

    python -m torch.distributed.run --standalone --nproc-per-node 1 bench/sharded_step.py \
        --out bench/results/sharded-step-<date>.json
    # where there is no GPU: 2 CPU processes on gloo
    python -m torch.distributed.run --standalone --nproc-per-node 2 bench/sharded_step.py \
        --shape tiny --rows 8 --prompt-len 8 --response-len 16 --steps 2 --warmup 1 --out /tmp/s.json
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import torch
from common import SHAPES, record_header, sync, write_record
from oneshot_engine.distributed import Dist, World
from oneshot_engine.options import EngineOptions
from oneshot_engine.protocol import TrainStepParams
from oneshot_engine.runtime import ModelRuntime
from oneshot_engine.sharded import Placement, sharded_trainer
from oneshot_engine.train import Trainer
from optimizer_state import OPT, random_batch, random_model


def run(args: argparse.Namespace, sharded: Dist | None, device: torch.device) -> dict[str, Any]:
    """Times the trainer on this rank's rows (all of them unsharded)."""
    model = random_model(args.shape, device)
    model.gradient_checkpointing = args.gradient_checkpointing
    options = EngineOptions.from_env()
    options.apply_torch_settings()
    runtime = ModelRuntime(model, options)
    batch = random_batch(model.cfg.vocab_size, args.rows, args.prompt_len, args.response_len, device)
    placement = None
    if sharded is not None:
        trainer = sharded_trainer(model, runtime, OPT, None, sharded)
        mine = list(range(sharded.rank, args.rows, sharded.size))
        placement = Placement(mine, args.rows)
        batch.tokens, batch.pad_left, batch.resp_len = batch.tokens[mine], batch.pad_left[mine], batch.resp_len[mine]
        batch.prompt_index = [0] * len(mine)
    else:
        trainer = Trainer(model, OPT, None, runtime)
    gen = torch.Generator().manual_seed(0)
    times, peak = [], 0.0
    for i in range(args.warmup + args.steps):
        adv = torch.randn(args.rows, generator=gen).tolist()
        lp = TrainStepParams("", adv, 0.2, 0.2, 0.0, "low_var_kl", 0.0, "token-mean", 1, args.micro_batch_size)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        sync(device)
        t0 = time.perf_counter()
        result = trainer.step(batch, lp, placement=placement)
        sync(device)
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
        peak = max(peak, result["peak_mem_gb"])
    if args.profile:
        one_more = functools.partial(trainer.step, batch, lp, placement=placement)
        profile(args.profile, "sharded" if sharded is not None else "unsharded", device, one_more)
    figures = {
        "step_s_median": round(statistics.median(times), 3),
        "step_s": [round(t, 3) for t in times],
        "peak_mem_gb": round(peak, 2),
        "grad_norm_last": round(result["grad_norm"], 5),
        "checkpointed_layers": trainer.model.checkpoint_layers,
    }
    del trainer, model, runtime, batch
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return figures


def profile(prefix: str, name: str, device: torch.device, step: Callable[[], object]) -> None:
    """One more step under torch.profiler: its ops by device time, and the FSDP and optimizer ranges,
    into PREFIX-NAME.txt (what a ratio over the goal is spent on)."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with torch_profile(activities=activities) as prof:
        step()
        sync(device)
    sort = "cuda_time_total" if device.type == "cuda" else "cpu_time_total"
    table = prof.key_averages().table(sort_by=sort, row_limit=40, max_name_column_width=80)
    with open(f"{prefix}-{name}.txt", "w") as f:
        f.write(table)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--shape", default="qwen2.5-1.5b", choices=sorted(SHAPES))
    ap.add_argument("--rows", type=int, default=64)
    ap.add_argument("--prompt-len", type=int, default=128)
    ap.add_argument("--response-len", type=int, default=2048)
    ap.add_argument("--micro-batch-size", type=int, default=2)
    ap.add_argument("--no-gradient-checkpointing", dest="gradient_checkpointing", action="store_false")
    ap.add_argument("--sharded-only", action="store_true", help="skip the unsharded trainer (one process)")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--commit", default=None)
    ap.add_argument("--profile", default=None, metavar="PREFIX", help="profile one more step of each trainer into PREFIX-<trainer>.txt")
    args = ap.parse_args()
    world = World.from_env(os.environ)
    if world is None:
        sys.exit("run it under torchrun: python -m torch.distributed.run --standalone --nproc-per-node 1 bench/sharded_step.py …")
    d = Dist(world)
    device = d.device
    rec: dict[str, Any] = record_header("sharded_step", device, "python3 " + " ".join(sys.argv), args.commit)
    rec["settings"] = {k: v for k, v in vars(args).items() if k not in ("out", "commit", "profile")} | {"world_size": d.size}
    if d.size == 1 and not args.sharded_only:
        rec["unsharded"] = run(args, None, device)
        print("unsharded", rec["unsharded"], flush=True)
    rec["sharded"] = run(args, d, device)
    print(f"sharded (rank {d.rank})", rec["sharded"], flush=True)
    if "unsharded" in rec:
        ratio = rec["sharded"]["step_s_median"] / rec["unsharded"]["step_s_median"]
        rec["sharded_over_unsharded"] = round(ratio, 3)
        rec["within_10_percent"] = ratio <= 1.10
        print("sharded / unsharded:", rec["sharded_over_unsharded"], flush=True)
    if d.leader:
        write_record(args.out, rec)
    d.close()


if __name__ == "__main__":
    main()
