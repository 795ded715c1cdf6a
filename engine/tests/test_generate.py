"""generate: the KV-cached, batched, fanned-out decode against a plain full-forward greedy loop."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch

from oneshot_engine.generate import SamplingParams, generate
from oneshot_engine.loading import load_model
from oneshot_engine.runtime import ModelRuntime
from oneshot_engine.tokenizer import TextTokenizer


@pytest.fixture(scope="module", params=["qwen2", "llama", "qwen3"])
def loaded(request, family_dirs: dict[str, Path]):
    d = family_dirs[request.param]
    model, _ = load_model(d, torch.float32, torch.device("cpu"))
    return model, TextTokenizer(d)


def greedy_reference(model, prompt: list[int], steps: int) -> list[int]:
    ids = list(prompt)
    with torch.no_grad():
        for _ in range(steps):
            ids.append(int(model(torch.tensor([ids]))[0, -1].argmax()))
    return ids[len(prompt) :]


def test_greedy_matches_uncached_forward_with_left_padding(loaded):
    model, tok = loaded
    tok.eos_ids = []  # random weights: run every row to the length limit
    prompts = [tok.encode("What is 12 + 30?"), tok.encode("x")]
    assert len(prompts[0]) > len(prompts[1])
    sp = SamplingParams(rollouts=2, temperature=0.0, max_response_tokens=12)
    rollouts, batch, _ = generate(model, tok, prompts, sp)
    assert [r.prompt_index for r in rollouts] == [0, 0, 1, 1]
    for row, r in enumerate(rollouts):
        expected = greedy_reference(model, prompts[r.prompt_index], 12)
        got = batch.tokens[row, batch.prompt_len : batch.prompt_len + 12].tolist()
        assert got == expected
        assert r.finish_reason == "length" and r.tokens == 12
        assert r.text == tok.decode(expected)


def test_eos_and_stop_strings_end_rows(loaded):
    model, tok = loaded
    tok.eos_ids = []
    prompt = tok.encode("Let x be")
    free = greedy_reference(model, prompt, 10)
    tok.eos_ids = [free[4]]
    first = free.index(free[4])
    rollouts, batch, _ = generate(model, tok, [prompt], SamplingParams(rollouts=3, temperature=0.0, max_response_tokens=10))
    assert all(r.finish_reason == "stop" and r.tokens == first + 1 for r in rollouts)
    assert batch.resp_len.tolist() == [first + 1] * 3
    assert (batch.tokens[:, batch.prompt_len + first + 1 :] == tok.pad_id).all()
    tok.eos_ids = []
    text = tok.decode(free)
    stop = text[len(text) // 2 : len(text) // 2 + 2]
    rollouts, _, _ = generate(model, tok, [prompt], SamplingParams(temperature=0.0, max_response_tokens=10, stop=[stop]))
    assert rollouts[0].finish_reason == "stop_string"
    assert rollouts[0].text == text[: text.find(stop)]


def test_sampling_is_seedable_and_rows_differ(loaded):
    model, tok = loaded
    tok.eos_ids = []
    sp = SamplingParams(rollouts=8, temperature=1.0, top_p=0.95, top_k=50, max_response_tokens=8, seed=7)
    a, _, _ = generate(model, tok, [tok.encode("hi")], sp)
    b, _, _ = generate(model, tok, [tok.encode("hi")], sp)
    assert [r.text for r in a] == [r.text for r in b]
    assert len({r.text for r in a}) > 1
    c, _, _ = generate(model, tok, [tok.encode("hi")], SamplingParams(**{**sp.__dict__, "seed": 8}))
    assert [r.text for r in a] != [r.text for r in c]


def test_top_k_one_and_tiny_top_p_are_greedy(loaded):
    model, tok = loaded
    tok.eos_ids = []
    prompt = tok.encode("The quick")
    greedy = tok.decode(greedy_reference(model, prompt, 6))
    for sp in (SamplingParams(rollouts=2, top_k=1, max_response_tokens=6, seed=0), SamplingParams(rollouts=2, top_p=1e-6, max_response_tokens=6, seed=0)):
        rollouts, _, _ = generate(model, tok, [prompt], sp)
        assert [r.text for r in rollouts] == [greedy, greedy]


def test_tiny_model_rollouts_take_seconds(qwen2_dir: Path):
    model, _ = load_model(qwen2_dir, torch.float32, torch.device("cpu"))
    tok = TextTokenizer(qwen2_dir)
    tok.eos_ids = []
    t0 = time.perf_counter()
    rollouts, _, _ = generate(model, tok, [tok.encode("Solve 2x = 4.")], SamplingParams(rollouts=32, max_response_tokens=150, seed=0))
    elapsed = time.perf_counter() - t0
    assert sum(r.tokens for r in rollouts) == 32 * 150
    assert elapsed < 10, f"32 x 150 tokens took {elapsed:.1f}s"


# The static-cache decode (decode.py) runs eagerly on the CPU: the same step the GPU captures in graphs.


def test_fast_decode_greedy_matches_uncached_forward_with_left_padding(loaded):
    model, tok = loaded
    tok.eos_ids = []
    prompts = [tok.encode("What is 12 + 30?"), tok.encode("x")]
    sp = SamplingParams(rollouts=3, temperature=0.0, max_response_tokens=20)
    rollouts, batch, _ = generate(model, tok, prompts, sp, fast=True)
    for row, r in enumerate(rollouts):
        expected = greedy_reference(model, prompts[r.prompt_index], 20)
        assert batch.tokens[row, batch.prompt_len : batch.prompt_len + 20].tolist() == expected
        assert r.finish_reason == "length" and r.tokens == 20


def test_fast_decode_retires_finished_rows_like_the_eager_loop(loaded):
    model, tok = loaded
    tok.eos_ids = []
    prompts = [tok.encode("Let x be"), tok.encode("What is 12 + 30?"), tok.encode("x")]
    sp = SamplingParams(rollouts=4, temperature=0.0, max_response_tokens=40)
    free = [greedy_reference(model, p, 40) for p in prompts]
    # An EOS that two prompts' greedy rows hit at different steps, so the batch shrinks mid-way.
    tok.eos_ids = [free[0][20], free[2][3]]
    eager = generate(model, tok, prompts, sp, fast=False)
    fast = generate(model, tok, prompts, sp, fast=True)
    assert [(r.text, r.tokens, r.finish_reason) for r in fast[0]] == [
        (r.text, r.tokens, r.finish_reason) for r in eager[0]
    ]
    assert torch.equal(fast[1].tokens, eager[1].tokens)
    assert {r.finish_reason for r in fast[0]} >= {"stop"}
    tok.eos_ids = []
    text = tok.decode(free[1])
    stop = text[len(text) // 2 : len(text) // 2 + 2]
    sp.stop = [stop]
    eager = generate(model, tok, prompts, sp, fast=False)
    fast = generate(model, tok, prompts, sp, fast=True)
    assert [(r.text, r.tokens, r.finish_reason) for r in fast[0]] == [
        (r.text, r.tokens, r.finish_reason) for r in eager[0]
    ]


def test_fast_decode_sampling_is_seedable_and_follows_top_k(loaded):
    model, tok = loaded
    tok.eos_ids = []
    sp = SamplingParams(rollouts=4, temperature=1.0, max_response_tokens=12, seed=3)
    a = generate(model, tok, [tok.encode("x")], sp, fast=True)[1].tokens
    b = generate(model, tok, [tok.encode("x")], sp, fast=True)[1].tokens
    assert torch.equal(a, b) and len({tuple(r) for r in a.tolist()}) > 1
    greedy = generate(model, tok, [tok.encode("x")], SamplingParams(rollouts=1, temperature=0.0, max_response_tokens=12), fast=True)
    top1 = generate(model, tok, [tok.encode("x")], SamplingParams(rollouts=2, top_k=1, max_response_tokens=12, seed=1), fast=True)
    assert (top1[1].tokens == greedy[1].tokens).all()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_graph_decode_matches_eager_decode_on_gpu(family_dirs):
    d = family_dirs["qwen2"]
    model, _ = load_model(d, torch.float32, torch.device("cuda"))
    tok = TextTokenizer(d)
    tok.eos_ids = []
    prompts = [tok.encode("What is 12 + 30?"), tok.encode("x")]
    sp = SamplingParams(rollouts=5, temperature=0.0, max_response_tokens=150)
    runtime = ModelRuntime(model)
    eager = generate(model, tok, prompts, sp, fast=False)[1].tokens
    fast = generate(model, tok, prompts, sp, fast=True, runtime=runtime)[1].tokens
    assert runtime.decoder is not None and runtime.decoder.graphs, "no CUDA graph was captured"
    # fp32 on GPU: kernels differ (fused helpers, attention), so allow rare near-tie flips late on.
    agree = (fast == eager).float().mean().item()
    assert agree > 0.97, agree


def test_fast_decode_samples_from_the_weights_being_trained(qwen2_dir: Path, tmp_path: Path):
    """The decode reads fused q|k|v and gate|up buffers whose slices are the parameters themselves: an
    in-place update (what the optimizer does) must change what is sampled, a swapped parameter must be
    picked up, and a checkpoint saved meanwhile must still load."""
    from oneshot_engine.checkpoint import save_checkpoint
    from oneshot_engine.fused_weights import fused_projections

    model, raw = load_model(qwen2_dir, torch.float32, torch.device("cpu"))
    tok = TextTokenizer(qwen2_dir)
    tok.eos_ids = []
    prompt = [tok.encode("What is 12 + 30?")]
    sp = SamplingParams(rollouts=1, temperature=0.0, max_response_tokens=16)
    runtime = ModelRuntime(model)
    generate(model, tok, prompt, sp, fast=True, runtime=runtime)
    layer = model.model.layers[0]
    fused = fused_projections(model)
    assert layer.self_attn.k_proj.weight.data_ptr() > fused[0]["qkv"].w.data_ptr()  # a view, not a copy

    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * p.std().clamp(min=0.02))  # in place, as an optimizer step
        layer.mlp.up_proj.weight.data = layer.mlp.up_proj.weight.data.clone() * -1  # storage swapped
    fast = generate(model, tok, prompt, sp, fast=True, runtime=runtime)[1].tokens
    eager = generate(model, tok, prompt, sp, fast=False)[1].tokens
    assert torch.equal(fast, eager)
    # A random tiny model's greedy tokens barely move with its weights, so check what the decode reads.
    assert runtime.decoder is not None
    gate_up = runtime.decoder.weights[0]["gate_up"].w
    gate_rows = layer.mlp.gate_proj.weight.shape[0]
    assert torch.equal(gate_up[gate_rows:], layer.mlp.up_proj.weight)  # the swapped parameter, fused again
    assert layer.mlp.up_proj.weight.data_ptr() == gate_up[gate_rows:].data_ptr()

    save_checkpoint(model, raw, qwen2_dir, tmp_path / "out")
    again, _ = load_model(tmp_path / "out", torch.float32, torch.device("cpu"))
    for name in ("mlp.up_proj.weight", "mlp.gate_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.bias"):
        assert torch.equal(again.model.layers[0].get_parameter(name), layer.get_parameter(name)), name


# Waves: the rows of one call decoded a few at a time on a cache sized for the wave.


def _as_tuple(result) -> tuple:
    rollouts, batch, _ = result
    return (
        [(r.prompt_index, r.text, r.tokens, r.finish_reason) for r in rollouts],
        batch.tokens.tolist(),
        batch.prompt_len,
        batch.pad_left.tolist(),
        batch.resp_len.tolist(),
        batch.prompt_index,
    )


def staggered_rows(model, tok: TextTokenizer) -> tuple[list[list[int]], SamplingParams]:
    """Three prompts x 4 greedy rows that end at different steps: prompt 2's by step 4, prompt 0's by
    step 21 (EOS tokens set on `tok`), prompt 1's run to the limit of 40, so the batch shrinks mid-wave."""
    tok.eos_ids = []
    prompts = [tok.encode("Let x be"), tok.encode("What is 12 + 30?"), tok.encode("x")]
    free = [greedy_reference(model, p, 40) for p in prompts]
    tok.eos_ids = [free[0][20], free[2][3]]
    return prompts, SamplingParams(rollouts=4, temperature=0.0, max_response_tokens=40)


@pytest.mark.parametrize("fast", [False, True], ids=["eager", "runner"])
def test_greedy_waves_return_what_one_call_returns(loaded, fast):
    model, tok = loaded
    prompts, sp = staggered_rows(model, tok)
    whole = _as_tuple(generate(model, tok, prompts, sp, fast=fast))
    assert {r[3] for r in whole[0]} == {"stop", "length"}
    for wave in (1, 3, 5, 7, 12, 100):  # 7: the last wave (5 rows) decodes in a bucket of 6
        runtime = ModelRuntime(model)
        assert _as_tuple(generate(model, tok, prompts, sp, fast=fast, runtime=runtime, wave_rows=wave)) == whole, wave


@pytest.mark.parametrize("fast", [False, True], ids=["eager", "runner"])
def test_seeded_sampling_in_waves_is_reproducible(loaded, fast):
    model, tok = loaded
    tok.eos_ids = []
    prompts = [tok.encode("hi"), tok.encode("What is 12 + 30?")]
    sp = SamplingParams(rollouts=3, temperature=1.0, top_p=0.95, max_response_tokens=10, seed=5)
    a = _as_tuple(generate(model, tok, prompts, sp, fast=fast, wave_rows=4))
    b = _as_tuple(generate(model, tok, prompts, sp, fast=fast, wave_rows=4))
    assert a == b and len({r[1] for r in a[0]}) > 1
    other = _as_tuple(generate(model, tok, prompts, SamplingParams(**{**sp.__dict__, "seed": 6}), fast=fast, wave_rows=4))
    assert other != a


@pytest.mark.parametrize("fast", [False, True], ids=["eager", "runner"])
def test_waves_bound_the_kv_cache(qwen2_dir: Path, fast):
    model, _ = load_model(qwen2_dir, torch.float32, torch.device("cpu"))
    tok = TextTokenizer(qwen2_dir)
    tok.eos_ids = []
    prompts = [tok.encode("What is 12 + 30?")] * 4
    sp = SamplingParams(rollouts=4, temperature=0.0, max_response_tokens=64)
    held = {}
    for wave in (None, 8, 2):
        runtime = ModelRuntime(model)
        generate(model, tok, prompts, sp, fast=fast, runtime=runtime, wave_rows=wave)
        held[wave] = runtime.kv_cache_peak_bytes
    cfg = model.cfg
    per_token = 2 * cfg.num_layers * cfg.num_kv_heads * cfg.head_dim * 4  # keys and values, fp32
    plen = len(prompts[0])
    assert held[None] >= 16 * (plen + 64) * per_token
    assert held[8] < 0.6 * held[None] and held[2] < 0.2 * held[None]
    assert held[2] < 2 * 2 * (plen + 64 + 64) * per_token + 4 * plen * per_token  # runner columns round up to 64
