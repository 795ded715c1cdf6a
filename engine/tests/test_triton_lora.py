"""The LoRA decode kernels of triton_lora.py against the PyTorch path they replace (addmm_ of the B term
into the GEMM's output, then the SiLU gate), and a greedy decode with them against merged weights. On
a GPU they run compiled; on the CPU in Triton's interpreter."""

from __future__ import annotations

import os

import pytest
import torch

# Only without CUDA (see test_triton_decode.py): before the kernels' modules load.
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

pytest.importorskip("triton")

from oneshot_engine import lora, triton_lora
from oneshot_engine import triton_decode as td
from oneshot_engine.decode import DecodeRunner
from oneshot_engine.fused import EAGER
from oneshot_engine.generate import SamplingParams, generate
from oneshot_engine.loading import load_model
from oneshot_engine.options import EngineOptions
from oneshot_engine.protocol import LoraParams
from oneshot_engine.runtime import ModelRuntime
from oneshot_engine.tokenizer import TextTokenizer

DEV = torch.device("cuda" if torch.cuda.is_available() else "cpu")
pytestmark = pytest.mark.skipif(
    not td.available(DEV), reason="Triton kernels cannot run here (no CUDA, no TRITON_INTERPRET=1)"
)


@pytest.mark.parametrize(
    ("rows", "inter", "rank_cols", "gate_adapted"),
    [(5, 72, 8, True), (70, 128, 64, True), (3, 40, 4, False)],  # ragged blocks, rank < 16, up only
)
def test_silu_mul_low_rank_is_the_addmm_then_the_gate(rows, inter, rank_cols, gate_adapted):
    g = torch.Generator().manual_seed(0)
    y = torch.randn(rows, 2 * inter + rank_cols, generator=g).to(DEV)
    b = torch.randn(2 * inter, rank_cols, generator=g).to(DEV)
    if not gate_adapted:
        b[:inter] = 0
    expected = EAGER.silu_mul(y[:, : 2 * inter] + y[:, 2 * inter :] @ b.t())
    got = triton_lora.silu_mul_low_rank(y, b)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="does not fit"):
        triton_lora.silu_mul_low_rank(y[:, 1:], b)


@pytest.mark.parametrize("targets", [list(lora.TARGETS), ["v_proj", "up_proj"], ["o_proj"]])
def test_lora_kernels_decode_like_merged_weights_and_the_addmm_path(family_dirs, targets):
    model, _ = load_model(family_dirs["qwen2"], torch.float32, DEV)
    lora.attach(model, LoraParams(rank=4, alpha=8.0, targets=targets, dropout=0.0))
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in lora.lora_layers(model).values():
            m.lora_B.copy_(torch.randn(m.lora_B.shape, generator=gen) * 0.5)
    merged, _ = load_model(family_dirs["qwen2"], torch.float32, DEV)
    merged.load_state_dict(lora.merged_state_dict(model))
    tok = TextTokenizer(family_dirs["qwen2"])
    tok.eos_ids = []
    prompts = [tok.encode("What is 12 + 30?"), tok.encode("x")]
    sp = SamplingParams(rollouts=2, temperature=0.0, max_response_tokens=10)
    runs = {}
    for name, m, kernels in (("kernels", model, None), ("addmm", model, False), ("merged", merged, None)):
        options = EngineOptions(decode_attention="triton")
        runtime = ModelRuntime(m, options)
        runtime.decoder = DecodeRunner(m, 4, 64, options=options, lora_kernels=kernels)
        runs[name] = generate(m, tok, prompts, sp, fast=True, runtime=runtime)[1].tokens
        assert runtime.decoder.lora_kernels == (kernels is None)  # on by default with Triton's attention
        runtime.release_decoder()
    with lora.adapters_disabled(model):
        base = generate(model, tok, prompts, sp, fast=False)[1].tokens
    assert not torch.equal(runs["kernels"], base)
    if DEV.type == "cpu":
        assert torch.equal(runs["kernels"], runs["merged"]) and torch.equal(runs["kernels"], runs["addmm"])
    else:  # low-rank products round differently from merged weights: allow a rare near-tie flip
        assert (runs["kernels"] == runs["merged"]).float().mean().item() > 0.95
