"""The compact optimizer state: AdamW on bf16/fp16 weights without fp32 master copies.

An lr of 1e-6 moves a weight near 0.02 by far less than half its bf16 spacing (~1e-4), so a plain
bf16 update rounds away. Here each weight keeps a compensation buffer of its own dtype holding what
the last rounding lost (Kahan summation): the next update adds it back, so small updates accumulate
as they would in fp32. The second moment v is bf16, rounded stochastically (with beta2 = 0.999 it
moves by 0.1% a step, less than half a bf16 spacing, so rounding to nearest would freeze it). The
first moment is stored as what the update uses, r = m / sqrt(v), in int8 codes with one fp32 scale
per block of BLOCK elements (m = r * sqrt(v) is rebuilt from the stored v each step): a code's error
is then an absolute error of the normalised update itself, at most 1/254 of the block's largest.

Bytes per parameter of a bf16/fp16 model while it trains (the planner, src/core/plan/, mirrors these):

| state | weights | gradients | optimizer state | total |
|---|---|---|---|---|
| fp32 | 2 | 4 (fp32, moved into the masters during backward) | 12: fp32 masters 4, m 4, v 4 | 18 |
| compact | 2 | 2 (weights' dtype) | 5.016: compensation 2, r 1 + 4/BLOCK scales, v 2 | 9.016 |

Measured on the CPU proof test (test_optim.py, 50 steps at lr 1e-6, relative L2 of the cumulative
update from fp32 masters): 1.4% (bf16 m: 1.1%). Tried and not used: the compensation in one byte
(int8 in units of ulp(w)/256, 16-18% with nearest or stochastic rounding: 8 more bits than bf16
are too few when 1e-6 updates mostly cancel; 12 bits 2.8%, 14 bits 1.1%); m as e4m3 codes scaled per
block (4.0% nearest, 5.6% stochastic: its relative error lands on small entries' whole update);
linear int8 m (53%, an earlier synthetic check).

Gradients stay in the weights' dtype (autograd accumulates micro-batches there); the update runs per
parameter in chunks, so fp32 temporaries never exceed a few times CHUNK elements.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import torch
from torch.distributed.tensor import DTensor

# Elements updated at once: the fp32 temporaries of an update stay under ~0.4 GB. Measured on an H200
# over 1.54 B bf16 elements: 0.61 s a step with 2^20, 0.17 s with 2^22, 0.11 s with 2^24, 0.10 s
# with 2^26 (launch overhead; torch's fp32 AdamW takes 0.03 s).
CHUNK = 1 << 24
# Elements of the first moment's blocks: each has one fp32 scale. A divisor of CHUNK.
BLOCK = 256
# Per element: compensation (2 bytes, the weights' dtype) + first moment (1 + 4 / BLOCK) + second
# moment (2, bf16); a step counter per tensor besides.
STATE_BYTES_PER_PARAM = 5 + 4 / BLOCK


def _stochastic_bf16(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """fp32 -> bf16, rounding up with probability equal to the dropped fraction (unbiased)."""
    noise = torch.randint(0, 1 << 16, x.shape, dtype=torch.int32, device=x.device, generator=gen)
    return ((x.view(torch.int32) + noise) & -65536).view(torch.float32).to(torch.bfloat16)


def _blocks(n: int) -> int:
    return -(-n // BLOCK)


def _dequantize(codes: torch.Tensor, scale: torch.Tensor, n: int) -> torch.Tensor:
    return codes.float().view(-1, BLOCK).mul_(scale.unsqueeze(1)).view(-1)[:n]


def _quantize_(x: torch.Tensor, codes: torch.Tensor, scale: torch.Tensor) -> None:
    """Writes fp32 `x` (overwritten) as int8 codes (round to nearest) and per-block scales into `codes`
    and `scale`, which are padded to whole blocks."""
    pad = codes.numel() - x.numel()
    blocks = (torch.nn.functional.pad(x, (0, pad)) if pad else x).view(-1, BLOCK)
    absmax = blocks.abs().amax(dim=1)
    scale.copy_(torch.where(absmax > 0, absmax / 127, 1.0))
    codes.view(-1, BLOCK).copy_(blocks.div_(scale.unsqueeze(1)).round_().clamp_(-127, 127))


class CompactAdamW(torch.optim.Optimizer):
    """AdamW (decoupled weight decay, torch.optim.AdamW's arithmetic) on low-precision weights with a
    compensation buffer and 8-bit/bf16 moments. step() reads p.grad in the weights' dtype."""

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float,
        betas: tuple[float, float],
        eps: float,
        weight_decay: float,
        seed: int = 0,
    ) -> None:
        super().__init__(list(params), {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})
        self.seed = seed
        for group in self.param_groups:
            for p in group["params"]:
                # A sharded parameter (a DTensor of FSDP2) keeps the state of its local shard.
                w = _local(p)
                self.state[p] = {
                    "step": torch.zeros((), dtype=torch.float32),
                    # r = m / sqrt(v): int8 codes padded to whole blocks, one scale per block
                    "exp_avg": torch.zeros(_blocks(w.numel()) * BLOCK, dtype=torch.int8, device=w.device),
                    "exp_avg_scale": torch.zeros(_blocks(w.numel()), dtype=torch.float32, device=w.device),
                    "exp_avg_sq": torch.zeros_like(w, dtype=torch.bfloat16),
                    "compensation": torch.zeros_like(w),
                }

    def state_bytes(self) -> int:
        return sum(t.numel() * t.element_size() for s in self.state.values() for t in s.values())

    def load_state_dict(self, state_dict: dict) -> None:  # type: ignore[override]
        """Restores bit for bit: torch's loader would cast the bf16 moments to an fp16 model's dtype."""
        params = [p for group in self.param_groups for p in group["params"]]
        saved = state_dict["state"]
        if len(saved) != len(params) or len(state_dict["param_groups"]) != len(self.param_groups):
            raise ValueError(f"it holds {len(saved)} tensors' state, this model has {len(params)}")
        with torch.no_grad():
            for i, p in enumerate(params):
                mine, theirs = self.state[p], saved[i]
                if set(theirs) != set(mine):
                    raise ValueError(f"tensor {i}'s state has {sorted(theirs)}, expected {sorted(mine)}")
                for key, t in theirs.items():
                    if t.shape != mine[key].shape or t.dtype != mine[key].dtype:
                        raise ValueError(f"tensor {i}'s {key} is {t.dtype} {list(t.shape)}")
                    mine[key].copy_(t)
        for group, saved_group in zip(self.param_groups, state_dict["param_groups"], strict=True):
            group.update({k: v for k, v in saved_group.items() if k != "params"})

    @torch.no_grad()
    def step(self, closure: None = None) -> None:  # type: ignore[override]
        for group in self.param_groups:
            lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for index, p in enumerate(group["params"]):
                if p.grad is None:
                    continue
                state = self.state[p]
                state["step"] += 1
                t = int(state["step"])
                # Seeded by (seed, step, tensor): resuming from a checkpoint draws the same noise.
                gen = torch.Generator(device=p.device)
                gen.manual_seed(hash((self.seed, t, index)) & ((1 << 63) - 1))
                _update(_local(p), _local(p.grad), state, lr, b1, b2, eps, wd, t, gen)


def _update(
    p: torch.Tensor,
    grad: torch.Tensor,
    state: dict[str, torch.Tensor],
    lr: float,
    b1: float,
    b2: float,
    eps: float,
    wd: float,
    t: int,
    gen: torch.Generator,
) -> None:
    w, g = p.view(-1), grad.view(-1)
    r_all, r_scale, v_all, c_all = (state[k] for k in ("exp_avg", "exp_avg_scale", "exp_avg_sq", "compensation"))
    v_all, c_all = v_all.view(-1), c_all.view(-1)
    bc1, bc2_sqrt = 1 - b1**t, math.sqrt(1 - b2**t)
    for i in range(0, w.numel(), CHUNK):
        s = slice(i, i + CHUNK)
        gf = g[s].float()
        n = gf.numel()
        codes, scale = r_all[i : i + _blocks(n) * BLOCK], r_scale[i // BLOCK : i // BLOCK + _blocks(n)]
        v = v_all[s].float()
        m = _dequantize(codes, scale, n).mul_(v.sqrt()).mul_(b1).add_(gf, alpha=1 - b1)
        v.mul_(b2).addcmul_(gf, gf, value=1 - b2)
        del gf
        stored = _stochastic_bf16(v, gen)
        v_all[s].copy_(stored)
        # r from the v that is stored, so that the next step rebuilds m exactly but for r's rounding;
        # 0 where that v rounded to 0.
        root = stored.float().sqrt_()
        _quantize_(torch.div(m, root, out=root).nan_to_num_(0.0, 0.0, 0.0), codes, scale)
        del stored, root
        # The same order of operations as torch.optim.AdamW: decay, then the Adam step.
        wf = w[s].float()
        delta = v.sqrt_().div_(bc2_sqrt).add_(eps)
        delta = m.div_(delta).mul_(-lr / bc1)
        delta.add_(wf, alpha=-lr * wd).add_(c_all[s].float())
        new = (wf + delta).to(w.dtype)
        c_all[s].copy_(delta.sub_(new.float().sub_(wf)))
        w[s].copy_(new)


def grad_norm(params: Sequence[torch.Tensor]) -> float:
    """The global L2 norm of the gradients, summed in fp32 chunk by chunk (of sharded gradients:
    each shard's sum, then summed over the shards' process group)."""
    total = torch.zeros((), dtype=torch.float32, device=_local(params[0]).device if params else "cpu")
    group = None
    for p in params:
        if p.grad is None:
            continue
        if isinstance(p.grad, DTensor):
            group = p.grad.device_mesh.get_group()
        g = _local(p.grad).reshape(-1)
        for i in range(0, g.numel(), CHUNK):
            total += g[i : i + CHUNK].float().square().sum()
    if group is not None:
        torch.distributed.all_reduce(total, group=group)
    return math.sqrt(float(total))


def _local(t: torch.Tensor) -> torch.Tensor:
    """This process's shard of a sharded tensor (its storage: updating it updates the DTensor)."""
    return t.to_local() if isinstance(t, DTensor) else t
