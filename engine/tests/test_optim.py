"""The compact optimizer state is the same training as fp32 masters (issue 15's proof, on the CPU)."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from test_train import ADVANTAGES, RESPONSES, loss, make_batch, optimizer

from oneshot_engine.loading import load_model
from oneshot_engine.optim import CompactAdamW
from oneshot_engine.train import Trainer

STEPS = 50


def cumulative_update(family_dirs, state: str, plain: bool = False) -> torch.Tensor:
    """final - initial weights after STEPS steps at lr 1e-6 on the same rollouts, advantages drawn anew
    each step from one seed (so every state sees the same sequence of batches). The weights compared are
    what the state carries (Trainer.exact_weights): comparing only the bf16 roundings would count each
    weight whose two trajectories straddle a rounding boundary as a whole bf16 spacing apart (~1e-4,
    twice the update)."""
    model, _ = load_model(family_dirs["qwen2"], torch.bfloat16, torch.device("cpu"))
    before = torch.cat([p.detach().float().flatten() for p in model.parameters()])
    opt = optimizer(lr=1e-6, optimizer_state=state)
    trainer = Trainer(model, opt, None)
    if plain:  # bf16 AdamW without compensation: torch's own, on the bf16 weights
        trainer.optimizer = torch.optim.AdamW(
            trainer.params, lr=opt.lr, betas=opt.adam_betas, eps=opt.adam_eps, weight_decay=opt.weight_decay
        )
    gen = torch.Generator().manual_seed(0)
    batch = make_batch()
    for _ in range(STEPS):
        adv = (torch.randn(len(ADVANTAGES), generator=gen)).tolist()
        trainer.step(batch, loss(advantages=adv, micro_batch_size=3))  # two micro-batches: bf16 accumulation
    return torch.cat([w.flatten() for w in trainer.exact_weights()]) - before


def test_compact_state_follows_fp32_masters_and_plain_bf16_does_not(family_dirs):
    reference = cumulative_update(family_dirs, "fp32")
    assert reference.norm() > 0

    def rel(update: torch.Tensor) -> float:
        return float((update - reference).norm() / reference.norm())

    compact, plain = rel(cumulative_update(family_dirs, "compact")), rel(cumulative_update(family_dirs, "compact", True))
    print(f"relative L2 to fp32 masters after {STEPS} steps: compact {compact:.4f}, plain bf16 {plain:.4f}")
    assert compact < 0.05
    assert plain > 0.05  # the check can fail: without compensation most 1e-6 updates round away


def test_compact_state_keeps_gradients_in_the_weights_dtype(family_dirs):
    model, _ = load_model(family_dirs["qwen2"], torch.bfloat16, torch.device("cpu"))
    trainer = Trainer(model, optimizer(optimizer_state="compact"), None)
    assert isinstance(trainer.optimizer, CompactAdamW) and trainer.master is trainer.params
    seen = []
    for p in trainer.params:
        p.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.dtype))
    trainer.step(make_batch(), loss(micro_batch_size=2))
    assert set(seen) == {torch.bfloat16}
    n = sum(p.numel() for p in trainer.params)
    # compensation + two moments, 2 bytes each, and a step counter per tensor
    assert trainer.state_gb() * 1024**3 == pytest.approx(6 * n, rel=1e-3)


def test_an_fp32_model_gets_plain_fp32_adamw_for_either_state(family_dirs):
    model, _ = load_model(family_dirs["qwen2"], torch.float32, torch.device("cpu"))
    trainer = Trainer(model, optimizer(optimizer_state="compact"), None)
    assert trainer.optimizer_state == "fp32" and isinstance(trainer.optimizer, torch.optim.AdamW)


def test_compact_clips_by_the_global_norm_as_fp32_does(family_dirs):
    norms = {}
    for state in ("fp32", "compact"):
        model, _ = load_model(family_dirs["qwen2"], torch.bfloat16, torch.device("cpu"))
        trainer = Trainer(model, optimizer(lr=1e-3, grad_clip=1e-3, optimizer_state=state), None)
        norms[state] = trainer.step(make_batch(), dataclasses.replace(loss(), micro_batch_size=len(RESPONSES)))["grad_norm"]
        assert all(p.grad is None for p in trainer.params)
    assert norms["compact"] == pytest.approx(norms["fp32"], rel=1e-2)
