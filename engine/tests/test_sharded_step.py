"""The sharded (FSDP2) train step of one process: collectives per step, and the same update as the
unsharded trainer's (issue 20, item 7: its step time within 10% of the unsharded one)."""

from __future__ import annotations

import copy
import socket
from collections import Counter
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from torch.distributed.fsdp import FSDPModule
from torch.distributed.fsdp._fully_shard import _fsdp_param_group as fsdp_param_group
from torch.distributed.fsdp._fully_shard._fsdp_param_group import FSDPParamGroup

from oneshot_engine.distributed import Dist, World
from oneshot_engine.generate import RolloutBatch
from oneshot_engine.loading import load_model
from oneshot_engine.protocol import OptimizerParams, TrainStepParams
from oneshot_engine.runtime import ModelRuntime
from oneshot_engine.sharded import Placement, sharded_trainer
from oneshot_engine.train import Trainer

pytestmark = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()),
    reason="torch.distributed with gloo is unavailable",
)

ROWS, PROMPT, RESPONSE, MICRO = 8, 6, 10, 2  # 4 micro-batches
OPT = OptimizerParams(1e-3, 0.01, (0.9, 0.999), 1e-8, 1.0, "fp32")
# FSDP2's per-unit steps (private names: a torch upgrade that moves them fails here first). One
# process runs no collective, but a gather still casts the fp32 shards to bf16 weights and a reduction
# casts and copies the gradients into the shards' accumulated ones.


@pytest.fixture
def one_rank(monkeypatch: pytest.MonkeyPatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(port))
    for name, value in (("RANK", "0"), ("WORLD_SIZE", "1"), ("LOCAL_RANK", "0")):
        monkeypatch.setenv(name, value)
    d = Dist(World(0, 1, 0))
    yield d
    d.close()


def batch() -> RolloutBatch:
    gen = torch.Generator().manual_seed(3)
    return RolloutBatch(
        tokens=torch.randint(3, 200, (ROWS, PROMPT + RESPONSE), generator=gen),
        prompt_len=PROMPT,
        pad_left=torch.zeros(ROWS, dtype=torch.long),
        resp_len=torch.tensor([RESPONSE, 4, 7, RESPONSE, 1, 9, RESPONSE, 2]),
        prompt_index=[0] * ROWS,
    )


def params(seed: int) -> TrainStepParams:
    adv = torch.randn(ROWS, generator=torch.Generator().manual_seed(seed)).tolist()
    return TrainStepParams("", adv, 0.2, 0.2, 0.0, "low_var_kl", 0.0, "token-mean", 1, MICRO)


def counting(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the units' gathers (sharded -> whole weights) and gradient reductions."""
    calls: Counter[str] = Counter()
    reduce, to_unsharded = fsdp_param_group.foreach_reduce, FSDPParamGroup._to_unsharded

    def reduced(*args, **kwargs):
        calls["reduce"] += 1
        return reduce(*args, **kwargs)

    def gathered(group: FSDPParamGroup) -> None:
        calls["gather"] += not group.is_unsharded
        to_unsharded(group)

    monkeypatch.setattr(fsdp_param_group, "foreach_reduce", reduced)
    monkeypatch.setattr(FSDPParamGroup, "_to_unsharded", gathered)
    return calls


def test_one_process_reduces_once_per_step_and_gathers_once(one_rank, qwen2_dir: Path, monkeypatch) -> None:
    """Four micro-batches, one process: each FSDP unit's gradients are reduce-scattered once per step
    (not once per micro-batch) and its weights gathered once (not again for each micro-batch)."""
    model, _ = load_model(qwen2_dir, torch.bfloat16, torch.device("cpu"))
    trainer = sharded_trainer(model, ModelRuntime(model), OPT, None, one_rank)
    units = sum(1 for m in trainer.model.modules() if isinstance(m, FSDPModule))
    b, placement = batch(), Placement(list(range(ROWS)), ROWS)
    trainer.step(b, params(0), placement=placement)  # lazy initialisation out of the count
    calls = counting(monkeypatch)
    trainer.step(b, params(1), placement=placement)
    assert calls["reduce"] == units
    assert calls["gather"] == units


def test_one_process_takes_the_unsharded_step(one_rank, qwen2_dir: Path) -> None:
    """The sharded copy of one process updates the weights as the unsharded trainer does (fp32 masters,
    bf16 compute, fp32 gradient accumulation both), over two steps of four micro-batches."""
    model, _ = load_model(qwen2_dir, torch.bfloat16, torch.device("cpu"))
    plain_model = copy.deepcopy(model)
    sharded = sharded_trainer(model, ModelRuntime(model), OPT, None, one_rank)
    plain = Trainer(plain_model, OPT, None)
    b, placement = batch(), Placement(list(range(ROWS)), ROWS)
    for seed in range(2):
        got = sharded.step(b, params(seed), placement=placement)
        want = plain.step(b, params(seed))
        assert got["loss"] == pytest.approx(want["loss"], rel=1e-3, abs=1e-6)
        assert got["grad_norm"] == pytest.approx(want["grad_norm"], rel=1e-3)
    decoded = dict(model.named_parameters())
    for name, m in zip((n for n, _ in plain_model.named_parameters()), plain.master, strict=True):
        # The decode copy is the refreshed bf16 rounding of the fp32 masters both trainers hold.
        assert torch.equal(decoded[name], m.detach().to(torch.bfloat16)), name
