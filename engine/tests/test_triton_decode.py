"""The decode kernels of triton_decode.py against plain PyTorch: the attention math of
DecodeRunner._attend ("bmm") and the model's RoPE plus an index_copy_ into the cache. Last, a whole
greedy decode with attention="triton" against the SDPA one, and with LoRA adapters (triton_lora.py's
kernel) against merged weights. On a GPU they run compiled; on the CPU in Triton's interpreter."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

# Only without CUDA: on a GPU the interpreter would also take over torch.compile's Triton kernels.
# Set before the kernels' module loads (Triton picks the interpreter when it decorates them).
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

pytest.importorskip("triton")

from oneshot_engine import lora, triton_lora
from oneshot_engine import triton_decode as td
from oneshot_engine.decode import DecodeRunner
from oneshot_engine.fused import EAGER
from oneshot_engine.generate import SamplingParams, generate
from oneshot_engine.loading import load_model
from oneshot_engine.model import rotate_half
from oneshot_engine.options import EngineOptions
from oneshot_engine.protocol import LoraParams
from oneshot_engine.runtime import ModelRuntime
from oneshot_engine.tokenizer import TextTokenizer

DEV = torch.device("cuda" if torch.cuda.is_available() else "cpu")
pytestmark = pytest.mark.skipif(
    not td.available(DEV), reason="Triton kernels cannot run here (no CUDA, no TRITON_INTERPRET=1)"
)


def reference_attention(q, k_cache, v_cache, pad_bias, col: int, length: int) -> torch.Tensor:
    """DecodeRunner._attend's bmm math in fp32: softmax over the padding bias and the future mask."""
    b, heads, d = q.shape
    kv = k_cache.shape[1]
    qg = q.float().view(b, kv, heads // kv, d)
    k = k_cache[:b, :, :length].float()
    v = v_cache[:b, :, :length].float()
    future = torch.arange(length, device=q.device) > col
    bias = pad_bias[:b, :length].float().masked_fill(future, float("-inf"))[:, None, None, :]
    p = (qg @ k.transpose(-1, -2) * d**-0.5 + bias).softmax(-1)
    return (p @ v).reshape(b, heads * d)


def make_case(
    b: int, heads: int, kv: int, d: int, max_len: int, dtype: torch.dtype, pads: list[int], seed: int
):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(b, heads, d, generator=g).to(DEV, dtype)
    # Two spare rows: the kernel must only read rows [0, b) of the runner's bigger cache.
    k = torch.randn(b + 2, kv, max_len, d, generator=g).to(DEV, dtype)
    v = torch.randn(b + 2, kv, max_len, d, generator=g).to(DEV, dtype)
    bias = torch.zeros(b + 2, max_len, dtype=dtype, device=DEV)
    for row, pad in enumerate(pads):
        bias[row, :pad] = float("-inf")
    return q, k, v, bias


# (b, heads, kv_heads, head_dim, length, max_len, col, row pads, splits): group 6/1/8/16, split counts
# from 1 to more splits than live blocks (empty splits), col at 0, mid-bucket, on block edges and last.
CASES = [
    (3, 12, 2, 64, 128, 192, 100, [0, 7, 70], None),
    (3, 12, 2, 64, 128, 192, 0, [0, 0, 0], 4),
    (5, 4, 4, 32, 64, 64, 63, [0, 1, 2, 30, 63], 1),
    (1, 8, 1, 128, 320, 320, 319, [5], 3),
    (2, 8, 1, 24, 320, 384, 64, [64, 0], 5),
    (3, 12, 2, 64, 320, 320, 200, [130, 0, 199], 4),
    (1, 16, 1, 32, 128, 128, 127, [0], 2),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"b{c[0]}-h{c[1]}-kv{c[2]}-d{c[3]}-L{c[4]}-col{c[6]}")
def test_decode_attention_matches_reference(case, dtype):
    b, heads, kv, d, length, max_len, col, pads, splits = case
    q, k, v, bias = make_case(b, heads, kv, d, max_len, dtype, pads, seed=len(pads) + col)
    # Columns past col hold garbage the kernel must not let through (a NaN would show in the output).
    k[:, :, col + 1 :] = float("nan")
    v[:, :, col + 1 :] = float("nan")
    out = td.decode_attention(q, k, v, bias, torch.tensor([col], device=DEV), length, splits=splits)
    ref = reference_attention(q, k.nan_to_num(), v.nan_to_num(), bias, col, length)
    assert out.shape == (b, heads * d) and out.dtype == dtype
    assert not out.isnan().any()
    tol = 1e-5 if dtype == torch.float32 else 2e-2
    assert (out.float() - ref).abs().max().item() < tol


def test_decode_attention_split_count_does_not_change_the_result():
    q, k, v, bias = make_case(2, 12, 2, 64, 320, torch.float32, [0, 33], seed=5)
    col = torch.tensor([250], device=DEV)
    outs = [
        td.decode_attention(q, k, v, bias, col, 320, splits=s, block_n=bn)
        for s, bn in [(1, 64), (2, 128), (5, 64)]
    ]
    for o in outs[1:]:
        assert torch.allclose(o, outs[0], atol=1e-5, rtol=0)


def test_decode_attention_reads_col_at_run_time():
    """One call shape replayed at many columns (as a CUDA graph does): col comes from the tensor."""
    q, k, v, bias = make_case(2, 6, 2, 32, 128, torch.float32, [3, 0], seed=9)
    col = torch.zeros(1, dtype=torch.long, device=DEV)
    for c in (3, 64, 127):
        col.fill_(c)
        out = td.decode_attention(q, k, v, bias, col, 128, splits=2)
        assert torch.allclose(out, reference_attention(q, k, v, bias, c, 128), atol=1e-5, rtol=0)


@pytest.mark.parametrize("splits, block_n, shared", [(1, 64, 70), (3, 64, 70), (2, 32, 64), (1, 64, 0)])
def test_decode_attention_reads_shared_columns_from_row_zero(splits, block_n, shared):
    """Blocks of columns every row shares (one prompt copied to all rows) come from row 0: rows 1.. may
    hold anything there (NaN here), and the result is the attention over row 0's copy of them. The
    block that straddles the shared columns' end reads each row's own copy (the same values)."""
    q, k, v, bias = make_case(3, 12, 2, 64, 192, torch.float32, [0, 0, 0], seed=11)
    k[1:3, :, :shared] = k[:1, :, :shared]
    v[1:3, :, :shared] = v[:1, :, :shared]
    whole_k, whole_v = k.clone(), v.clone()
    blocks = shared // block_n * block_n
    k[1:3, :, :blocks] = float("nan")
    v[1:3, :, :blocks] = float("nan")
    col = torch.tensor([150], device=DEV)
    out = td.decode_attention(
        q, k, v, bias, col, 192, splits=splits, block_n=block_n, shared=torch.tensor([shared], device=DEV)
    )
    ref = reference_attention(q, whole_k, whole_v, bias, 150, 192)
    assert not out.isnan().any()
    assert (out - ref).abs().max().item() < 1e-5


def reference_rope_write(qkv, cos, sin, k_cache, v_cache, col: int, heads: int, kv: int, norms=None):
    b = qkv.shape[0]
    d = k_cache.shape[-1]
    q, k, v = qkv.split([heads * d, kv * d, kv * d], -1)
    q, k, v = q.view(b, heads, d), k.view(b, kv, d), v.view(b, kv, d)
    if norms is not None:
        q, k = (n(x) for n, x in zip(norms, (q, k), strict=True))
    c, s = cos[:, None, :], sin[:, None, :]
    q, k = q * c + rotate_half(q) * s, k * c + rotate_half(k) * s
    idx = torch.tensor([col], device=qkv.device)
    k_cache[:b].index_copy_(2, idx, k.unsqueeze(2))
    v_cache[:b].index_copy_(2, idx, v.unsqueeze(2))
    return q


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
@pytest.mark.parametrize("shape", [(3, 12, 2, 64), (2, 4, 4, 24), (1, 8, 1, 128)], ids=str)
@pytest.mark.parametrize("qk_norm", [False, True], ids=["plain", "qk_norm"])
def test_rope_write_kv_matches_model_math(shape, dtype, qk_norm):
    from oneshot_engine.model import RMSNorm

    b, heads, kv, d = shape
    g = torch.Generator().manual_seed(d + heads)
    qkv = torch.randn(b, (heads + 2 * kv) * d, generator=g).to(DEV, dtype)
    angles = torch.rand(b, d // 2, generator=g) * 6.0
    emb = torch.cat((angles, angles), -1)
    cos, sin = emb.cos().to(DEV, dtype), emb.sin().to(DEV, dtype)
    norms = None
    if qk_norm:
        norms = (RMSNorm(d, 1e-6).to(DEV, dtype), RMSNorm(d, 1e-6).to(DEV, dtype))
        with torch.no_grad():
            for n in norms:
                n.weight.copy_(torch.rand(d, generator=g) + 0.5)
    caches = [torch.randn(b + 1, kv, 16, d, generator=g).to(DEV, dtype) for _ in range(2)]
    ref_k, ref_v = caches[0].clone(), caches[1].clone()
    k_cache, v_cache = caches
    col = 9
    with torch.no_grad():
        ref_q = reference_rope_write(qkv, cos, sin, ref_k, ref_v, col, heads, kv, norms)
        q = td.rope_write_kv(
            qkv, cos, sin, k_cache, v_cache, torch.tensor([col], device=DEV), heads, kv,
            q_norm=norms[0].weight if norms else None, k_norm=norms[1].weight if norms else None, eps=1e-6,
        )  # fmt: skip
    tol = 1e-5 if dtype == torch.float32 else 5e-2
    assert q.shape == (b, heads, d) and q.dtype == dtype
    assert (q.float() - ref_q.float()).abs().max().item() < tol
    assert (k_cache.float() - ref_k.float()).abs().max().item() < tol
    assert torch.equal(v_cache, ref_v)


@pytest.mark.parametrize("family", ["qwen2", "qwen3"])
def test_decode_runner_with_triton_attention_matches_sdpa(family, family_dirs: dict[str, Path]):
    d = family_dirs[family]
    model, _ = load_model(d, torch.float32, DEV)
    tok = TextTokenizer(d)
    tok.eos_ids = []
    prompts = [tok.encode("What is 12 + 30?"), tok.encode("x")]
    sp = SamplingParams(rollouts=2, temperature=0.0, max_response_tokens=10)
    runs = {}
    for attention in ("sdpa", "triton"):
        runtime = ModelRuntime(model, EngineOptions(decode_attention=attention))
        runs[attention] = generate(model, tok, prompts, sp, fast=True, runtime=runtime)[1].tokens
        assert runtime.decoder is not None and runtime.decoder.attention == attention
        runtime.release_decoder()
    if DEV.type == "cpu":
        assert torch.equal(runs["triton"], runs["sdpa"])
    else:  # different fp32 kernels on the GPU: allow a rare near-tie flip
        assert (runs["triton"] == runs["sdpa"]).float().mean().item() > 0.95


def test_one_prompt_copied_to_every_row_reads_its_columns_once(family_dirs: dict[str, Path]):
    """prompt_copies of one prompt (a training step): the runner marks the prompt's columns shared,
    and decoding through row 0's copy gives the tokens SDPA gives reading every row's own."""
    d = family_dirs["qwen2"]
    model, _ = load_model(d, torch.float32, DEV)
    tok = TextTokenizer(d)
    tok.eos_ids = []
    prompt = tok.encode("What is 12 + 30?")
    sp = SamplingParams(rollouts=2, temperature=0.0, max_response_tokens=10)
    runs, shared = {}, {}
    for attention in ("sdpa", "triton"):
        runtime = ModelRuntime(model, EngineOptions(decode_attention=attention))
        runs[attention] = generate(model, tok, [prompt, prompt], sp, fast=True, runtime=runtime)[1].tokens
        shared[attention] = int(runtime.decoder.shared)
        generate(model, tok, [prompt, tok.encode("x")], sp, fast=True, runtime=runtime)
        shared[attention + " two prompts"] = int(runtime.decoder.shared)
        runtime.release_decoder()
    assert shared == {"sdpa": len(prompt), "triton": len(prompt), "sdpa two prompts": 0, "triton two prompts": 0}
    if DEV.type == "cpu":
        assert torch.equal(runs["triton"], runs["sdpa"])
    else:
        assert (runs["triton"] == runs["sdpa"]).float().mean().item() > 0.95


def test_triton_graphs_use_coarse_length_buckets_with_their_launch_settings(family_dirs: dict[str, Path]):
    """The Triton attention reads only live columns, so its decode graphs bucket lengths by 1,024
    (4 graphs for the paper's 3,200 columns instead of 25); each bucket has its launch setting, and
    every setting gives the same attention."""
    from oneshot_engine.decode import DecodeRunner

    model, _ = load_model(family_dirs["qwen2"], torch.float32, DEV)
    buckets = {}
    for attention in ("triton", "sdpa"):
        r = DecodeRunner(model, 2, 3162, use_graphs=False, attention=attention)
        buckets[attention] = sorted({r.length_bucket(live) for live in range(1, 3163)})
    assert buckets["triton"] == [1024, 2048, 3072, 3200]
    assert len(buckets["sdpa"]) == 25
    q, k, v, bias = make_case(2, 12, 2, 64, 320, torch.float32, [0, 33], seed=3)
    col = torch.tensor([300], device=DEV)
    ref = reference_attention(q, k, v, bias, 300, 320)
    for length in (1024, 2048, 3200):
        launch = td.launch_for(length)
        out = td.decode_attention(q, k, v, bias, col, 320, **launch)
        assert torch.allclose(out, ref, atol=1e-5, rtol=0), launch
    assert td.launch_for(3200)["min_splits"] == 2


@pytest.mark.parametrize(
    ("rows", "inter", "rank_cols", "gate_adapted"),
    [(5, 72, 8, True), (70, 128, 64, True), (3, 40, 4, False)],  # ragged blocks, rank < 16, up only
)
def test_silu_mul_low_rank_is_the_addmm_then_the_gate(rows, inter, rank_cols, gate_adapted):
    """triton_lora's SiLU-gate kernel with the LoRA B term equals the addmm_ of that term into the
    gate|up GEMM's output followed by the SiLU gate."""
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


@pytest.mark.parametrize(
    ("family", "targets"),
    [("qwen3", list(lora.TARGETS)), ("qwen2", ["v_proj", "up_proj"]), ("qwen2", ["o_proj"])],  # qwen3: q/k norms after the adapters
)
def test_decode_runner_with_triton_attention_adds_lora_adapters(family_dirs, family, targets):
    """The Triton path's decode GEMMs carry the adapters too (lora.DecodeAdapters), gate|up's B term
    inside triton_lora's SiLU-gate kernel by default: its greedy tokens equal those of the merged
    weights and of the addmm_ path (on a GPU: captured graphs, compiled kernels)."""
    model, _ = load_model(family_dirs[family], torch.float32, DEV)
    lora.attach(model, LoraParams(rank=4, alpha=8.0, targets=targets, dropout=0.0))
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in lora.lora_layers(model).values():
            m.lora_B.copy_(torch.randn(m.lora_B.shape, generator=gen) * 0.5)
    merged, _ = load_model(family_dirs[family], torch.float32, DEV)
    merged.load_state_dict(lora.merged_state_dict(model))
    tok = TextTokenizer(family_dirs[family])
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


@pytest.mark.parametrize("attention", ["triton", "sdpa"])
def test_lora_decode_on_shared_prompt_columns_and_a_runner_rebuilt_after_a_kv_release(family_dirs, attention):
    """One prompt copied to every row (shared cache columns on the Triton path) with adapters on every
    linear layer: the decode equals merged weights; after the adapters move and the trainer frees the
    runner (kv_release), the rebuilt runner adds the new adapters, as the reused one does."""
    d = family_dirs["qwen2"]
    model, _ = load_model(d, torch.float32, DEV)
    lora.attach(model, LoraParams(rank=4, alpha=8.0, targets=list(lora.TARGETS), dropout=0.0))
    tok = TextTokenizer(d)
    tok.eos_ids = []
    prompt = tok.encode("What is 12 + 30?")
    sp = SamplingParams(rollouts=2, temperature=0.0, max_response_tokens=10)
    runtime = ModelRuntime(model, EngineOptions(decode_attention=attention))

    def agrees_with_merged(seed: int) -> None:
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for m in lora.lora_layers(model).values():
                m.lora_B.copy_(torch.randn(m.lora_B.shape, generator=gen) * 0.5)
        merged, _ = load_model(d, torch.float32, DEV)
        merged.load_state_dict(lora.merged_state_dict(model))
        got = generate(model, tok, [prompt, prompt], sp, fast=True, runtime=runtime)[1].tokens
        assert int(runtime.decoder.shared) == len(prompt)
        want = generate(merged, tok, [prompt, prompt], sp, fast=False)[1].tokens
        if DEV.type == "cpu":
            assert torch.equal(got, want), seed
        else:
            assert (got == want).float().mean().item() > 0.95, seed

    agrees_with_merged(0)
    first = runtime.decoder
    agrees_with_merged(1)  # the same runner, its adapter buffers refreshed in place
    assert runtime.decoder is first
    runtime.release_decoder()  # what kv_release does before a training pass
    agrees_with_merged(2)
    assert runtime.decoder is not first and runtime.decoder.adapters is not None
    runtime.release_decoder()
