"""The compact optimizer state is the same training as fp32 masters, on the GPU (issue 15, item 2).

A random-init model of the given shape in bf16 trains --steps steps at lr 1e-6 from the same rollouts
(one random batch; advantages drawn anew each step from one seed) three times: fp32 master weights
(the reference), the compact state (optim.CompactAdamW), and plain bf16 AdamW (torch's, on the bf16
weights, no compensation). Reported per state: the relative L2 distance of its cumulative update
(final − initial weights as the state carries them, Trainer.exact_weights) from fp32's, the optimizer
state's size in GB, the peak memory of a step and the optimizer update's time per step. Compact must
stay within 5%; plain bf16 is expected far outside (the check can fail).

    python3 bench/optimizer_state.py --out bench/results/optimizer-state-<date>.json
    python3 bench/optimizer_state.py --shape tiny --device cpu --steps 5 --out /tmp/o.json
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
import time
from typing import Any

import torch
from common import SHAPES, record_header, time_optimizer_steps, write_record
from oneshot_engine.generate import RolloutBatch
from oneshot_engine.loading import build_model
from oneshot_engine.model import Transformer
from oneshot_engine.options import EngineOptions
from oneshot_engine.protocol import OptimizerParams, TrainStepParams
from oneshot_engine.runtime import ModelRuntime
from oneshot_engine.train import Trainer

OPT = OptimizerParams(lr=1e-6, weight_decay=0.01, adam_betas=(0.9, 0.999), adam_eps=1e-8, grad_clip=1.0, optimizer_state="fp32")


def random_model(shape: str, device: torch.device) -> Transformer:
    torch.manual_seed(0)
    model = build_model(dict(SHAPES[shape]), torch.bfloat16, device)
    with torch.no_grad():
        model.init_weights()
    return model.requires_grad_(True)


def random_batch(vocab: int, rows: int, prompt: int, response: int, device: torch.device) -> RolloutBatch:
    gen = torch.Generator().manual_seed(1)
    tokens = torch.randint(3, vocab, (rows, prompt + response), generator=gen)
    return RolloutBatch(
        tokens=tokens.to(device),
        prompt_len=prompt,
        pad_left=torch.zeros(rows, dtype=torch.long, device=device),
        resp_len=torch.full((rows,), response, dtype=torch.long, device=device),
        prompt_index=[0] * rows,
    )


def train(args: argparse.Namespace, state: str, device: torch.device) -> tuple[list[torch.Tensor], dict[str, Any]]:
    """Trains one state; returns its cumulative update per tensor (fp32) and its figures."""
    model = random_model(args.shape, device)
    initial = [p.detach().clone() for p in model.parameters()]
    options = dataclasses.replace(EngineOptions(), compile=False, compile_train=False)
    trainer = Trainer(model, dataclasses.replace(OPT, optimizer_state="fp32" if state == "fp32" else "compact"), None, ModelRuntime(model, options))
    if state == "plain":
        trainer.optimizer = torch.optim.AdamW(trainer.params, lr=OPT.lr, betas=OPT.adam_betas, eps=OPT.adam_eps, weight_decay=OPT.weight_decay)
    update_s = time_optimizer_steps(trainer, device)
    batch = random_batch(model.cfg.vocab_size, args.rows, args.prompt_len, args.response_len, device)
    gen = torch.Generator().manual_seed(0)
    peak = 0.0
    t0 = time.perf_counter()
    for _ in range(args.steps):
        adv = torch.randn(args.rows, generator=gen).tolist()
        lp = TrainStepParams("", adv, 0.2, 0.2, 0.0, "low_var_kl", 0.0, "token-mean", 1, args.micro_batch_size)
        peak = max(peak, trainer.step(batch, lp)["peak_mem_gb"])
    wall = time.perf_counter() - t0
    if state == "plain":
        state_gb = sum(t.numel() * t.element_size() for s in trainer.optimizer.state.values() for t in s.values() if t.dim()) / 1024**3
    else:
        state_gb = trainer.state_gb()
    update = [(w - i.float()) for w, i in zip(trainer.exact_weights(), initial, strict=True)]
    figures = {
        "optimizer_state_gb": round(state_gb, 3),
        "bytes_per_param": round(state_gb * 1024**3 / sum(p.numel() for p in trainer.params), 2),
        "update_s_per_step": round(update_s[0] / args.steps, 4),
        "step_s": round(wall / args.steps, 4),
        "peak_mem_gb": round(peak, 2),
    }
    return update, figures


def relative_l2(update: list[torch.Tensor], reference: list[torch.Tensor]) -> float:
    diff = sum(float((u - r).square().sum()) for u, r in zip(update, reference, strict=True))
    norm = sum(float(r.square().sum()) for r in reference)
    return (diff / norm) ** 0.5


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--shape", default="qwen2.5-1.5b", choices=sorted(SHAPES))
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--rows", type=int, default=8)
    ap.add_argument("--prompt-len", type=int, default=64)
    ap.add_argument("--response-len", type=int, default=192)
    ap.add_argument("--micro-batch-size", type=int, default=4)
    ap.add_argument("--commit", default=None)
    args = ap.parse_args()
    device = torch.device(args.device)
    rec: dict[str, Any] = record_header("optimizer_state", device, "python3 " + " ".join(sys.argv), args.commit)
    rec["settings"] = {k: v for k, v in vars(args).items() if k not in ("out", "commit")} | {"lr": OPT.lr, "dtype": "bfloat16"}
    reference, rec["fp32"] = train(args, "fp32", device)
    if device.type == "cuda":
        reference = [r.cpu() for r in reference]  # room for the next state's run
    for state in ("compact", "plain"):
        gc.collect()
        if device.type == "cuda":
            torch.cuda.empty_cache()
        update, rec[state] = train(args, state, device)
        rec[state]["relative_l2_to_fp32"] = round(relative_l2([u.cpu() for u in update], reference), 5)
        del update
        print(state, rec[state], flush=True)
    rec["compact_within_5_percent"] = rec["compact"]["relative_l2_to_fp32"] < 0.05
    rec["plain_bf16_fails_the_check"] = rec["plain"]["relative_l2_to_fp32"] >= 0.05
    print("fp32", rec["fp32"])
    write_record(args.out, rec)


if __name__ == "__main__":
    main()
