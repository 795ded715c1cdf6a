"""Training under torchrun: the policy's weights sharded by FSDP2, a full copy for the rollouts.

Each rank holds two models. The training model is an fp32 copy of the loaded one, sharded with
torch.distributed.fsdp.fully_shard (each decoder layer a unit, the embeddings, final norm and
lm_head the root's): its shards are the master weights the AdamW state sits beside (optimizer_state
fp32, sharded); with the compact state the copy stays bf16 and CompactAdamW updates each
parameter's local shard in place. It computes in the loaded dtype (MixedPrecisionPolicy) and
reduces gradients in fp32. FSDP averages the ranks' gradients; each rank's loss is its share of the
global batch's aggregate, so it is scaled by the world size first (gloo has no pre-scaled sum).

The decode model is the loaded model itself, full and in the loaded dtype: the rollouts, the old
policy's log-probs and the Hugging Face checkpoint read it, and after each update its weights are
refreshed from the shards (DTensor.full_tensor: one all-gather of the model per step, one
parameter at a time; one process: a single foreach copy of its whole shards). Memory per rank (fp32 state): the full copy (2 bytes a parameter in bf16)
plus 16 / world_size bytes a parameter (fp32 weights, gradients, two moments), plus the gathered
bf16 weights of the layers being computed and one fp32 parameter gathered at a time. One process
keeps every layer's gathered weights from forward to backward (a gather less per pass), 2 bytes
more: 20 bytes a parameter against the unsharded trainer's 18. It also keeps them, and accumulates
the gradients whole in fp32, across a mini-batch's micro-batches (Shard.before_backward): one
gather and one reduction per layer and mini-batch, at no extra memory (its shards are the whole
model). Several processes reduce and reshard after each micro-batch.

A step meets across ranks: the batch's token and sequence counts are summed first, so `token-mean`
and the other aggregations divide by the global batch's, and every rank runs as many micro-batch
passes as the busiest one (FSDP's collectives must meet; the extra passes weigh 0).
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch import nn
from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict
from torch.distributed.fsdp import FSDPModule, MixedPrecisionPolicy, fully_shard, register_fsdp_forward_method
from torch.distributed.tensor import DTensor

from .distributed import Dist
from .errors import bad_config
from .generate import RolloutBatch
from .loading import damaged
from .model import Transformer
from .protocol import OptimizerParams
from .runtime import ModelRuntime

if TYPE_CHECKING:
    from .train import Trainer

_COMPILED = "._orig_mod"
# The folder of a checkpoint where torch.distributed.checkpoint writes the sharded training state.
SHARDED_DIR = "engine_state_sharded"  # what torch.compile's wrapper adds to a layer's parameter names


@dataclass
class Placement:
    """Which rows of a generate call this rank's kept batch holds (distributed.call_rows), of how many."""

    rows: list[int]
    total: int


def shard_model(model: Transformer, compile_layers: bool, master: bool = True) -> Transformer:
    """The training copy of `model`, sharded over the default process group: in fp32 (the master
    weights), or in the model's dtype when not `master` (the compact optimizer state's)."""
    train = copy.deepcopy(model)
    if master:
        train.float()
        train.tie()  # .float() replaced the tied tensors one by one
    train.requires_grad_(True)
    policy = MixedPrecisionPolicy(param_dtype=next(model.parameters()).dtype, reduce_dtype=torch.float32)
    layers = train.model.layers
    # One process holds every shard anyway: keeping a layer's gathered weights from forward to
    # backward saves a gather (a copy and a cast) per layer and pass.
    reshard = dist.get_world_size() > 1
    for i in range(len(layers)):
        if compile_layers:
            # Compiled inside, hooks outside: FSDP's all-gathers stay out of the compiled graph.
            layers[i] = torch.compile(layers[i])
        fully_shard(layers[i], mp_policy=policy, reshard_after_forward=reshard)
    fully_shard(train, mp_policy=policy)
    # The trainer calls Transformer.hidden, not forward: the root's all-gather must run for it too.
    register_fsdp_forward_method(train, "hidden")
    return train


class Shard:
    """The trainer's link to the other ranks and to the decode model."""

    def __init__(self, dist_: Dist, decode: Transformer, decode_runtime: ModelRuntime) -> None:
        self.dist = dist_
        self.decode = decode
        self.decode_runtime = decode_runtime  # where activation sizes are measured (plain layers)
        # One process: a mini-batch's gradients are reduced once, after its last micro-batch, and the
        # gathered weights stay from one micro-batch to the next. Both cost nothing there (its shards
        # are the whole model: the accumulated fp32 gradients replace the sharded ones, the gathered
        # bf16 weights are kept from forward to backward anyway) and save a gather, a cast and a
        # reduce-scatter per layer and micro-batch. Several processes keep reducing and resharding
        # after each micro-batch: whole fp32 gradients (4 bytes a parameter) and gathered weights
        # (2) on every rank would undo what sharding saves.
        self.accumulate_locally = dist_.size == 1

    def before_backward(self, model: nn.Module, last: bool) -> None:
        """Set before each micro-batch pass of `model` (the sharded copy): whether it is the mini-batch's
        last, the one whose backward reduces the gradients and reshards the weights."""
        if self.accumulate_locally and isinstance(model, FSDPModule):
            model.set_requires_gradient_sync(last)
            model.set_reshard_after_backward(last)

    @property
    def loss_scale(self) -> float:
        """What a rank's share of the loss is multiplied by so that FSDP's mean of the gradients is their sum."""
        return float(self.dist.size)

    def sum(self, values: Sequence[float]) -> list[float]:
        t = torch.tensor(list(values), dtype=torch.float64, device=self.dist.device)
        dist.all_reduce(t)
        return t.tolist()

    def passes(self, n: int) -> int:
        """The most micro-batch passes any rank needs."""
        t = torch.tensor([n], dtype=torch.long, device=self.dist.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return int(t.item())

    def reduce_(self, t: torch.Tensor) -> torch.Tensor:
        dist.all_reduce(t)
        return t

    @staticmethod
    def splits(placement: Placement, mini_batches: int) -> list[list[int]]:
        """This rank's batch rows of each mini-batch of the whole call (the one-process split)."""
        where = {g: k for k, g in enumerate(placement.rows)}
        whole = torch.arange(placement.total).tensor_split(mini_batches)
        return [[where[g] for g in part.tolist() if g in where] for part in whole]

    def all_passes(self, splits: list[list[int]], micro: int) -> list[int]:
        """Micro-batch passes of each mini-batch, the same on every rank."""
        return [self.passes(math.ceil(len(s) / micro)) for s in splits]

    @torch.no_grad()
    def refresh(self, train: nn.Module) -> None:
        """The decode model's weights from the updated shards, one gathered parameter at a time."""
        target = dict(self.decode.named_parameters())
        if self.dist.size == 1:
            # One process's shards are the whole tensors: one cast-and-copy kernel, no gathers.
            pairs = [(target[n.replace(_COMPILED, "")], p.to_local() if isinstance(p, DTensor) else p) for n, p in train.named_parameters()]
            torch._foreach_copy_([t for t, _ in pairs], [p for _, p in pairs])
            return
        for name, p in train.named_parameters():
            full = p.full_tensor() if isinstance(p, DTensor) else p
            target[name.replace(_COMPILED, "")].copy_(full)

    def tokens(self, batch: RolloutBatch) -> int:
        return int(self.sum([float(batch.resp_len.sum())])[0])


def sharded_trainer(
    model: Transformer, runtime: ModelRuntime, opt: OptimizerParams, reference: Transformer | None, dist_: Dist
) -> Trainer:
    """The trainer of a torchrun launch: on the sharded copy of `model` (the decode model from now
    on); `runtime` is the decode model's. The decode model keeps requires_grad: nothing computes
    gradients through it, and the activation planner (train.layers_to_checkpoint) counts the
    gradients' bytes from it (whole, where the shards' are a world_size-th: on the safe side)."""
    from .train import Trainer

    options = runtime.options
    compact = opt.optimizer_state == "compact" and next(model.parameters()).dtype != torch.float32
    train = shard_model(model, options.compiles_training and dist_.device.type == "cuda", master=not compact)
    # The layers were compiled (or not) before sharding: the trainer's runtime must not compile them again.
    plain = ModelRuntime(train, dataclasses.replace(options, compile_train=False))
    return Trainer(train, opt, reference, plain, Shard(dist_, model, runtime))


def save_state(trainer: Trainer, out: Path) -> dict[str, Any]:
    """Writes the sharded training state (fp32 weights and AdamW moments) with
    torch.distributed.checkpoint into out/SHARDED_DIR, each rank its shards; returns what the engine
    state file holds besides (every rank's random generator states among it)."""
    shard = trainer.shard
    assert shard is not None
    size = shard.dist.size
    if trainer.optimizer_state == "compact":
        # The compact state's tensors are each rank's own (not DTensors): one file a rank. The weights
        # are the bf16 ones of the Hugging Face files.
        folder = out / SHARDED_DIR
        folder.mkdir(parents=True, exist_ok=True)
        mine = folder / _rank_file(shard.dist.rank, size)
        torch.save(trainer.optimizer.state_dict(), mine.with_name(mine.name + ".tmp"))
        mine.with_name(mine.name + ".tmp").replace(mine)
    else:
        model_sd, optim_sd = get_state_dict(trainer.model, trainer.optimizer)
        dcp.save({"model": model_sd, "optimizer": optim_sd}, checkpoint_id=str(out / SHARDED_DIR))
    cuda = shard.dist.device.type == "cuda"
    rng = {"cpu": torch.get_rng_state(), "cuda": torch.cuda.get_rng_state() if cuda else None}
    return {"sharded": {"world_size": size, "dir": SHARDED_DIR}, "rank_rng": shard.dist.all_gather(rng)}


def _rank_file(rank: int, size: int) -> str:
    return f"compact-rank-{rank}-of-{size}.pt"


def restore_state(trainer: Trainer, state: dict[str, Any], folder: Path) -> None:
    """Loads what save_state wrote; torch.distributed.checkpoint reshards it when the number of
    processes changed (each rank then keeps its own seed's random stream)."""
    shard = trainer.shard
    assert shard is not None
    sharded = state.get("sharded")
    if not isinstance(sharded, dict):
        raise bad_config(
            "resume_state was saved by a single engine process; resume it with one process, not under torchrun."
        )
    if trainer.optimizer_state == "compact":
        _restore_compact(trainer, sharded, folder)
        _restore_rng(shard.dist, state.get("rank_rng"))
        return
    model_sd, optim_sd = get_state_dict(trainer.model, trainer.optimizer)
    try:
        dcp.load({"model": model_sd, "optimizer": optim_sd}, checkpoint_id=str(folder / sharded["dir"]))
    except Exception as e:  # noqa: BLE001 - a missing or torn shard is damage, whichever file it is
        raise damaged(folder, f"its sharded training state in {sharded['dir']} cannot be read ({type(e).__name__})") from None
    set_state_dict(trainer.model, trainer.optimizer, model_state_dict=model_sd, optim_state_dict=optim_sd)
    _restore_rng(shard.dist, state.get("rank_rng"))
    shard.refresh(trainer.model)


def _restore_compact(trainer: Trainer, sharded: dict[str, Any], folder: Path) -> None:
    """The compact state of this rank's shards: only for as many processes as saved it."""
    shard = trainer.shard
    assert shard is not None
    size, saved = shard.dist.size, sharded.get("world_size")
    if saved != size:
        raise bad_config(
            f"resume_state holds the compact optimizer state of {saved} processes; resume it with {saved}, not {size}."
        )
    path = folder / sharded["dir"] / _rank_file(shard.dist.rank, size)
    try:
        optimizer_sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - missing or torn: damage either way
        raise damaged(folder, f"{sharded['dir']}/{path.name} is missing or cannot be read") from None
    try:
        trainer.optimizer.load_state_dict(optimizer_sd)
    except (ValueError, KeyError) as e:
        raise bad_config(f"resume_state's optimizer state does not fit this model: {e}.") from None


def _restore_rng(d: Dist, rngs: Any) -> None:
    """Each rank's random generators as saved, when the number of processes is the same."""
    if isinstance(rngs, list) and len(rngs) == d.size:
        rng = rngs[d.rank]
        torch.set_rng_state(rng["cpu"])
        if d.device.type == "cuda" and rng.get("cuda") is not None:
            torch.cuda.set_rng_state(rng["cuda"])
