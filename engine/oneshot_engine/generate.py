"""Batched sampling with a KV cache: n rollouts of each prompt, one shared prefill per prompt.

Prompts are left-padded to one length so every row writes the same cache column at each step. Each
distinct prompt is prefilled once and its cache rows are fanned out to its n rollouts. Finished rows
are dropped from the batch (cache rows included) once enough of them have accumulated.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from .model import KVCache, Transformer
from .tokenizer import TextTokenizer


@dataclass
class SamplingParams:
    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    max_new_tokens: int = 256
    stop: list[str] = field(default_factory=list)
    seed: int | None = None


@dataclass
class RolloutBatch:
    """Token ids of one generate call, kept on the device for train_step.

    tokens[r] = left padding, prompt, response, right padding; responses start at column prompt_len.
    """

    tokens: torch.Tensor  # [rows, prompt_len + max response length], long
    prompt_len: int
    pad_left: torch.Tensor  # [rows], long
    resp_len: torch.Tensor  # [rows], long
    prompt_index: list[int]

    @property
    def rows(self) -> int:
        return self.tokens.shape[0]


@dataclass
class Rollout:
    prompt_index: int
    text: str
    tokens: int
    finish_reason: str  # "stop" | "length" | "stop_string"


def sample(
    logits: torch.Tensor, temperature: float, top_k: int, top_p: float, gen: torch.Generator | None
) -> torch.Tensor:
    """One token per row from [rows, vocab] logits; temperature <= 0 means greedy."""
    if temperature <= 0:
        return logits.argmax(-1)
    logits = logits.float() / temperature
    if 0 < top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = sorted_logits.softmax(-1)
        # Drop a token when the tokens before it already cover top_p (the first one always stays).
        drop = (probs.cumsum(-1) - probs) > top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
    return torch.multinomial(logits.softmax(-1), 1, generator=gen).squeeze(-1)


def left_pad(prompts: list[list[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    length = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), length), pad_id, dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, length - len(p) :] = torch.tensor(p, dtype=torch.long)
    pad_left = torch.tensor([length - len(p) for p in prompts], dtype=torch.long)
    return ids.to(device), pad_left.to(device)


def padded_causal_mask(pad_left: torch.Tensor, length: int) -> torch.Tensor | None:
    """[rows, 1, length, length] causal mask that hides left padding; None when there is none.

    A padding query attends to itself only, so its softmax has one finite entry (no NaN); its output is
    never used.
    """
    if not bool((pad_left > 0).any()):
        return None
    cols = torch.arange(length, device=pad_left.device)
    causal = cols[None, :] <= cols[:, None]
    valid = cols[None, :] >= pad_left[:, None]
    mask = causal[None] & valid[:, None, :]
    mask |= torch.eye(length, dtype=torch.bool, device=pad_left.device)[None]
    return mask.unsqueeze(1)


class _StopChecker:
    def __init__(self, tok: TextTokenizer, stop: list[str]) -> None:
        self.tok = tok
        self.stop = [s for s in stop if s]
        # Every token decodes to at least one byte, so this many tail tokens cover any stop string.
        self.window = 2 * max((len(s.encode()) for s in self.stop), default=0) + 4

    def hit(self, ids: list[int]) -> bool:
        if not self.stop:
            return False
        tail = self.tok.decode(ids[-self.window :])
        return any(s in tail for s in self.stop)

    def cut(self, text: str) -> str:
        """Text up to the first stop string (the stop string itself excluded, as vLLM does)."""
        found = [text.find(s) for s in self.stop if s in text]
        return text[: min(found)] if found else text


@torch.no_grad()
def generate(
    model: Transformer,
    tok: TextTokenizer,
    prompts: list[list[int]],
    sp: SamplingParams,
    on_step: Callable[[int, int], None] | None = None,
) -> tuple[list[Rollout], RolloutBatch, float]:
    """Samples sp.n rollouts per prompt, prompt-major. Returns rollouts, their token batch and seconds."""
    t0 = time.perf_counter()
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    gen = None
    if sp.seed is not None:
        gen = torch.Generator(device=device).manual_seed(sp.seed)
    pad_id = tok.pad_id if tok.pad_id is not None else (tok.eos_ids[0] if tok.eos_ids else 0)
    eos = set(tok.eos_ids)
    stopper = _StopChecker(tok, sp.stop)
    n, max_new = sp.n, sp.max_new_tokens

    prompt_ids, pad_left = left_pad(prompts, pad_id, device)
    n_prompts, plen = prompt_ids.shape
    cache = KVCache(model.cfg, n_prompts, plen + max_new, dtype, device)
    positions = (torch.arange(plen, device=device)[None, :] - pad_left[:, None]).clamp(min=0)
    hidden = model.hidden(prompt_ids, positions, padded_causal_mask(pad_left, plen), cache, 0)
    logits = model.lm_head(hidden[:, -1])

    fan_out = torch.arange(n_prompts, device=device).repeat_interleave(n)
    cache.select_rows(fan_out)
    logits, row_pad = logits[fan_out], pad_left[fan_out]
    rows = n_prompts * n
    any_pad = bool((pad_left > 0).any())
    key_valid = torch.arange(plen + max_new, device=device)[None, :] >= row_pad[:, None]

    out = torch.full((rows, max(max_new, 1)), pad_id, dtype=torch.long, device=device)
    generated: list[list[int]] = [[] for _ in range(rows)]
    reasons: list[str | None] = [None] * rows
    batch_rows = list(range(rows))  # original row id of each position in the current batch
    for step in range(max_new):
        nxt = sample(logits, sp.temperature, sp.top_k, sp.top_p, gen)
        out[torch.tensor(batch_rows, device=device), step] = nxt
        for r, t in zip(batch_rows, nxt.tolist(), strict=True):
            if reasons[r] is not None:
                continue
            generated[r].append(t)
            if t in eos:
                reasons[r] = "stop"
            elif stopper.hit(generated[r]):
                reasons[r] = "stop_string"
        if on_step is not None and (step % 16 == 0 or step == max_new - 1):
            on_step(step + 1, max_new)
        live = [i for i, r in enumerate(batch_rows) if reasons[r] is None]
        if not live or step == max_new - 1:
            break
        if len(batch_rows) - len(live) >= max(1, len(batch_rows) // 8):
            keep = torch.tensor(live, device=device)
            cache.select_rows(keep)
            nxt, row_pad, key_valid = nxt[keep], row_pad[keep], key_valid[keep]
            batch_rows = [batch_rows[i] for i in live]
        col = plen + step
        pos = (col - row_pad)[:, None]
        mask = key_valid[:, None, None, : col + 1] if any_pad else None
        logits = model.lm_head(model.hidden(nxt[:, None], pos, mask, cache, col)[:, -1])

    rollouts = []
    for r in range(rows):
        ids = generated[r]
        reason = reasons[r] or "length"
        text = tok.decode(ids[:-1] if reason == "stop" else ids)
        if reason == "stop_string":
            text = stopper.cut(text)
        rollouts.append(Rollout(prompt_index=r // n, text=text, tokens=len(ids), finish_reason=reason))
    resp_len = torch.tensor([len(g) for g in generated], dtype=torch.long, device=device)
    width = int(resp_len.max()) if rows else 0
    # Rows that finished but stayed in the batch kept sampling: blank what follows their end.
    out[torch.arange(out.shape[1], device=device)[None, :] >= resp_len[:, None]] = pad_id
    batch = RolloutBatch(
        tokens=torch.cat([prompt_ids[fan_out], out[:, :width]], dim=1),
        prompt_len=plen,
        pad_left=pad_left[fan_out],
        resp_len=resp_len,
        prompt_index=[r // n for r in range(rows)],
    )
    model.train(was_training)
    return rollouts, batch, time.perf_counter() - t0
