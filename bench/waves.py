"""Rollout waves: throughput and peak GPU memory of one generate call decoded all at once or in waves.

The paper's step shape by default: 1,024 rows (128 prompt copies x 8 rollouts) of --new-tokens sampled
tokens each (temperature 1, ignore_eos: every row runs to the limit, the worst case), on a random model
of the Qwen2.5-1.5B shape, through the engine's decode (static cache, CUDA graphs). For each wave size
in --waves: seconds, tokens/s, seconds spent capturing graphs, the KV cache the call held and the peak
allocated above the weights. A small warm-up call first compiles the decode helpers, so the first
case does not pay for them.

    python3 bench/waves.py --out bench/results/waves-<date>.json                # H200, < 4 min
    python3 bench/waves.py --shape tiny --device cpu --dtype float32 --rows 16 --new-tokens 16 \
        --waves all,8,3 --out /tmp/waves.json                                   # CPU check
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import torch
from common import (
    SHAPES,
    BenchTokenizer,
    record_header,
    sync,
    timed,
    weight_bytes,
    write_record,
)
from oneshot_engine.generate import SamplingParams, generate
from oneshot_engine.loading import build_model
from oneshot_engine.model import Transformer
from oneshot_engine.runtime import ModelRuntime

GIB = 1024**3


def parse_waves(text: str) -> list[int | None]:
    """"all,512,256" -> [None, 512, 256] (None: all rows at once)."""
    return [None if w == "all" else int(w) for w in text.split(",")]


def one_case(model: Transformer, prompts: list[list[int]], rollouts: int, new: int, wave: int | None, seed: int) -> dict[str, Any]:
    device = next(model.parameters()).device
    runtime = ModelRuntime(model)
    sp = SamplingParams(rollouts=rollouts, temperature=1.0, max_response_tokens=new, seed=seed, ignore_eos=True)
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device) if device.type == "cuda" else 0
    (rollouts_out, batch, _), secs = timed(
        lambda: generate(model, BenchTokenizer(), prompts, sp, fast=True, runtime=runtime, wave_rows=wave),  # type: ignore[arg-type]
        device,
    )
    assert int(batch.resp_len.min()) == new and len(rollouts_out) == len(prompts) * rollouts
    tokens = len(rollouts_out) * new
    capture = runtime.decoder.capture_s if runtime.decoder is not None else 0.0
    peak = torch.cuda.max_memory_allocated(device) - before if device.type == "cuda" else 0
    runtime.release_decoder()
    sync(device)
    return {
        "wave_rows": wave if wave is not None else len(rollouts_out),
        "waves": -(-len(rollouts_out) // (wave or len(rollouts_out))),
        "seconds": round(secs, 3),
        "capture_s": round(capture, 3),
        "tokens_per_s": round(tokens / secs, 1),
        "tokens_per_s_without_capture": round(tokens / max(secs - capture, 1e-9), 1),
        "kv_cache_gb": round(runtime.kv_cache_peak_bytes / GIB, 3),
        "peak_above_weights_gb": round(peak / GIB, 3),
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", default="qwen2.5-1.5b", choices=sorted(SHAPES))
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float32"])
    ap.add_argument("--rows", type=int, default=1024, help="prompts x rollouts (rollouts 8 when it divides)")
    ap.add_argument("--prompt-len", type=int, default=128)
    ap.add_argument("--new-tokens", type=int, default=3072)
    ap.add_argument("--waves", default="all,512,256", help="wave sizes, 'all' = one wave")
    ap.add_argument("--commit", default=None)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)

    device = torch.device(a.device)
    dtype = getattr(torch, a.dtype)
    torch.manual_seed(0)
    model = build_model(dict(SHAPES[a.shape]), dtype, device)
    with torch.no_grad():
        model.init_weights()
    model.eval()
    rollouts = 8 if a.rows % 8 == 0 else 1
    vocab = model.cfg.vocab_size
    # Prompt copies of one problem, as a run sends them.
    prompt = [(7 * i + 3) % (vocab - 1) + 1 for i in range(a.prompt_len)]
    prompts = [prompt] * (a.rows // rollouts)

    warm = SamplingParams(rollouts=2, temperature=1.0, max_response_tokens=8, seed=0, ignore_eos=True)
    generate(model, BenchTokenizer(), [prompt], warm, fast=True)  # type: ignore[arg-type]

    cases = []
    for i, wave in enumerate(parse_waves(a.waves)):
        case = one_case(model, prompts, rollouts, a.new_tokens, wave, seed=i)
        print(case, file=sys.stderr, flush=True)
        cases.append(case)

    record = record_header("waves", device, "python3 bench/waves.py " + " ".join(argv), a.commit)
    record.update(
        {
            "shape": a.shape,
            "dtype": a.dtype,
            "rows": len(prompts) * rollouts,
            "prompt_len": a.prompt_len,
            "new_tokens": a.new_tokens,
            "weights_gb": round(weight_bytes(model) / GIB, 3),
            "cases": cases,
        }
    )
    write_record(a.out, record)
    print(f"wrote {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
