"""Batched sampling with a KV cache: n rollouts of each prompt, one shared prefill per prompt.

Prompts are left-padded to one length so every row writes the same cache column at each step. Each
distinct prompt is prefilled once and its cache rows are fanned out to its n rollouts.

Two decode loops follow the prefill. On CUDA, decode.py's DecodeRunner (static cache, CUDA graphs,
sampling on the GPU, host checks every CHECK_EVERY steps). On the CPU (and with the fast_decode option
off), _decode_eager: one step per token through model.py's forward on a KVCache from which finished
rows are dropped once enough of them have accumulated. They are not merged into one, on purpose:
- the runner samples by an exponential race on a noise buffer (capturable, no host sync), the eager
  loop with torch.multinomial: the same distribution, different draws for one seed, so moving the
  CPU onto the runner would change every seeded CPU run (the demo's table in README.md among them);
- the eager loop, written independently of the fused buffers and kernels, is the reference the runner
  is tested against (greedy tokens equal on the CPU in test_generate.py, where the runner's step runs
  without graphs; agreement on CUDA and against transformers in bench/rollout.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from .decode import CHECK_EVERY, Sampler, batch_buckets, filter_logits
from .fused import sample_exp
from .model import KVCache, Transformer
from .runtime import ModelRuntime
from .tokenizer import TextTokenizer


@dataclass
class SamplingParams:
    """generate's sampling options: protocol.GenerateParams' fields of the same names (the run's settings'
    names), with defaults for direct callers, plus ignore_eos for the bench tools."""

    rollouts: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    max_response_tokens: int = 256
    stop: list[str] = field(default_factory=list)
    seed: int | None = None
    ignore_eos: bool = False  # benchmarks: every row runs to max_response_tokens


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

    def host_lengths(self) -> tuple[list[int], list[int]]:
        """pad_left and resp_len as host lists, read from the device once (training plans its
        micro-batches with them without waiting for the GPU each time)."""
        cached = getattr(self, "_host_lengths", None)
        if cached is None:
            cached = (self.pad_left.tolist(), self.resp_len.tolist())
            self._host_lengths = cached
        return cached


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
    logits = filter_logits(logits.float() / temperature, top_k, top_p)
    return torch.multinomial(logits.softmax(-1), 1, generator=gen).squeeze(-1)


def left_pad(prompts: list[list[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    length = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), length), pad_id, dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, length - len(p) :] = torch.tensor(p, dtype=torch.long)
    pad_left = torch.tensor([length - len(p) for p in prompts], dtype=torch.long)
    return ids.to(device), pad_left.to(device)


def padded_causal_mask(pad_left: torch.Tensor, length: int, always: bool = False) -> torch.Tensor | None:
    """[rows, 1, length, length] causal mask that hides left padding; None when there is none (unless
    `always`: a wave of a call whose other prompts are padded computes as the whole call would).

    A padding query attends to itself only, so its softmax has one finite entry (no NaN); its output is
    never used.
    """
    if not always and not bool((pad_left > 0).any()):
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
        return self.hit_all(ids[-self.window :])

    def hit_all(self, ids: list[int]) -> bool:
        text = self.tok.decode(ids)
        return any(s in text for s in self.stop)

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
    fast: bool | None = None,
    runtime: ModelRuntime | None = None,
    wave_rows: int | None = None,
    on_rows: Callable[[list[tuple[int, Rollout]]], None] | None = None,
) -> tuple[list[Rollout], RolloutBatch, float]:
    """Samples sp.rollouts rollouts per prompt, prompt-major. Returns rollouts, their token batch and seconds.

    fast: the static-cache decode of decode.py (CUDA graphs on a GPU); None lets the runtime pick (on
    CUDA unless its options turn it off). runtime: the engine's ModelRuntime of `model`, which keeps the
    decode runner and its graphs between calls; without one, a call builds a fresh runner.

    wave_rows: decode the rows (prompts x rollouts, prompt-major) in consecutive waves of at most this
    many; None decodes all at once. Each wave prefills its own prompts and decodes on a KV cache sized
    for the wave, so the cache holds wave_rows x (prompt length + max_response_tokens) tokens at most
    instead of every row's (runtime.kv_cache_peak_bytes records what a call held). The result is
    laid out as one call's (row order, padding to the longest prompt, response width), and greedy
    tokens do not depend on wave_rows. Sampled tokens do: a seeded call draws its random numbers wave
    after wave, so the same seed and wave_rows give the same rollouts, and another wave_rows other ones
    from the same distribution. on_step counts decode steps over all waves (total: waves x
    max_response_tokens).

    on_rows: called with (row, rollout) pairs of rows that finished while the call goes on, each row
    once and as the result will hold it: at each host check of the decode loop (every step on the eager
    path, every CHECK_EVERY steps on the runner's) for rows that ended (EOS, stop string), and at the
    end of every wave but the last for all its rows. Rows of the last wave still running at its end
    are in the result only.
    """
    runtime = runtime or ModelRuntime(model)
    t0 = time.perf_counter()
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    gen = None
    if sp.seed is not None:
        gen = torch.Generator(device=device).manual_seed(sp.seed)
    pad_id = tok.pad_id if tok.pad_id is not None else (tok.eos_ids[0] if tok.eos_ids else 0)
    use_fast = (runtime.fast_decode() if fast is None else fast) and sp.max_response_tokens > 0

    # Every wave pads to the longest prompt of the call, so its rows are laid out as one call's.
    prompt_ids, pad_left = left_pad(prompts, pad_id, device)
    n, plen = sp.rollouts, prompt_ids.shape[1]
    rows = prompt_ids.shape[0] * n
    wave = rows if wave_rows is None else max(1, min(wave_rows, rows))
    waves = [(start, min(rows, start + wave)) for start in range(0, rows, wave)]
    eos = set() if sp.ignore_eos else set(tok.eos_ids)
    any_pad = bool((pad_left > 0).any())
    call = _Call(runtime, sp, gen, pad_id, eos, _StopChecker(tok, sp.stop), plen, any_pad, wave)
    call.same_prompt = all(p == prompts[0] for p in prompts)
    if on_rows is not None:
        call.stream = _Stream(on_rows, tok, call.stopper, n)
    runtime.kv_cache_peak_bytes = 0
    generated: list[list[int]] = []
    reasons: list[str | None] = []
    outs: list[torch.Tensor] = []
    for w, (start, end) in enumerate(waves):
        progress = _wave_progress(on_step, w, len(waves), sp.max_response_tokens)
        g, r, o = call.wave(prompt_ids, pad_left, start, end, use_fast, progress)
        if call.stream is not None and w < len(waves) - 1:
            call.stream.send(start, g, r, wave_ended=True)
        generated += g
        reasons += r
        outs.append(o[:, : max(sp.max_response_tokens, 1)])
    out = torch.cat(outs)

    sent = call.stream.built if call.stream is not None else {}  # their text is decoded already
    rollouts = [sent.get(r) or _rollout(tok, call.stopper, generated[r], reasons[r], r // n) for r in range(rows)]
    resp_len = torch.tensor([len(g) for g in generated], dtype=torch.long, device=device)
    width = int(resp_len.max()) if rows else 0
    # Rows that finished but stayed in the batch kept sampling: blank what follows their end.
    out[torch.arange(out.shape[1], device=device)[None, :] >= resp_len[:, None]] = pad_id
    fan_out = torch.arange(prompt_ids.shape[0], device=device).repeat_interleave(n)
    batch = RolloutBatch(
        tokens=torch.cat([prompt_ids[fan_out], out[:, :width]], dim=1),
        prompt_len=plen,
        pad_left=pad_left[fan_out],
        resp_len=resp_len,
        prompt_index=[r // n for r in range(rows)],
    )
    model.train(was_training)
    return rollouts, batch, time.perf_counter() - t0


def _rollout(tok: TextTokenizer, stopper: _StopChecker, ids: list[int], reason: str | None, prompt_index: int) -> Rollout:
    """A finished row as generate returns it (a row still running at the end ran out of length)."""
    reason = reason or "length"
    text = tok.decode(ids[:-1] if reason == "stop" else ids)
    if reason == "stop_string":
        text = stopper.cut(text)
    return Rollout(prompt_index=prompt_index, text=text, tokens=len(ids), finish_reason=reason)


class _Stream:
    """generate's on_rows: sends each row once, built exactly as the result builds it."""

    def __init__(
        self, report: Callable[[list[tuple[int, Rollout]]], None], tok: TextTokenizer, stopper: _StopChecker, n: int
    ) -> None:
        self.report, self.tok, self.stopper, self.n = report, tok, stopper, n
        self.built: dict[int, Rollout] = {}  # the rows sent, by row

    def send(self, start: int, generated: list[list[int]], reasons: list[str | None], wave_ended: bool = False) -> None:
        """Rows of the wave starting at row `start` that ended and were not sent yet (all of them once
        the wave has ended: those still running ran out of length)."""
        new = [i for i, r in enumerate(reasons) if (r is not None or wave_ended) and start + i not in self.built]
        if not new:
            return
        for i in new:
            self.built[start + i] = _rollout(self.tok, self.stopper, generated[i], reasons[i], (start + i) // self.n)
        self.report([(start + i, self.built[start + i]) for i in new])


def _wave_progress(
    on_step: Callable[[int, int], None] | None, wave: int, waves: int, max_new: int
) -> Callable[[int, int], None] | None:
    """A wave's decode steps as steps of the whole call (waves x max_new of them)."""
    if on_step is None:
        return None
    report = on_step
    return lambda done, _total: report(wave * max_new + done, waves * max_new)


@dataclass
class _Call:
    """What the waves of one generate call share: its sampling, its random generator (drawn from wave
    after wave) and the padded prompt length."""

    runtime: ModelRuntime
    sp: SamplingParams
    gen: torch.Generator | None
    pad_id: int
    eos: set[int]
    stopper: _StopChecker
    plen: int
    any_pad: bool  # whether any prompt of the call is padded: every wave then masks as one call would
    wave_size: int  # rows per wave; the last one may hold fewer
    same_prompt: bool = False  # every row has the same prompt: its cache columns are shared (decode.py)
    stream: _Stream | None = None  # generate's on_rows
    start: int = 0  # the first row of the wave being decoded

    def finished(self, generated: list[list[int]], reasons: list[str | None]) -> None:
        """A decode loop's host check: rows of the current wave that ended since the last go to on_rows."""
        if self.stream is not None:
            self.stream.send(self.start, generated, reasons)

    def wave(
        self,
        prompt_ids: torch.Tensor,
        pad_left: torch.Tensor,
        start: int,
        end: int,
        use_fast: bool,
        on_step: Callable[[int, int], None] | None,
    ) -> Decoded:
        """Rows [start, end) of the call: their prompts prefilled once each, then decoded."""
        self.start = start
        model, sp, n, plen = self.runtime.model, self.sp, self.sp.rollouts, self.plen
        first, last = start // n, (end - 1) // n
        ids, pads = prompt_ids[first : last + 1], pad_left[first : last + 1]
        device, dtype = ids.device, next(model.parameters()).dtype
        # The runner keeps its own cache: the fast path's prefill cache needs the prompt's columns only.
        length = plen if use_fast else plen + sp.max_response_tokens
        cache = KVCache(model.cfg, ids.shape[0], length, dtype, device)
        self.held(cache.nbytes())
        positions = (torch.arange(plen, device=device)[None, :] - pads[:, None]).clamp(min=0)
        mask = padded_causal_mask(pads, plen, always=self.any_pad)
        logits = model.lm_head(model.hidden(ids, positions, mask, cache, 0)[:, -1])
        fan_out = torch.arange(start, end, device=device) // n - first
        if use_fast:
            return _decode_fast(self, cache, fan_out, logits, pads[fan_out], on_step)
        return _decode_eager(self, cache, fan_out, logits, pads[fan_out], on_step)

    def held(self, nbytes: int) -> None:
        """Notes that the call holds `nbytes` of KV cache now (runtime.kv_cache_peak_bytes keeps the most)."""
        self.runtime.kv_cache_peak_bytes = max(self.runtime.kv_cache_peak_bytes, nbytes)


Decoded = tuple[list[list[int]], list[str | None], torch.Tensor]


def _decode_eager(
    call: _Call,
    cache: KVCache,
    fan_out: torch.Tensor,
    logits: torch.Tensor,
    row_pad: torch.Tensor,
    on_step: Callable[[int, int], None] | None,
) -> Decoded:
    """One Python step per token on a cache that shrinks as rows finish (the CPU path)."""
    model, sp, plen, pad_id, eos, stopper, gen = (
        call.runtime.model, call.sp, call.plen, call.pad_id, call.eos, call.stopper, call.gen
    )  # fmt: skip
    device = logits.device
    max_new = sp.max_response_tokens
    cache.select_rows(fan_out)
    call.held(cache.nbytes())
    logits = logits[fan_out]
    rows = fan_out.numel()
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
        call.finished(generated, reasons)  # this loop checks every step: rows go out as they end
        if len(batch_rows) - len(live) >= max(1, len(batch_rows) // 8):
            keep = torch.tensor(live, device=device)
            cache.select_rows(keep)
            nxt, row_pad, key_valid = nxt[keep], row_pad[keep], key_valid[keep]
            batch_rows = [batch_rows[i] for i in live]
        col = plen + step
        pos = (col - row_pad)[:, None]
        mask = key_valid[:, None, None, : col + 1] if call.any_pad else None
        logits = model.lm_head(model.hidden(nxt[:, None], pos, mask, cache, col)[:, -1])
    return generated, reasons, out


def _decode_fast(
    call: _Call,
    cache: KVCache,
    fan_out: torch.Tensor,
    logits: torch.Tensor,
    row_pad: torch.Tensor,
    on_step: Callable[[int, int], None] | None,
) -> Decoded:
    """The static-cache decode (decode.py): graph replays, host checks every CHECK_EVERY steps.

    Rows run on until the next check after they finish; what they sample meanwhile is dropped. When
    the live rows fit a smaller batch bucket they are moved to the front and the batch shrinks. Every
    wave of a call uses the batch buckets of the wave size, so the graphs the first wave captured
    serve the others; a smaller last wave starts in the smallest bucket that holds it, its spare slots
    decoding a copy of its first row (no graph is captured for its exact size).
    """
    sp, plen, pad_id, eos, stopper, gen = call.sp, call.plen, call.pad_id, call.eos, call.stopper, call.gen
    device = logits.device
    max_new = sp.max_response_tokens
    rows = fan_out.numel()
    runner = call.runtime.decode_runner(call.wave_size, plen + max_new)
    call.held(cache.nbytes() + runner.kv_nbytes())
    buckets = batch_buckets(call.wave_size)
    sampler = Sampler(greedy=sp.temperature <= 0, top_k=sp.top_k, top_p=sp.top_p)
    runner.inv_temp.fill_(1.0 / sp.temperature if sp.temperature > 0 else 1.0)
    for i in range(len(runner.k)):
        runner.k[i][:rows, :, :plen] = cache.k[i][fan_out]
        runner.v[i][:rows, :, :plen] = cache.v[i][fan_out]
    logits = logits[fan_out]
    if sampler.greedy:
        first = logits.argmax(-1)
    else:
        noise = runner.noise[:rows].exponential_(generator=gen)
        first = sample_exp(filter_logits(logits, sp.top_k, sp.top_p), noise, runner.inv_temp)
    runner.tok[:rows] = first
    runner.pos[:rows] = plen - row_pad
    runner.col.fill_(plen)
    runner.shared.fill_(plen if call.same_prompt else 0)
    runner.out[:rows, plen] = first
    runner.pad_bias.zero_()
    runner.pad_bias[:rows].masked_fill_(runner.cols[None, :] < row_pad[:, None], float("-inf"))
    b = next(v for v in buckets if v >= rows)
    if b > rows:  # spare slots decode a copy of the first row; nothing reads what they produce
        for buf in (*runner.k, *runner.v, runner.tok, runner.pos, runner.pad_bias, runner.out):
            buf[rows:b] = buf[:1]

    final = torch.full((rows, max_new), pad_id, dtype=torch.long, device=device)
    generated: list[list[int]] = [[] for _ in range(rows)]
    reasons: list[str | None] = [None] * rows
    slots = list(range(rows))  # original row of each live slot, slots [0, len(slots)) of the buffers
    checked = 0  # tokens per slot already read back and checked on the host

    def check(upto: int) -> None:
        nonlocal checked
        new = runner.out[: len(slots), plen + checked : plen + upto].tolist()
        for r, toks in zip(slots, new, strict=True):
            if reasons[r] is None:
                reasons[r] = _take(generated[r], toks, eos, stopper)
        checked = upto

    def compact(upto: int) -> None:
        nonlocal slots, b
        live = [i for i, r in enumerate(slots) if reasons[r] is None]
        target = next(v for v in buckets if v >= len(live))
        if target >= b:
            return
        final[torch.tensor(slots, device=device)] = runner.out[: len(slots), plen : plen + max_new]
        keep = torch.tensor(live, device=device, dtype=torch.long)
        n_cols = plen + upto
        for i in range(len(runner.k)):
            runner.k[i][: len(live), :, :n_cols] = runner.k[i][keep, :, :n_cols]
            runner.v[i][: len(live), :, :n_cols] = runner.v[i][keep, :, :n_cols]
        for buf in (runner.tok, runner.pos, runner.pad_bias, runner.out):
            buf[: len(live)] = buf[keep]
        slots = [slots[i] for i in live]
        b = target

    for step in range(1, max_new):
        col = plen + step - 1
        length = runner.length_bucket(col + 1)
        runner.run_step(b, length, sampler, gen)
        if (step + 1) % CHECK_EVERY == 0:
            check(step + 1)
            if on_step is not None:
                on_step(step + 1, max_new)
            call.finished(generated, reasons)
            if all(reasons[r] is not None for r in slots):
                break
            compact(step + 1)
    if checked < max_new and any(reasons[r] is None for r in slots):
        check(max_new)
    if on_step is not None:
        on_step(max_new, max_new)
    final[torch.tensor(slots, device=device)] = runner.out[: len(slots), plen : plen + max_new]
    return generated, reasons, final


def _take(generated: list[int], toks: list[int], eos: set[int], stopper: _StopChecker) -> str | None:
    """Appends `toks` to a live row until it ends; returns why it ended, or None."""
    # One decode of the chunk with its context rules stop strings out for most chunks.
    scan = bool(stopper.stop) and stopper.hit_all(generated[-stopper.window :] + toks)
    for t in toks:
        generated.append(t)
        if t in eos:
            return "stop"
        if scan and stopper.hit(generated):
            return "stop_string"
    return None
