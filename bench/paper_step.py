"""One paper-shaped RLVR step through the engine's real path, phase by phase, against its floors.

H200 (about 4-5 minutes; the rollout is the whole 1,024 x 3,072, the training phase is timed on a few
micro-batches per variant and scaled to the 1,024 rows; these are the defaults):

    python3 bench/paper_step.py --commit <sha> --out bench/results/paper-step-<date>.json \
        --variants all:16,auto:4,auto:8,auto:16 --wave-rows 0

An 80 GB card's plan (3 waves of 342, the engine capped at 80 GB): add --memory-limit-gb 80 --wave-rows 342.

CPU check (seconds):

    python3 bench/paper_step.py --shape tiny --device cpu --dtype float32 --prompt-copies 2 --rollouts 4 \
        --new-tokens 24 --prompt-len 8 --wave-rows 4 --train-micro-batches 2 --variants all:2,none:2 --out /tmp/p.json

What it does, on a random-init model of the shape (Qwen2.5-1.5B by default), EOS disabled so every row
runs to --new-tokens (the worst case a random model always hits):
1. ceilings: HBM copy bandwidth and the bf16 matmul rate, measured here (common.measure_ceilings);
2. rollout: generate() of prompt_copies x rollouts rows (temperature 0.6) in waves of --wave-rows,
   through the engine's ModelRuntime (static cache, CUDA graphs) as `oneshot train` runs it; decode
   ms/step per window of steps against the bandwidth floor (weights once per step + every row's live
   KV columns); prefill timed on its own (a generate of one token per wave);
3. decode steps at fixed contexts (--decode-contexts): graph replays of the runner at those columns,
   CUDA-event timed, each against its floor, and one torch.profiler pass at the longest;
4. training, per variant CKPT:MICRO[:free] (CKPT all = gradient_checkpointing on, the paper preset's
   setting until micro-batches of 4; auto = the engine's rule: it frees the decode runner when that
   saves enough recomputation (kv_release), then picks leading layers from free memory, as the
   preset now runs; none = no layer; `free` releases the decode runner and its KV cache first; once
   freed, every later variant runs without it):
   one warm-up Trainer.step on one micro-batch, then a timed Trainer.step on --train-micro-batches
   micro-batches of the rollout batch (PPO-clip, low_var_kl 0.001 with a frozen reference, entropy
   0.001, token-mean, fp32 master weights): reference log-probs, each micro-batch's forward and
   backward, the optimizer step (CUDA events); scaled to every row; MFU against 6N + attention FLOPs;
   peak memory; checkpointed layers;
5. one torch.profiler pass over --profile-micro-batches micro-batches of the first variant: kernel time
   by class (GEMM, attention fwd/bwd, elementwise/norm, log-prob kernel, optimizer, memcpy, other).
Writes one JSON (record_header: device, date, command, commit) and prints a table.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import math
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch
from common import (
    SHAPES,
    BenchTokenizer,
    matmul_params,
    measure_ceilings,
    record_header,
    sync,
    weight_bytes,
    write_record,
)
from oneshot_engine import train as train_mod
from oneshot_engine.decode import DecodeRunner, Sampler
from oneshot_engine.generate import RolloutBatch, SamplingParams, generate
from oneshot_engine.loading import build_model
from oneshot_engine.model import Transformer
from oneshot_engine.options import EngineOptions
from oneshot_engine.protocol import OptimizerParams, TrainStepParams
from oneshot_engine.runtime import ModelRuntime
from oneshot_engine.train import Trainer

GIB = 1024**3


# -- clocks ---------------------------------------------------------------------------------------


class Clock:
    """Marks on the GPU stream (CUDA events) or the host clock (CPU); seconds between two marks."""

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"

    def mark(self) -> Any:
        if self.cuda:
            e = torch.cuda.Event(enable_timing=True)
            e.record()
            return e
        return time.perf_counter()

    def seconds(self, a: Any, b: Any) -> float:
        if self.cuda:
            b.synchronize()
            return a.elapsed_time(b) / 1e3
        return b - a


# -- floors ---------------------------------------------------------------------------------------


def kv_bytes_per_token(model: Transformer) -> int:
    cfg = model.cfg
    return 2 * cfg.num_layers * cfg.num_kv_heads * cfg.head_dim * model.lm_head.weight.element_size()


def decode_floor_s(model: Transformer, rows: int, first_col: int, steps: int, bandwidth: float) -> float:
    """Seconds to read the weights once per step and every row's live KV columns (first_col + i + 1
    at step i) at `bandwidth` bytes/s, summed over `steps` decode steps."""
    w, kv = weight_bytes(model), kv_bytes_per_token(model)
    cols = steps * first_col + steps * (steps + 1) / 2
    return (steps * w + rows * kv * cols) / bandwidth


def decode_gemm_kv_floor_s(model: Transformer, rows: int, first_col: int, steps: int, bw: float, rate: float) -> float:
    """Seconds of `steps` decode steps when each step's matrix products run at `rate` (or read their
    weights at `bw`, whichever is longer) and its KV reads at `bw`, one after the other."""
    gemm = max(2 * matmul_params(model) * rows / rate, weight_bytes(model) / bw)
    kv = kv_bytes_per_token(model) * rows * (steps * first_col + steps * (steps + 1) / 2) / bw
    return steps * gemm + kv


def attention_flops(model: Transformer, rows: int, seq: int) -> float:
    """Causal attention's score and value products, forward only."""
    cfg = model.cfg
    return rows * 4 * cfg.num_layers * cfg.num_heads * cfg.head_dim * seq * seq / 2


def train_flops(model: Transformer, rows: int, plen: int, resp: int) -> float:
    """Forward + backward model FLOPs (6 per matmul parameter and token, lm_head on response tokens
    only, attention x3); recomputation not counted."""
    lm = model.lm_head.weight.numel()
    body = matmul_params(model) - lm
    seq = plen + resp
    return rows * (6 * body * seq + 6 * lm * resp) + 3 * attention_flops(model, rows, seq)


def forward_flops(model: Transformer, rows: int, plen: int, resp: int) -> float:
    lm = model.lm_head.weight.numel()
    body = matmul_params(model) - lm
    return rows * (2 * body * (plen + resp) + 2 * lm * resp) + attention_flops(model, rows, plen + resp)


# -- kernel classes -------------------------------------------------------------------------------


def kernel_class(name: str) -> str:
    n = name.lower()
    if "memcpy" in n or "memset" in n:
        return "memcpy"
    if n.startswith(("_fwd_kernel", "_bwd_kernel")) or "logp" in n:  # triton_logp.py's kernels
        return "logp kernel"
    if any(k in n for k in ("flash", "fmha", "attention", "_attn_", "attn", "sdpa", "efficient")):
        # flash: flash_bwd_*; cuDNN: *bprop*; mem-efficient: fmha_cutlassB_* (F: forward).
        backward = any(k in n for k in ("bwd", "backward", "bprop", "cutlassb"))
        return "attention bwd" if backward else "attention fwd"
    if any(k in n for k in ("adam", "multi_tensor", "foreach")):
        return "optimizer / foreach"
    if any(k in n for k in ("gemm", "cutlass", "nvjet", "xmma", "matmul", "sm90_", "splitk")):
        return "gemm"
    if any(k in n for k in ("triton", "elementwise", "vectorized", "reduce", "norm", "softmax", "exponential",
                            "copy", "fill", "cat", "index", "rope", "silu")):
        return "elementwise / norm"
    return "other"


def profile_kernels(fn: Callable[[], Any], device: torch.device) -> dict[str, Any]:
    """GPU time by kernel class over one call of fn, the wall time around it, the top kernels."""
    from torch.profiler import ProfilerActivity, profile

    acts = [ProfilerActivity.CUDA] if device.type == "cuda" else [ProfilerActivity.CPU]
    sync(device)
    t0 = time.perf_counter()
    with profile(activities=acts) as prof:
        fn()
        sync(device)
    wall = time.perf_counter() - t0
    groups: dict[str, float] = {}
    counts: dict[str, int] = {}
    top = []
    for e in prof.key_averages():
        us = e.device_time_total if device.type == "cuda" else e.self_cpu_time_total
        if us <= 0:
            continue
        c = kernel_class(e.key)
        groups[c] = groups.get(c, 0.0) + us / 1e3
        counts[c] = counts.get(c, 0) + e.count
        top.append({"name": e.key[:100], "class": c, "ms": round(us / 1e3, 2), "calls": e.count})
    top.sort(key=lambda r: -r["ms"])
    return {
        "wall_ms": round(wall * 1e3, 1),
        "kernel_ms": round(sum(groups.values()), 1),
        "by_class_ms": {k: round(v, 1) for k, v in sorted(groups.items(), key=lambda kv: -kv[1])},
        "launches_by_class": counts,
        "top_kernels": top[:25],
    }


# -- phases ---------------------------------------------------------------------------------------


def rollout_phase(
    model: Transformer, runtime: ModelRuntime, a: argparse.Namespace, ceil: dict[str, float], warm_up: bool = True
) -> tuple[RolloutBatch, dict[str, Any]]:
    device = runtime.device
    vocab = model.cfg.vocab_size
    prompt = [(7 * i + 3) % (vocab - 1) + 1 for i in range(a.prompt_len)]
    prompts = [prompt] * a.prompt_copies
    rows = a.prompt_copies * a.rollouts
    wave = rows if a.wave_rows in (None, 0) else min(a.wave_rows, rows)
    tok = BenchTokenizer()
    # Compiles the decode helpers (the engine does so at its first generate as well).
    if warm_up:
        warm = SamplingParams(rollouts=2, temperature=0.6, max_response_tokens=8, seed=0, ignore_eos=True)
        generate(model, tok, [prompt], warm, runtime=runtime)  # type: ignore[arg-type]
    sp = SamplingParams(rollouts=a.rollouts, temperature=0.6, max_response_tokens=a.new_tokens, seed=1, ignore_eos=True)
    marks: list[tuple[int, float]] = []
    sync(device)
    t0 = time.perf_counter()
    # on_step runs right after generate's host check, which waited for the GPU: its clock is the GPU's.
    _, batch, _ = generate(
        model, tok, prompts, sp, runtime=runtime, wave_rows=wave,  # type: ignore[arg-type]
        on_step=lambda done, _total: marks.append((done, time.perf_counter() - t0)),
    )
    sync(device)
    total = time.perf_counter() - t0
    capture = runtime.decoder.capture_s if runtime.decoder is not None else 0.0
    n_waves = math.ceil(rows / wave)
    # Prefill alone: one generated token per wave (prefill, fan-out into the runner, one sample).
    one = dataclasses.replace(sp, max_response_tokens=1)
    sync(device)
    t1 = time.perf_counter()
    generate(model, tok, prompts, one, runtime=runtime, wave_rows=wave)  # type: ignore[arg-type]
    sync(device)
    prefill = time.perf_counter() - t1
    bw = ceil["copy_bytes_per_s"]
    plen = batch.prompt_len
    floor = sum(
        decode_floor_s(model, min(wave, rows - s), plen, a.new_tokens, bw) for s in range(0, rows, wave)
    )
    gemm_kv = sum(
        decode_gemm_kv_floor_s(model, min(wave, rows - s), plen, a.new_tokens, bw, ceil["bf16_flops_per_s"])
        for s in range(0, rows, wave)
    )
    windows = decode_windows(model, marks, a.new_tokens, rows, wave, plen, bw, a.window)
    res = {
        "rows": rows,
        "wave_rows": wave,
        "waves": n_waves,
        "prompt_len": plen,
        "new_tokens": a.new_tokens,
        "seconds": round(total, 3),
        "tokens_per_s": round(rows * a.new_tokens / total, 1),
        "capture_s": round(capture, 3),
        "prefill_s_all_waves": round(prefill, 3),
        "kv_cache_gb": round(runtime.kv_cache_peak_bytes / GIB, 3),
        "floor_s": round(floor, 3),
        "pct_of_floor": round(100 * floor / total, 1),
        # The decode's GEMMs at 1,024 rows are compute-bound and run one after another with the
        # attention, so a tighter floor adds their FLOPs at the matmul rate to the KV reads.
        "floor_gemm_plus_kv_s": round(gemm_kv, 3),
        "pct_of_gemm_plus_kv_floor": round(100 * gemm_kv / total, 1),
        "windows": windows,
    }
    if device.type == "cuda":
        res["peak_gb"] = round(torch.cuda.max_memory_allocated(device) / GIB, 2)
    return batch, res


def decode_windows(
    model: Transformer, marks: list[tuple[int, float]], new: int, rows: int, wave: int, plen: int, bw: float, window: int
) -> dict[str, Any]:
    """ms/step over windows of about `window` decode steps of one wave, each against its floor: the
    last full-size wave when there are several (the first one also captures the graphs), else the
    only one (its windows then include the captures and the prefill)."""
    full_waves = rows // wave
    w = full_waves - 1 if full_waves > 1 else 0
    lo = w * new
    before = [t for d, t in marks if d <= lo]
    prev_d, prev_t = 0, (before[-1] if before and w > 0 else 0.0)
    out = []
    for d, t in ((d - lo, t) for d, t in marks if lo < d <= lo + new):
        if d > prev_d and (d - prev_d >= window or d == new):  # the last mark can repeat
            steps = d - prev_d
            fl = decode_floor_s(model, wave, plen + prev_d, steps, bw)
            out.append({
                "steps": [prev_d, d],
                "ms_per_step": round((t - prev_t) / steps * 1e3, 3),
                "floor_ms_per_step": round(fl / steps * 1e3, 3),
                "pct_of_floor": round(100 * fl / (t - prev_t), 1),
            })
            prev_d, prev_t = d, t
    return {"wave": w, "includes_capture": w == 0, "windows": out}


def decode_contexts(model: Transformer, runtime: ModelRuntime, a: argparse.Namespace, ceil: dict[str, float], rows: int, max_len: int) -> dict[str, Any]:
    """Graph replays of the decode step at fixed columns (the runner's cache holds whatever the
    rollout left: timing only), each against its bandwidth floor; a kernel profile at the longest."""
    device = runtime.device
    runner = runtime.decoder or DecodeRunner(model, rows, max_len, options=runtime.options)
    b = min(rows, runner.rows_max)
    sampler = Sampler(greedy=False, top_k=0, top_p=1.0)
    gen = torch.Generator(device=device).manual_seed(0)
    clock = Clock(device)
    out: dict[str, Any] = {"rows": b, "by_context": []}
    contexts = [c for c in a.decode_contexts if c + a.decode_steps + 1 < runner.max_len]
    model.eval()

    def run(col: int, steps: int) -> None:
        runner.col.fill_(col)
        runner.pos[:b].fill_(col)
        length = runner.length_bucket(col + steps + 1)
        for _ in range(steps):
            runner.run_step(b, length, sampler, gen)

    with torch.no_grad():
        for col in contexts:
            run(col, 2)  # captures this bucket's graph if the rollout did not
            m0 = clock.mark()
            run(col, a.decode_steps)
            m1 = clock.mark()
            s = clock.seconds(m0, m1) / a.decode_steps
            fl = decode_floor_s(model, b, col, 1, ceil["copy_bytes_per_s"])
            out["by_context"].append({
                "context": col, "ms_per_step": round(s * 1e3, 3), "floor_ms_per_step": round(fl * 1e3, 3),
                "pct_of_floor": round(100 * fl / s, 1),
            })
            print(f"decode @ {col} keys, {b} rows: {s * 1e3:.2f} ms/step (floor {fl * 1e3:.2f})", flush=True)
        if contexts and a.profile:
            col = contexts[-1]
            out["profile_context"] = col
            out["profile_steps"] = a.decode_steps
            out["profile"] = profile_kernels(lambda: run(col, a.decode_steps), device)
    return out


def attention_sweep(model: Transformer, device: torch.device, rows: int, contexts: list[int], bw: float) -> dict[str, Any]:
    """The Triton split-K decode attention alone (one layer, random cache) at `rows` rows per context,
    over block/split/warp/stage choices: seconds and the share of the copy bandwidth its K/V reads
    reach. What the engine picks today (splits=None, block 64, 4 warps, 2 stages) comes first."""
    from oneshot_engine import triton_decode as td

    if not td.available(device):
        return {"skipped": "needs CUDA with Triton (or TRITON_INTERPRET=1 on the CPU)"}
    if device.type == "cuda":
        from common import cuda_median_s as timer
    else:  # Triton's interpreter: checks that every configuration runs, its times mean nothing

        def timer(fn: Callable[[], Any], _reps: int) -> float:
            t0 = time.perf_counter()
            fn()
            return time.perf_counter() - t0

    cfg = model.cfg
    max_len = math.ceil((max(contexts) + 1) / 128) * 128
    dt = model.lm_head.weight.dtype
    k = torch.randn(rows, cfg.num_kv_heads, max_len, cfg.head_dim, dtype=dt, device=device)
    v = torch.randn_like(k)
    q = torch.randn(rows, cfg.num_heads, cfg.head_dim, dtype=dt, device=device)
    bias = torch.zeros(rows, max_len, dtype=dt, device=device)
    col = torch.zeros(1, dtype=torch.long, device=device)
    grid: list[dict[str, Any]] = [{"block_n": 64, "splits": None, "num_warps": 4, "num_stages": 2}]
    for block_n in (64, 128):
        for splits in (1, 2):
            for warps, stages in ((4, 2), (4, 3), (8, 3), (4, 4)):
                grid.append({"block_n": block_n, "splits": splits, "num_warps": warps, "num_stages": stages})
    out = []
    for ctx in contexts:
        col.fill_(ctx - 1)
        length = min(max_len, math.ceil(ctx / 128) * 128)
        nbytes = 2 * rows * cfg.num_kv_heads * ctx * cfg.head_dim * 2
        for g in grid:
            try:
                s = timer(lambda g=g, length=length: td.decode_attention(q, k, v, bias, col, length, **g), 10)
            except Exception as e:  # noqa: BLE001 - a config Triton cannot build is a result too
                out.append({"context": ctx, **g, "error": f"{type(e).__name__}: {str(e)[:120]}"})
                continue
            out.append({"context": ctx, **g, "us": round(s * 1e6, 1), "pct_of_copy_bw": round(100 * nbytes / s / bw, 1)})
    best = {}
    for ctx in contexts:
        ok = [r for r in out if r["context"] == ctx and "us" in r]
        if ok:
            best[str(ctx)] = min(ok, key=lambda r: r["us"])
    return {"rows": rows, "results": out, "best": best}


def sub_batch(batch: RolloutBatch, rows: int) -> RolloutBatch:
    rows = min(rows, batch.rows)
    return RolloutBatch(
        tokens=batch.tokens[:rows], prompt_len=batch.prompt_len, pad_left=batch.pad_left[:rows],
        resp_len=batch.resp_len[:rows], prompt_index=batch.prompt_index[:rows],
    )


@dataclasses.dataclass
class Variant:
    ckpt: str  # all | auto | none
    micro: int
    free: bool

    @property
    def name(self) -> str:
        return f"{self.ckpt}:{self.micro}" + (":free" if self.free else "")


def parse_variants(text: str) -> list[Variant]:
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        bits = part.split(":")
        ckpt = {"planner": "auto", "engine": "auto"}.get(bits[0], bits[0])
        if ckpt not in ("all", "auto", "none") or len(bits) < 2 or (len(bits) == 3 and bits[2] != "free") or len(bits) > 3:
            raise SystemExit(f"bad variant {part!r}: CKPT:MICRO[:free] with CKPT all|auto|none")
        out.append(Variant(ckpt, int(bits[1]), len(bits) == 3))
    return out


class TrainProbe:
    """Marks inside Trainer.step without changing it: after the reference log-probs, after each
    micro-batch's forward (the scored log-probs) and backward (on_progress), around the optimizer."""

    def __init__(self, trainer: Trainer, clock: Clock) -> None:
        self.trainer, self.clock = trainer, clock
        self.marks: list[tuple[str, Any]] = []
        inner_ref, inner_fwd, inner_opt = train_mod.batch_logp, train_mod.response_logp_entropy, trainer._optimizer_step

        def ref(*args: Any, **kw: Any) -> Any:
            out = inner_ref(*args, **kw)
            self.marks.append(("ref", clock.mark()))
            return out

        def fwd(*args: Any, **kw: Any) -> Any:
            out = inner_fwd(*args, **kw)
            if torch.is_grad_enabled():
                self.marks.append(("fwd", clock.mark()))
            return out

        def opt() -> float:
            self.marks.append(("opt_start", clock.mark()))
            norm = inner_opt()
            self.marks.append(("opt_end", clock.mark()))
            return norm

        train_mod.batch_logp = ref
        train_mod.response_logp_entropy = fwd
        trainer._optimizer_step = opt  # type: ignore[method-assign]
        self._restore = (inner_ref, inner_fwd)

    def close(self) -> None:
        train_mod.batch_logp, train_mod.response_logp_entropy = self._restore

    def on_progress(self, _done: int, _total: int) -> None:
        self.marks.append(("bwd", self.clock.mark()))

    def step(self, batch: RolloutBatch, lp: TrainStepParams) -> dict[str, Any]:
        self.marks = [("start", self.clock.mark())]
        result = self.trainer.step(batch, lp, on_progress=self.on_progress)
        self.marks.append(("end", self.clock.mark()))
        sec = {"ref": 0.0, "fwd": 0.0, "bwd": 0.0, "opt": 0.0, "other": 0.0}
        micro: list[dict[str, float]] = []
        prev = self.marks[0][1]
        for kind, m in self.marks[1:]:
            s = self.clock.seconds(prev, m)
            if kind == "ref":
                sec["ref"] += s
            elif kind == "fwd":
                sec["fwd"] += s
                micro.append({"fwd_s": round(s, 4)})
            elif kind == "bwd":
                sec["bwd"] += s
                if micro:
                    micro[-1]["bwd_s"] = round(s, 4)
            elif kind == "opt_end":
                sec["opt"] += s
            else:
                sec["other"] += s
            prev = m
        return {"result": result, "sec": sec, "micro": micro}


@contextlib.contextmanager
def variant_settings(v: Variant, trainer: Trainer) -> Iterator[None]:
    """The variant's checkpointing for the trainer's steps inside the block."""
    trainer.model.gradient_checkpointing = v.ckpt == "all"
    saved_rule = train_mod.layers_to_checkpoint
    if v.ckpt == "none":
        train_mod.layers_to_checkpoint = lambda *_a, **_k: 0
    try:
        yield
    finally:
        train_mod.layers_to_checkpoint = saved_rule


def drop_grads(trainer: Trainer) -> None:
    """What an out-of-memory step left behind: partial gradients and cached blocks."""
    trainer.optimizer.zero_grad(set_to_none=True)
    for p in trainer.params:
        p.grad = None
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def oom_text(e: BaseException) -> str:
    return f"out of memory: {str(e).splitlines()[0][:160]}"


def is_oom(e: BaseException) -> bool:
    """torch's OutOfMemoryError, or one a compiled graph re-raised as a RuntimeError."""
    return isinstance(e, torch.cuda.OutOfMemoryError) or "out of memory" in str(e).lower()


def train_variant(
    v: Variant, trainer: Trainer, runtime: ModelRuntime, batch: RolloutBatch, lp: TrainStepParams,
    a: argparse.Namespace, ceil: dict[str, float],
) -> dict[str, Any]:
    model, device = trainer.model, runtime.device
    if v.free:
        runtime.release_decoder()
    clock = Clock(device)
    probe = TrainProbe(trainer, clock)
    n = min(batch.rows, v.micro * a.train_micro_batches)
    lp_v = dataclasses.replace(lp, micro_batch_size=v.micro)
    try:
        with variant_settings(v, trainer):
            warm = sub_batch(batch, v.micro)
            trainer.step(warm, dataclasses.replace(lp_v, advantages=lp.advantages[: warm.rows]))
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            t = probe.step(sub_batch(batch, n), dataclasses.replace(lp_v, advantages=lp.advantages[:n]))
        peak = torch.cuda.max_memory_allocated(device) / GIB if device.type == "cuda" else None
    except RuntimeError as e:  # torch.cuda.OutOfMemoryError is one
        if not is_oom(e):
            raise
        drop_grads(trainer)
        return {"variant": v.name, "decoder_held": runtime.decoder is not None, "error": oom_text(e)}
    finally:
        probe.close()
    sec = t["sec"]
    scale = batch.rows / n
    plen, resp = batch.prompt_len, int(batch.resp_len.max())
    fwd_bwd_full = (sec["fwd"] + sec["bwd"]) * scale
    ref_full = sec["ref"] * scale
    train_full = fwd_bwd_full + ref_full + sec["opt"] + sec["other"] * scale
    fl_train = train_flops(model, batch.rows, plen, resp)
    fl_ref = forward_flops(model, batch.rows, plen, resp)
    rate = ceil["bf16_flops_per_s"]
    return {
        "variant": v.name,
        "rows_timed": n,
        "checkpointed_layers": model.cfg.num_layers if v.ckpt == "all" else model.checkpoint_layers,
        "decoder_held": runtime.decoder is not None,
        "timed_s": {k: round(x, 4) for k, x in sec.items()},
        "micro_batches": t["micro"],
        "scaled_to_rows": batch.rows,
        "ref_logp_s": round(ref_full, 2),
        "fwd_bwd_s": round(fwd_bwd_full, 2),
        "optimizer_s": round(sec["opt"], 3),
        "train_phase_s": round(train_full, 2),
        "fwd_bwd_mfu": round(fl_train / fwd_bwd_full / rate, 4),
        "ref_mfu": round(fl_ref / max(ref_full, 1e-9) / rate, 4),
        "train_phase_mfu": round((fl_train + fl_ref) / train_full / rate, 4),
        "floor_s": round((fl_train + fl_ref) / rate, 2),
        "peak_gb": round(peak, 2) if peak is not None else None,
        "loss": round(float(t["result"]["loss"]), 6),
    }


def profile_train(trainer: Trainer, batch: RolloutBatch, lp: TrainStepParams, v: Variant, micro_batches: int) -> dict[str, Any]:
    n = min(batch.rows, v.micro * micro_batches)
    p = dataclasses.replace(lp, micro_batch_size=v.micro, advantages=lp.advantages[:n])
    device = batch.tokens.device
    try:
        with variant_settings(v, trainer):
            return {"variant": v.name, "rows": n, **profile_kernels(lambda: trainer.step(sub_batch(batch, n), p), device)}
    except RuntimeError as e:
        if not is_oom(e):
            raise
        drop_grads(trainer)
        return {"variant": v.name, "rows": n, "error": oom_text(e)}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", default="qwen2.5-1.5b", choices=sorted(SHAPES))
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float32"])
    ap.add_argument("--prompt-copies", type=int, default=128)
    ap.add_argument("--rollouts", type=int, default=8)
    ap.add_argument("--prompt-len", type=int, default=90, help="the paper example's prompt through the chat template")
    ap.add_argument("--new-tokens", type=int, default=3072)
    ap.add_argument("--wave-rows", type=int, default=0, help="rows per rollout wave (0: all at once; the plan picks 1,024 on a 141 GB H200, 342 under 80 GB)")
    ap.add_argument("--window", type=int, default=512, help="decode steps per ms/step window")
    ap.add_argument("--decode-contexts", type=lambda s: [int(x) for x in s.split(",")], default=[512, 1600, 3100])
    ap.add_argument("--decode-steps", type=int, default=20)
    ap.add_argument("--variants", default="all:16,auto:4,auto:8,auto:16", help="CKPT:MICRO[:free], comma-separated (CKPT all|auto|none)")
    ap.add_argument("--train-micro-batches", type=int, default=3, help="micro-batches timed per variant (scaled to every row)")
    ap.add_argument("--profile-micro-batches", type=int, default=1)
    ap.add_argument("--no-profile", dest="profile", action="store_false")
    ap.add_argument("--no-attn-sweep", dest="attn_sweep", action="store_false", help="skip the decode attention block/split sweep")
    ap.add_argument("--no-second-rollout", dest="second_rollout", action="store_false", help="skip the rollout after training (a later step's: new cache, graphs captured again)")
    ap.add_argument("--memory-limit-gb", type=float, default=None, help="the engine's memory cap (oneshot train --gpu-memory)")
    ap.add_argument("--commit", default=None)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    variants = parse_variants(a.variants)

    device, dtype = torch.device(a.device), getattr(torch, a.dtype)
    rec: dict[str, Any] = record_header("paper_step", device, "python3 bench/paper_step.py " + " ".join(argv), a.commit)
    t_all = time.perf_counter()
    ceil = measure_ceilings(device)
    print(f"ceilings: {ceil}", flush=True)
    torch.manual_seed(0)
    model = build_model(dict(SHAPES[a.shape]), dtype, device)
    with torch.no_grad():
        model.init_weights()
    reference = copy.deepcopy(model).requires_grad_(False).eval()
    options = EngineOptions.from_env()
    if a.memory_limit_gb is not None:
        options = dataclasses.replace(options, memory_limit_gb=a.memory_limit_gb)
    options.apply_torch_settings()
    runtime = ModelRuntime(model, options)
    model.requires_grad_(True)
    opt = OptimizerParams(lr=1e-6, weight_decay=0.01, adam_betas=(0.9, 0.999), adam_eps=1e-8, grad_clip=1.0, optimizer_state="fp32")
    trainer = Trainer(model, opt, reference, runtime)
    rec.update(shape=a.shape, dtype=a.dtype, ceilings=ceil, options=options.report(), params=sum(p.numel() for p in model.parameters()))

    batch, roll = rollout_phase(model, runtime, a, ceil)
    rec["rollout"] = roll
    print(f"rollout: {({k: v for k, v in roll.items() if k != 'windows'})}", flush=True)
    rows, max_len = batch.rows, batch.tokens.shape[1] + 1
    rec["decode_contexts"] = decode_contexts(model, runtime, a, ceil, min(rows, roll["wave_rows"]), max_len)
    if a.attn_sweep:
        rec["attention_sweep"] = attention_sweep(model, device, min(rows, roll["wave_rows"]), a.decode_contexts, ceil["copy_bytes_per_s"])
        for ctx, r in rec["attention_sweep"].get("best", {}).items():
            print(f"decode attention @ {ctx}: best {r}", flush=True)

    gen = torch.Generator().manual_seed(0)
    adv = (torch.randn(rows, generator=gen)).tolist()
    lp = TrainStepParams(
        batch_id="", advantages=adv, clip_ratio_low=0.2, clip_ratio_high=0.2, kl_coef=0.001, kl_type="low_var_kl",
        entropy_coef=0.001, loss_agg="token-mean", mini_batches=1, micro_batch_size=variants[0].micro,
    )
    rec["train"] = []
    for v in variants:
        r = train_variant(v, trainer, runtime, batch, lp, a, ceil)
        print(f"train {v.name}: {r}", flush=True)
        rec["train"].append(r)
    if a.second_rollout:
        # A later step's rollout: the runner the training pass freed is built and captured again (its
        # kernels are compiled by now), as every step after the first runs when the cache is freed.
        runtime.release_decoder()
        _, again = rollout_phase(model, runtime, a, ceil, warm_up=False)
        rec["rollout_again"] = again
        print(f"rollout again: {({k: v for k, v in again.items() if k != 'windows'})}", flush=True)
    done = [(r, v) for r, v in zip(rec["train"], variants, strict=True) if "error" not in r]
    if a.profile and done:
        # The fastest variant: where the time that is left goes.
        best = min(done, key=lambda rv: rv[0]["train_phase_s"])[1]
        rec["train_profile"] = profile_train(trainer, batch, lp, best, a.profile_micro_batches)
    rec["wall_s"] = round(time.perf_counter() - t_all, 1)
    write_record(a.out, rec)
    print_table(rec)
    print(f"wrote {a.out}", flush=True)
    return 0


def print_table(rec: dict[str, Any]) -> None:
    r = rec["rollout"]
    print("\nphase                              seconds   floor s  % floor")
    print(f"rollout {r['rows']}x{r['new_tokens']} (waves of {r['wave_rows']})  {r['seconds']:9.2f} {r['floor_s']:9.2f} {r['pct_of_floor']:7.1f}")
    print(f"  prefill (all waves)              {r['prefill_s_all_waves']:9.3f}   capture {r['capture_s']:.2f} s")
    print(f"  floor with GEMMs at the matmul rate + KV reads: {r['floor_gemm_plus_kv_s']:.2f} s ({r['pct_of_gemm_plus_kv_floor']}%)")
    again = rec.get("rollout_again")
    if again:
        print(f"rollout again (a later step: cache and graphs rebuilt) {again['seconds']:9.2f} {again['floor_s']:9.2f} {again['pct_of_floor']:7.1f}"
              f"   capture {again['capture_s']:.2f} s, {again['pct_of_gemm_plus_kv_floor']}% of the GEMM + KV floor")
    print(f"  decode windows of wave {r['windows']['wave']}" + (" (with graph captures and prefill)" if r["windows"]["includes_capture"] else ""))
    for w in r["windows"]["windows"]:
        print(f"  decode steps {w['steps'][0]:>5}-{w['steps'][1]:<5}  {w['ms_per_step']:7.2f} ms/step  floor {w['floor_ms_per_step']:6.2f}  {w['pct_of_floor']:5.1f}%")
    for c in rec["decode_contexts"]["by_context"]:
        print(f"  decode @ {c['context']:>5} keys           {c['ms_per_step']:7.2f} ms/step  floor {c['floor_ms_per_step']:6.2f}  {c['pct_of_floor']:5.1f}%")
    for t in rec["train"]:
        if "error" in t:
            print(f"train {t['variant']:<14} {t['error']}")
            continue
        print(
            f"train {t['variant']:<14} {t['train_phase_s']:9.2f} {t['floor_s']:9.2f} {100 * t['train_phase_mfu']:7.1f}"
            f"   ref {t['ref_logp_s']:.1f} s, fwd+bwd {t['fwd_bwd_s']:.1f} s ({100 * t['fwd_bwd_mfu']:.1f}% MFU),"
            f" opt {t['optimizer_s']:.2f} s, ckpt {t['checkpointed_layers']}, peak {t['peak_gb']} GB"
        )
    for key in ("train_profile",):
        p = rec.get(key)
        if p and "by_class_ms" in p:
            print(f"{key} ({p['variant']}, {p['rows']} rows): wall {p['wall_ms']} ms, kernels {p['kernel_ms']} ms: {p['by_class_ms']}")
    sw = rec.get("attention_sweep", {})
    for r in sw.get("results", []):
        if r["splits"] is None and "us" in r:
            best = sw["best"][str(r["context"])]
            print(f"decode attention @ {r['context']} keys, {sw['rows']} rows: engine's choice {r['us']} us ({r['pct_of_copy_bw']}% of copy bw);"
                  f" best {best['us']} us ({best['pct_of_copy_bw']}%) block {best['block_n']} splits {best['splits']} warps {best['num_warps']} stages {best['num_stages']}")
    d = rec["decode_contexts"].get("profile")
    if d:
        print(f"decode profile @ {rec['decode_contexts']['profile_context']} keys, {rec['decode_contexts']['profile_steps']} steps: kernels {d['kernel_ms']} ms: {d['by_class_ms']}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
