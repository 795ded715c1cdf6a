"""The policy update: PPO-clip on given advantages, KL to a frozen reference, entropy bonus.

loss = pg - entropy_coef * entropy + kl_coef * kl, each term aggregated with loss_agg over a
mini-batch, the ratio clipped to [1 - clip_ratio_low, 1 + clip_ratio_high]: the train_step params
(protocol.TrainStepParams) under the run settings' names; micro-batches accumulate gradients scaled so the sum equals the mini-batch value.
Log-probabilities come from chunked, recomputed lm_head products, so the full [tokens, vocab] fp32
logits never exist at once (150k vocabularies).
"""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from .errors import bad_config
from .generate import RolloutBatch, padded_causal_mask
from .kv_release import release_decoder_if_it_pays
from .lora import adapters_disabled
from .model import Transformer
from .optim import CompactAdamW, grad_norm
from .protocol import OptimizerParams, TrainStepParams, TrainStepResult
from .runtime import ModelRuntime

if TYPE_CHECKING:
    from .sharded import Placement, Shard

# Bytes of one fp32 [chunk, vocab] logits block; backward holds a few of them.
LOGITS_CHUNK_BYTES = 1 << 28


def _logp_entropy(h: torch.Tensor, w: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    logits = (h @ w.t()).float()  # the product in the model dtype, as lm_head computes it, then fp32
    lse = logits.logsumexp(-1)
    logp = logits.gather(-1, targets[:, None]).squeeze(-1) - lse
    probs = (logits - lse[:, None]).exp()
    entropy = lse - (probs * logits).sum(-1)
    return logp, entropy


def token_logp_entropy(
    h: torch.Tensor, w: torch.Tensor, targets: torch.Tensor, triton: bool = True, keep_logits: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-prob of each target and the entropy of each position's distribution, fp32, [tokens] each.

    Chunks of rows go through the vocabulary projection one at a time; under autograd each chunk is
    recomputed in backward instead of keeping its logits. Where Triton runs (triton_logp.available) and
    `triton` (EngineOptions.triton) allows it, the row-wise math is one fused kernel pass per chunk instead,
    and `keep_logits` keeps the chunks' logits for backward instead of recomputing them (keep_logits_fits).
    """
    from . import triton_logp

    if triton and triton_logp.available(h.device):
        return triton_logp.fused_logp_entropy(h, w, targets, keep=keep_logits)
    chunk = max(1, LOGITS_CHUNK_BYTES // (4 * w.shape[0]))
    logps, ents = [], []
    for i in range(0, h.shape[0], chunk):
        args = (h[i : i + chunk], w, targets[i : i + chunk])
        if torch.is_grad_enabled():
            lp, ent = checkpoint(_logp_entropy, *args, use_reentrant=False)
        else:
            lp, ent = _logp_entropy(*args)
        logps.append(lp)
        ents.append(ent)
    if not logps:
        empty = h.new_zeros(0, dtype=torch.float32)
        return empty, empty
    return torch.cat(logps), torch.cat(ents)


def _row_slice(rows: list[int]) -> slice | list[int]:
    """A slice when `rows` are consecutive (the usual micro-batch): indexing then needs no index tensor,
    whose upload from pageable memory would wait for the GPU."""
    if rows == list(range(rows[0], rows[0] + len(rows))):
        return slice(rows[0], rows[0] + len(rows))
    return rows


def response_logp_entropy(
    model: Transformer,
    batch: RolloutBatch,
    rows: list[int],
    train_layers: Sequence[nn.Module] | None = None,
    triton: bool = True,
    keep_logits: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-token log-probs and entropies of the responses of `rows`: [rows, R] fp32 each, plus the mask.

    train_layers: the runtime's training layers (Transformer.hidden); triton: EngineOptions.triton.

    Shapes come from the batch's host-side lengths, so nothing here waits for the GPU. Every position up
    to the longest response is scored; positions past a row's end are masked out by the caller.
    """
    plen = batch.prompt_len
    pads, lens = batch.host_lengths()
    start, width = min(pads[r] for r in rows), max(lens[r] for r in rows)
    sel = _row_slice(rows)
    ids = batch.tokens[sel, start : plen + width]
    pad = batch.pad_left[sel] - start
    positions = (torch.arange(ids.shape[1], device=ids.device)[None, :] - pad[:, None]).clamp(min=0)
    attn_mask = padded_causal_mask(pad, ids.shape[1]) if max(pads[r] for r in rows) > start else None
    hidden = model.hidden(ids, positions, attn_mask, train_layers=train_layers)
    first = plen - start  # column of the first response token
    h = hidden[:, first - 1 : first - 1 + width]
    targets = ids[:, first : first + width]
    mask = torch.arange(width, device=ids.device)[None, :] < batch.resp_len[sel][:, None]
    logp, ent = token_logp_entropy(
        h.reshape(-1, h.shape[-1]), model.lm_head.weight, targets.reshape(-1), triton, keep_logits
    )
    return logp.view(len(rows), width), ent.view(len(rows), width), mask


def kl_penalty(logp: torch.Tensor, ref_logp: torch.Tensor, kind: str) -> torch.Tensor:
    """Per-token KL estimate of the policy from the reference (verl's definitions)."""
    if kind == "k1":
        return logp - ref_logp
    if kind == "k2":
        return 0.5 * (logp - ref_logp).square()
    # low_var_kl (k3): unbiased and non-negative; clamped for stability as verl does.
    log_ratio = (ref_logp - logp).clamp(-20, 20)
    return (log_ratio.exp() - log_ratio - 1).clamp(-10, 10)


def aggregate(values: torch.Tensor, mask: torch.Tensor, mode: str, tokens: int, seqs: int) -> torch.Tensor:
    """This micro-batch's share of the mini-batch aggregate (mini-batch totals `tokens` and `seqs`)."""
    m = mask.to(values.dtype)
    if mode == "token-mean":
        return (values * m).sum() / max(tokens, 1)
    per_seq = (values * m).sum(-1)
    if mode == "seq-mean-token-mean":
        per_seq = per_seq / m.sum(-1).clamp(min=1)
    return per_seq.sum() / max(seqs, 1)


@torch.no_grad()
def batch_logp(
    model: Transformer,
    batch: RolloutBatch,
    micro_batch_size: int,
    triton: bool = True,
    layers: Sequence[nn.Module] | None = None,
) -> torch.Tensor:
    """[rows, R] response log-probs of the whole batch (old policy or reference), no graph.
    layers: the model's compiled layers (runtime), None for its own."""
    width = max(batch.host_lengths()[1])
    out = torch.zeros(batch.rows, width, dtype=torch.float32, device=batch.tokens.device)
    for i in range(0, batch.rows, micro_batch_size):
        rows = list(range(i, min(i + micro_batch_size, batch.rows)))
        logp, _, _ = response_logp_entropy(model, batch, rows, layers, triton)
        out[i : i + len(rows), : logp.shape[1]] = logp
    return out


def accumulate_gradients(
    model: Transformer,
    batch: RolloutBatch,
    rows: torch.Tensor | list[int],
    advantages: torch.Tensor,
    lp: TrainStepParams,
    micro_batch_size: int,
    old_logp: torch.Tensor | None = None,
    ref_logp: torch.Tensor | None = None,
    after_micro: Callable[[], None] | None = None,
    train_layers: Sequence[nn.Module] | None = None,
    triton: bool = True,
    keep_logits: bool = False,
    shard: Shard | None = None,
    passes: int = 0,
) -> dict[str, float]:
    """Backward of one mini-batch's loss, micro-batch by micro-batch; returns its loss parts.

    The loss parts are summed on the device and read once at the end: a host read per micro-batch
    would stall the GPU until the host had queued the next forward.

    shard (under torchrun): `rows` are this rank's part of the mini-batch; the aggregation divides by
    the whole mini-batch's counts, the parts returned are the whole one's, and `passes` micro-batch
    passes run (those past this rank's rows, on a row of the batch, weigh 0).
    """
    rows = rows.tolist() if isinstance(rows, torch.Tensor) else list(rows)
    lens = batch.host_lengths()[1]
    tokens = sum(lens[r] for r in rows)
    seqs = len(rows)
    if shard is not None:
        tokens, seqs = (int(x) for x in shard.sum([tokens, seqs]))
    device = batch.tokens.device
    sums = torch.zeros(4, dtype=torch.float32, device=device)  # pg_loss, entropy, kl, clipped tokens
    micros = [rows[i : i + micro_batch_size] for i in range(0, len(rows), micro_batch_size)]
    micros += [[]] * (passes - len(micros))
    for i, micro in enumerate(micros):
        weight = 1.0 if micro else 0.0
        if shard is None and sum(lens[r] for r in micro) == 0:
            continue  # empty responses add nothing to the loss
        if shard is not None:
            shard.before_backward(model, last=i == len(micros) - 1)
        micro = micro or [max(range(batch.rows), key=lambda r: lens[r])]
        logp, ent, mask = response_logp_entropy(model, batch, micro, train_layers, triton, keep_logits)
        width = logp.shape[1]
        sel = _row_slice(micro)
        old = logp.detach() if old_logp is None else old_logp[sel, :width]
        adv = advantages[sel][:, None]
        ratio = (logp - old).exp()
        pg_plain = -adv * ratio
        pg_clipped = -adv * ratio.clamp(1 - lp.clip_ratio_low, 1 + lp.clip_ratio_high)
        pg = torch.maximum(pg_plain, pg_clipped)
        pg_loss = aggregate(pg, mask, lp.loss_agg, tokens, seqs)
        entropy = aggregate(ent, mask, lp.loss_agg, tokens, seqs)
        loss = pg_loss - lp.entropy_coef * entropy
        kl = torch.zeros((), device=device)
        if ref_logp is not None:
            kl = aggregate(kl_penalty(logp, ref_logp[sel, :width], lp.kl_type), mask, lp.loss_agg, tokens, seqs)
            loss = loss + lp.kl_coef * kl
        (loss * (weight * shard.loss_scale if shard else weight)).backward()
        clipped = ((pg_clipped > pg_plain) & mask).sum()
        sums += weight * torch.stack([pg_loss.detach(), entropy.detach(), kl.detach(), clipped.float()])
        if after_micro is not None:
            after_micro()
    if shard is not None:
        shard.reduce_(sums)
    pg_sum, ent_sum, kl_sum, clipped_sum = sums.tolist()
    return {
        "pg_loss": pg_sum,
        "entropy": ent_sum,
        "kl": kl_sum,
        "clip_fraction": clipped_sum / max(tokens, 1),
        "loss": pg_sum - lp.entropy_coef * ent_sum + lp.kl_coef * kl_sum,
    }


def measured_activation_bytes(runtime: ModelRuntime, rows: int, width: int) -> int:
    """Bytes per token one layer keeps for backward, measured on CUDA by running the training pass's
    first layer (compiled or not) once on a micro-batch of this shape; cached per shape in the runtime."""
    model, cache = runtime.model, runtime.activation_bytes
    if (rows, width) not in cache:
        cfg, w = model.cfg, model.model.embed_tokens.weight
        x = torch.zeros(rows, width, cfg.hidden_size, dtype=w.dtype, device=w.device, requires_grad=True)
        cos, sin = model.rope(torch.arange(width, device=w.device).expand(rows, width), w.dtype)
        torch.cuda.synchronize(w.device)
        before = torch.cuda.memory_allocated(w.device)
        y = runtime.training_layers()[0](x, cos, sin, None)
        cache[(rows, width)] = max(1, (torch.cuda.memory_allocated(w.device) - before) // (rows * width))
        del y
    return cache[(rows, width)]


def memory_cap(device: torch.device, limit_gb: float | None = None) -> float:
    """Bytes the process may allocate: the card, within its memory fraction and `limit_gb`."""
    _, total = torch.cuda.mem_get_info(device)
    getter = getattr(torch.cuda, "get_per_process_memory_fraction", None)
    cap = total * getter(device) if getter is not None else total
    return min(cap, limit_gb * 1024**3) if limit_gb is not None else cap


def memory_headroom(device: torch.device, limit_gb: float | None = None) -> float:
    """Bytes the caching allocator can still hand out: free device memory, within the process's memory
    fraction and `limit_gb` (EngineOptions.memory_limit_gb: a smaller card's budget on a bigger one)."""
    free, _ = torch.cuda.mem_get_info(device)
    cap = memory_cap(device, limit_gb)
    reserved, allocated = torch.cuda.memory_reserved(device), torch.cuda.memory_allocated(device)
    return min(free + reserved - allocated, cap - allocated)


# The plan's allocator slack (src/core/plan/memory.ts SLACK_FRACTION, SLACK_FIXED): the layer rule
# leaves it free, so what the plan says fits is what the engine does.
SLACK_FRACTION = 0.05
SLACK_FIXED = 1 << 29


def layers_to_checkpoint(
    runtime: ModelRuntime, batch: RolloutBatch, micro: int, grad_bytes: int = 4, extra_bytes: int = 0
) -> int:
    """How many layers to checkpoint so that the largest micro-batch's activations fit (0 when they do:
    recomputation costs a third more compute, so it is used only when memory requires it).
    grad_bytes: bytes per parameter of the gradients the first backward creates; extra_bytes: memory
    that would be freed first (kv_release asks with the decode runner's)."""
    model, device = runtime.model, batch.tokens.device
    if model.gradient_checkpointing or device.type != "cuda":
        return 0
    rows, width = min(micro, batch.rows), batch.tokens.shape[1]
    tokens = rows * width
    full = measured_activation_bytes(runtime, rows, width)
    ckpt = model.model.embed_tokens.weight.element_size() * model.cfg.hidden_size  # a checkpointed layer's input
    layers = model.cfg.num_layers
    # Room for the logits chunks of the loss, the gradient buffers created in the first backward
    # and allocator slack.
    limit = runtime.options.memory_limit_gb
    reserve = 4 * LOGITS_CHUNK_BYTES + grad_bytes * sum(p.numel() for p in model.parameters() if p.requires_grad) + (1 << 30)
    reserve += SLACK_FRACTION * memory_cap(device, limit) + SLACK_FIXED
    budget = memory_headroom(device, limit) + extra_bytes - reserve
    return layers_that_fit(tokens, full, ckpt, layers, budget)


def kept_logits_bytes(model: Transformer, batch: RolloutBatch, micro: int) -> int:
    """Bytes of the logits a micro-batch keeps for backward (its rows x the response width x vocab)."""
    w = model.lm_head.weight
    return min(micro, batch.rows) * (batch.tokens.shape[1] - batch.prompt_len) * w.shape[0] * w.element_size()


def keep_logits_fits(runtime: ModelRuntime, batch: RolloutBatch, micro: int, grad_bytes: int) -> bool:
    """Whether the micro-batches can keep their logits for backward (no recomputing GEMM over the
    vocabulary, about 5% of a 1.5B model's training FLOPs) and still checkpoint no layer: only where
    memory is ample, since a checkpointed layer costs more than the logits' recomputation saves.
    src/core/plan/memory.ts (engineTraining) mirrors this rule."""
    model = runtime.model
    if model.gradient_checkpointing or batch.tokens.device.type != "cuda" or not runtime.options.triton:
        return False
    need = kept_logits_bytes(model, batch, micro)
    return layers_to_checkpoint(runtime, batch, micro, grad_bytes, -need) == 0


def layers_that_fit(tokens: int, full: int, ckpt: int, layers: int, budget: float) -> int:
    """Fewest leading layers to checkpoint so `tokens` tokens' activations fit in `budget` bytes, when a
    layer keeps `full` bytes per token and a checkpointed one only `ckpt`."""
    need = tokens * full * layers
    if need <= budget:
        return 0
    return min(layers, math.ceil((need - budget) / (tokens * (full - ckpt))))


def peak_memory_gb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 1024**3
    # The process's peak resident memory (KiB on Linux).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


class Trainer:
    """AdamW on the policy. With bf16/fp16 weights the optimizer state is `opt.optimizer_state`: fp32
    master copies written back after each step, or compact (optim.CompactAdamW: in place, no fp32 copy
    of the weights or gradients)."""

    def __init__(
        self,
        model: Transformer,
        opt: OptimizerParams,
        reference: Transformer | None,
        runtime: ModelRuntime | None = None,
        shard: Shard | None = None,
    ) -> None:
        """shard: under torchrun, `model` is the FSDP-sharded fp32 copy (sharded.py) and `shard` its
        link to the other ranks and to the full-weight decode model."""
        self.model = model
        self.shard = shard
        # The engine's runtime of `model` (compiled training layers, activation sizes, options).
        self.runtime = runtime or ModelRuntime(model)
        self.reference = reference
        self.params = [p for p in model.parameters() if p.requires_grad]
        low_precision = self.params[0].dtype != torch.float32
        # What was built: an fp32 model gets plain fp32 AdamW whichever state was asked for.
        self.optimizer_state = opt.optimizer_state if low_precision else "fp32"
        self.use_master = low_precision and opt.optimizer_state == "fp32"
        if self.use_master:
            self.master = [torch.nn.Parameter(p.detach().float().clone()) for p in self.params]
            # Each bf16 gradient moves into its fp32 master as soon as backward has produced it, so the
            # bf16 gradients of the whole model never exist at once.
            for p, m in zip(self.params, self.master, strict=True):
                p.register_post_accumulate_grad_hook(lambda p, m=m: self._grad_to_master(p, m))
        else:
            self.master = self.params
        self.grad_clip = opt.grad_clip
        self.optimizer: torch.optim.Optimizer
        if self.optimizer_state == "compact":
            self.optimizer = CompactAdamW(
                self.params, lr=opt.lr, betas=opt.adam_betas, eps=opt.adam_eps, weight_decay=opt.weight_decay
            )
        else:
            self.optimizer = torch.optim.AdamW(
                self.master, lr=opt.lr, betas=opt.adam_betas, eps=opt.adam_eps, weight_decay=opt.weight_decay
            )
        self.steps = 0

    def state_gb(self) -> float:
        """Memory of the optimizer state (fp32 masters included; moments counted as the first step
        creates them), in GB."""
        n = sum(p.numel() for p in self.params)
        if self.optimizer_state == "compact":
            assert isinstance(self.optimizer, CompactAdamW)
            return self.optimizer.state_bytes() / 1024**3
        return (8 * n + (4 * n if self.use_master else 0)) / 1024**3

    def exact_weights(self) -> list[torch.Tensor]:
        """The weights the optimizer state carries, fp32: the masters, or the low-precision weights plus
        what their rounding lost (compact's compensation). The model computes with their roundings."""
        if self.use_master:
            return [m.detach() for m in self.master]
        state = self.optimizer.state
        return [p.detach().float() + state[p]["compensation"] if "compensation" in state[p] else p.detach().float() for p in self.params]

    @staticmethod
    def _grad_to_master(p: torch.Tensor, m: torch.Tensor) -> None:
        if p.grad is None:
            return
        if m.grad is None:
            m.grad = p.grad.float()
        else:
            m.grad.add_(p.grad)
        p.grad = None

    def _move_grads_to_master(self) -> None:
        """Accumulates each micro-batch's low-precision gradients in fp32, so small ones are not lost."""
        if not self.use_master:
            return
        for p, m in zip(self.params, self.master, strict=True):
            self._grad_to_master(p, m)

    def _optimizer_step(self) -> float:
        max_norm = self.grad_clip if self.grad_clip > 0 else math.inf
        if self.optimizer_state == "compact":
            # torch's clip_grad_norm_ would sum the norm in bf16 and allocate per-tensor fp32 copies.
            norm = grad_norm(self.params)
            coef = max_norm / (norm + 1e-6)
            if math.isfinite(norm) and coef < 1:
                for p in self.params:
                    if p.grad is not None:
                        p.grad.mul_(coef)
        else:
            total = torch.nn.utils.clip_grad_norm_(self.master, max_norm)
            # Sharded gradients give a DTensor: the global norm once gathered.
            norm = float(total.full_tensor() if hasattr(total, "full_tensor") else total)
        if math.isfinite(norm):
            self.optimizer.step()
            if self.use_master:
                with torch.no_grad():
                    for p, m in zip(self.params, self.master, strict=True):
                        p.copy_(m)
        self.optimizer.zero_grad(set_to_none=True)
        for p in self.params:
            p.grad = None
        return norm

    def step(
        self,
        batch: RolloutBatch,
        p: TrainStepParams,
        on_progress: Callable[[int, int], None] | None = None,
        placement: Placement | None = None,
    ) -> TrainStepResult:
        """One policy update on `batch` (p.batch_id is the caller's business: it picked the batch).
        placement: with a shard, which rows of the generate call `batch` holds (p.advantages are all
        the call's)."""
        t0 = time.perf_counter()
        device = batch.tokens.device
        shard = self.shard
        _validate(batch, p, self.reference is not None, placement.total if placement else batch.rows)
        if shard is not None and shard.tokens(batch) == 0:
            raise bad_config("the batch has no response tokens to train on.")
        mini_batches, micro_batch_size = p.mini_batches, p.micro_batch_size
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        if p.lr is not None:
            for group in self.optimizer.param_groups:
                group["lr"] = p.lr
        adv = torch.tensor(p.advantages, dtype=torch.float32, device=device)
        if placement is not None:
            adv = adv[placement.rows]
        triton, train_layers = self.runtime.options.triton, self.runtime.training_layers()
        ref_logp = old_logp = None
        if self.reference is not None and p.kl_coef != 0:
            ref_runtime = shard.decode_runtime if shard else self.runtime  # compiles as the single engine's
            # A LoRA run's reference is the policy itself with its adapters off (no copy of the model):
            # its compiled layers are the policy's, which guard on the adapters' switch.
            with adapters_disabled(self.reference):
                ref_logp = batch_logp(
                    self.reference, batch, micro_batch_size, triton, ref_runtime.reference_layers(self.reference)
                )
        self.model.train()
        grad_bytes = 4 if self.use_master else self.params[0].element_size()
        # Sharded, memory is planned on the decode model's runtime: it holds the decode runner and
        # measures plain layers.
        plan = shard.decode_runtime if shard else self.runtime
        release_decoder_if_it_pays(
            plan, batch.rows * batch.tokens.shape[1],
            lambda extra: layers_to_checkpoint(plan, batch, micro_batch_size, grad_bytes, extra),
        )  # fmt: skip
        self.model.checkpoint_layers = layers_to_checkpoint(plan, batch, micro_batch_size, grad_bytes)
        keep_logits = self.model.checkpoint_layers == 0 and keep_logits_fits(plan, batch, micro_batch_size, grad_bytes)
        if mini_batches > 1:
            # Sharded: the decode model holds the same weights, whole (no collectives to pair up).
            old_logp = batch_logp(shard.decode if shard else self.model, batch, micro_batch_size, triton, plan.training_layers())
        if shard is not None and placement is not None:
            splits = shard.splits(placement, mini_batches)
            passes = shard.all_passes(splits, micro_batch_size)
        else:
            splits = [s.tolist() for s in torch.arange(batch.rows).tensor_split(mini_batches)]
            passes = [math.ceil(len(s) / micro_batch_size) for s in splits]
        total_micro = sum(passes)
        done = 0

        def after_micro() -> None:
            nonlocal done
            self._move_grads_to_master()
            done += 1
            if on_progress is not None:
                on_progress(done, total_micro)

        parts: list[dict[str, float]] = []
        for rows, n in zip(splits, passes, strict=True):
            m = accumulate_gradients(
                self.model, batch, rows, adv, p, micro_batch_size, old_logp, ref_logp, after_micro, train_layers, triton,
                keep_logits, shard, n,
            )  # fmt: skip
            m["grad_norm"] = self._optimizer_step()
            parts.append(m)
        if shard is not None:
            shard.refresh(self.model)
        self.steps += 1
        mean = {k: sum(m[k] for m in parts) / len(parts) for k in parts[0]}
        return {
            "loss": mean["loss"],
            "pg_loss": mean["pg_loss"],
            "kl": mean["kl"],
            "entropy": mean["entropy"],
            "clip_fraction": mean["clip_fraction"],
            "grad_norm": mean["grad_norm"],
            "tokens": shard.tokens(batch) if shard else int(batch.resp_len.sum()),
            "time_s": time.perf_counter() - t0,
            "peak_mem_gb": peak_memory_gb(device),
        }


def _validate(batch: RolloutBatch, p: TrainStepParams, has_ref: bool, rows: int) -> None:
    """What protocol.parse cannot check: the fit with the batch and the loaded model (the allowed
    values and ranges of each field are protocol.py's). rows: the generate call's (batch.rows on one
    process)."""
    if len(p.advantages) != rows:
        raise bad_config(f"train_step got {len(p.advantages)} advantages for a batch of {rows} rollouts.")
    if not all(math.isfinite(a) for a in p.advantages):
        raise bad_config("train_step got an advantage that is not a finite number.")
    if not 1 <= p.mini_batches <= rows:
        raise bad_config(f"mini_batches must be between 1 and the batch's {rows} rollouts.")
    if p.kl_coef != 0 and not has_ref:
        raise bad_config("kl_coef is not 0 but the model was loaded without a reference copy.", "no_reference")
    if rows == batch.rows and int(batch.resp_len.sum()) == 0:  # sharded: Trainer.step counts all ranks'
        raise bad_config("the batch has no response tokens to train on.")
