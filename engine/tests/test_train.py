"""train_step against a naive reference: full-vocabulary log_softmax, one unpadded row at a time."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest
import torch

from oneshot_engine import protocol
from oneshot_engine import train as train_mod
from oneshot_engine.generate import RolloutBatch, left_pad
from oneshot_engine.loading import load_model
from oneshot_engine.protocol import OptimizerParams, TrainStepParams
from oneshot_engine.train import Trainer, accumulate_gradients

PROMPTS = [[5, 17, 33, 2, 9], [40, 41, 42]]
RESPONSES = [[7, 8, 9, 10], [11, 12, 13, 14, 15, 16, 17], [18], [19, 20, 21, 22, 23, 24], [25, 26]]
PROMPT_INDEX = [0, 0, 1, 1, 1]
ADVANTAGES = [1.0, -0.5, 0.8, -1.2, 0.3]


def loss(**changes) -> TrainStepParams:
    """train_step params for ADVANTAGES: PPO clip 0.2, no KL, no entropy bonus, token-mean, one mini-batch."""
    base = TrainStepParams("", ADVANTAGES, 0.2, 0.2, 0.0, "low_var_kl", 0.0, "token-mean", 1, 5)
    return dataclasses.replace(base, **changes)


def optimizer(**changes) -> OptimizerParams:
    return dataclasses.replace(OptimizerParams(1e-6, 0.01, (0.9, 0.999), 1e-8, 1.0, "fp32"), **changes)


def make_batch(pad_id: int = 0) -> RolloutBatch:
    ids, pad_left = left_pad(PROMPTS, pad_id, torch.device("cpu"))
    width = max(len(r) for r in RESPONSES)
    resp = torch.full((len(RESPONSES), width), pad_id, dtype=torch.long)
    for i, r in enumerate(RESPONSES):
        resp[i, : len(r)] = torch.tensor(r)
    rows = torch.tensor(PROMPT_INDEX)
    return RolloutBatch(
        tokens=torch.cat([ids[rows], resp], dim=1),
        prompt_len=ids.shape[1],
        pad_left=pad_left[rows],
        resp_len=torch.tensor([len(r) for r in RESPONSES]),
        prompt_index=PROMPT_INDEX,
    )


def naive_token_terms(model, row: int):
    """Per-token log-prob and entropy of one row from the full fp32 log_softmax of an unpadded pass."""
    prompt, resp = PROMPTS[PROMPT_INDEX[row]], RESPONSES[row]
    logits = model(torch.tensor([prompt + resp]))[0].float()
    logsm = logits.log_softmax(-1)[len(prompt) - 1 : len(prompt) - 1 + len(resp)]
    logp = logsm.gather(-1, torch.tensor(resp)[:, None]).squeeze(-1)
    entropy = -(logsm.exp() * logsm).sum(-1)
    return logp, entropy


def naive_kl(logp, ref, kind):
    if kind == "k1":
        return logp - ref
    if kind == "k2":
        return 0.5 * (logp - ref) ** 2
    return torch.exp(ref - logp) - (ref - logp) - 1


def naive_agg(per_row: list[torch.Tensor], mode: str) -> torch.Tensor:
    if mode == "token-mean":
        return torch.cat(per_row).mean()
    if mode == "seq-mean-token-mean":
        return torch.stack([v.mean() for v in per_row]).mean()
    return torch.stack([v.sum() for v in per_row]).mean()


def naive_loss(model, ref_model, lp: TrainStepParams, old_shift: list[torch.Tensor]):
    pgs, ents, kls, clipped = [], [], [], 0
    for row in range(len(RESPONSES)):
        logp, ent = naive_token_terms(model, row)
        old = logp.detach() + old_shift[row]
        ratio = torch.exp(logp - old)
        a = ADVANTAGES[row]
        plain, clip = -a * ratio, -a * torch.clamp(ratio, 1 - lp.clip_ratio_low, 1 + lp.clip_ratio_high)
        pgs.append(torch.maximum(plain, clip))
        clipped += int((clip > plain).sum())
        ents.append(ent)
        with torch.no_grad():
            ref, _ = naive_token_terms(ref_model, row)
        kls.append(naive_kl(logp, ref, lp.kl_type))
    pg, ent, kl = (naive_agg(v, lp.loss_agg) for v in (pgs, ents, kls))
    total = pg - lp.entropy_coef * ent + lp.kl_coef * kl
    return total, {"pg_loss": pg, "entropy": ent, "kl": kl, "clip_fraction": clipped / sum(map(len, RESPONSES))}


@pytest.fixture(scope="module")
def models(family_dirs: dict[str, Path]):
    model, _ = load_model(family_dirs["qwen3"], torch.float32, torch.device("cpu"))
    ref = copy.deepcopy(model)
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model, ref


@pytest.mark.parametrize("loss_agg", protocol.LOSS_AGGS)
@pytest.mark.parametrize("kl_type", protocol.KL_TYPES)
def test_loss_and_gradients_match_naive_reference(models, loss_agg, kl_type, monkeypatch):
    model, ref = models
    # Small logits chunks, so the chunked path really runs several chunks.
    monkeypatch.setattr(train_mod, "LOGITS_CHUNK_BYTES", 4 * 512 * 3)
    lp = loss(clip_ratio_high=0.28, kl_coef=0.3, kl_type=kl_type, entropy_coef=0.05, loss_agg=loss_agg)
    gen = torch.Generator().manual_seed(0)
    shift = [torch.randn(len(r), generator=gen) * 0.3 for r in RESPONSES]  # off-policy: some ratios clip
    batch = make_batch()
    width = batch.tokens.shape[1] - batch.prompt_len
    old = torch.zeros(len(RESPONSES), width)
    with torch.no_grad():
        for row in range(len(RESPONSES)):
            old[row, : len(RESPONSES[row])] = naive_token_terms(model, row)[0] + shift[row]
    ref_logp = train_mod.batch_logp(ref, batch, micro_batch_size=2)

    model.zero_grad(set_to_none=True)
    rows = torch.arange(len(RESPONSES))
    got = accumulate_gradients(model, batch, rows, torch.tensor(ADVANTAGES), lp, 2, old, ref_logp)
    ours = {n: p.grad.clone() for n, p in model.named_parameters()}

    model.zero_grad(set_to_none=True)
    total, expected = naive_loss(model, ref, lp, shift)
    total.backward()
    assert expected["clip_fraction"] > 0
    for key in ("pg_loss", "entropy", "kl", "clip_fraction"):
        assert got[key] == pytest.approx(float(torch.as_tensor(expected[key]).detach()), rel=1e-4, abs=1e-6), key
    assert got["loss"] == pytest.approx(float(total.detach()), rel=1e-4, abs=1e-6)
    for n, p in model.named_parameters():
        torch.testing.assert_close(ours[n], p.grad, rtol=1e-3, atol=1e-6, msg=n)
    model.zero_grad(set_to_none=True)


def test_entropy_bonus_and_kl_terms_move_the_gradient(models):
    model, ref = models
    batch, rows, adv = make_batch(), torch.arange(len(RESPONSES)), torch.tensor(ADVANTAGES)
    ref_logp = train_mod.batch_logp(ref, batch, 8)

    def grad_of(lp: TrainStepParams) -> torch.Tensor:
        model.zero_grad(set_to_none=True)
        accumulate_gradients(model, batch, rows, adv, lp, 8, None, ref_logp)
        return model.lm_head.weight.grad.clone()

    base = grad_of(loss())
    with_entropy = grad_of(loss(entropy_coef=0.1))
    with_kl = grad_of(loss(kl_coef=0.1))
    assert not torch.allclose(base, with_entropy) and not torch.allclose(base, with_kl)
    # An identical reference gives KL 0 and (k2, low_var_kl) zero KL gradient.
    same_ref = train_mod.batch_logp(model, batch, 8)
    model.zero_grad(set_to_none=True)
    m = accumulate_gradients(model, batch, rows, adv, loss(kl_coef=1.0, kl_type="k2"), 8, None, same_ref)
    assert m["kl"] == pytest.approx(0.0, abs=1e-6)
    torch.testing.assert_close(model.lm_head.weight.grad, base, rtol=1e-4, atol=1e-6)
    model.zero_grad(set_to_none=True)


def test_gradient_checkpointing_gives_the_same_gradients(models):
    model, _ = models
    batch, rows, adv = make_batch(), torch.arange(len(RESPONSES)), torch.tensor(ADVANTAGES)
    model.train()
    model.zero_grad(set_to_none=True)
    accumulate_gradients(model, batch, rows, adv, loss(entropy_coef=0.01), 3)
    plain = model.model.layers[0].mlp.up_proj.weight.grad.clone()
    model.zero_grad(set_to_none=True)
    model.gradient_checkpointing = True
    try:
        accumulate_gradients(model, batch, rows, adv, loss(entropy_coef=0.01), 3)
    finally:
        model.gradient_checkpointing = False
    torch.testing.assert_close(model.model.layers[0].mlp.up_proj.weight.grad, plain)
    model.zero_grad(set_to_none=True)


@pytest.mark.parametrize("state", ["fp32", "compact"])
def test_lr_1e6_changes_bf16_weights(family_dirs, state):
    """Adam moves each weight by about lr per step. A bf16 weight near 0.02 has a spacing of ~1e-4, so
    plain bf16 updates of 1e-6 round away every time (test_optim shows it); fp32 masters and the compact
    state's compensation accumulate them until they flip."""
    model, _ = load_model(family_dirs["qwen2"], torch.bfloat16, torch.device("cpu"))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    trainer = Trainer(model, optimizer(lr=1e-6, weight_decay=0.0, optimizer_state=state), None)
    for _ in range(40):
        result = trainer.step(make_batch(), loss())
    changed = sum(int((p.detach() != before[n]).sum()) for n, p in model.named_parameters())
    assert changed / sum(p.numel() for p in model.parameters()) > 0.3
    assert result["tokens"] == sum(map(len, RESPONSES)) and result["grad_norm"] > 0


def test_step_with_mini_batches_reports_all_fields(family_dirs):
    model, _ = load_model(family_dirs["llama"], torch.float32, torch.device("cpu"))
    ref = copy.deepcopy(model).requires_grad_(False)
    trainer = Trainer(model, optimizer(lr=1e-2, grad_clip=0.5), ref)
    lp = loss(kl_coef=0.01, entropy_coef=0.001, mini_batches=2, micro_batch_size=2)
    seen = []
    r = trainer.step(make_batch(), lp, on_progress=lambda d, t: seen.append((d, t)))
    assert set(r) == {"loss", "pg_loss", "kl", "entropy", "clip_fraction", "grad_norm", "tokens", "time_s", "peak_mem_gb"}
    assert seen[-1] == (3, 3)  # mini-batches of 3 + 2 rows, micro-batches of 2: 2 + 1
    # The second mini-batch runs after an update at lr 1e-2: off-policy, so some tokens clip and KL > 0.
    assert r["clip_fraction"] > 0 and r["kl"] > 0
    with pytest.raises(Exception, match="advantages"):
        trainer.step(make_batch(), dataclasses.replace(lp, advantages=ADVANTAGES[:2]))


def test_checkpointing_only_the_layers_memory_requires():
    # 1,000 tokens, 10 bytes a layer keeps per token (1 once checkpointed), 4 layers: 40,000 bytes.
    assert train_mod.layers_that_fit(1000, 10, 1, 4, 40_000) == 0
    assert train_mod.layers_that_fit(1000, 10, 1, 4, 31_000) == 1  # one layer saves 9,000
    assert train_mod.layers_that_fit(1000, 10, 1, 4, 30_999) == 2
    assert train_mod.layers_that_fit(1000, 10, 1, 4, 0) == 4


def test_checkpointing_some_layers_gives_the_same_gradients(models):
    model, _ = models
    batch, rows, adv = make_batch(), torch.arange(len(RESPONSES)), torch.tensor(ADVANTAGES)
    model.train()
    model.zero_grad(set_to_none=True)
    accumulate_gradients(model, batch, rows, adv, loss(entropy_coef=0.01), 3)
    plain = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad(set_to_none=True)
    model.checkpoint_layers = 1
    try:
        accumulate_gradients(model, batch, rows, adv, loss(entropy_coef=0.01), 3)
    finally:
        model.checkpoint_layers = 0
    for n, p in model.named_parameters():
        torch.testing.assert_close(p.grad, plain[n], msg=n)
    model.zero_grad(set_to_none=True)


def test_no_reference_forward_when_kl_coef_is_zero(family_dirs):
    model, _ = load_model(family_dirs["qwen2"], torch.float32, torch.device("cpu"))
    ref = copy.deepcopy(model).requires_grad_(False)
    calls = []
    ref.register_forward_pre_hook(lambda *_: calls.append(1))
    ref.model.layers[0].register_forward_pre_hook(lambda *_: calls.append(1))
    trainer = Trainer(model, optimizer(lr=1e-3), ref)
    trainer.step(make_batch(), loss(kl_coef=0.0))
    assert calls == []
    trainer.step(make_batch(), loss(kl_coef=0.01))
    assert calls


def test_bf16_gradients_move_to_fp32_masters_during_backward(family_dirs):
    rows, adv = torch.arange(len(RESPONSES)), torch.tensor(ADVANTAGES)
    plain, _ = load_model(family_dirs["qwen2"], torch.bfloat16, torch.device("cpu"))
    plain.train()
    accumulate_gradients(plain, make_batch(), rows, adv, loss(), 5)
    model, _ = load_model(family_dirs["qwen2"], torch.bfloat16, torch.device("cpu"))
    trainer = Trainer(model, optimizer(lr=0.0), None)
    model.train()
    accumulate_gradients(model, make_batch(), rows, adv, loss(), 5)
    assert all(p.grad is None for p in model.parameters())  # no bf16 gradient outlives its backward
    for p, m in zip(plain.parameters(), trainer.master, strict=True):
        assert m.grad.dtype == torch.float32
        torch.testing.assert_close(m.grad, p.grad.float(), rtol=0, atol=0)


def test_step_asks_kv_release_before_choosing_checkpointed_layers(family_dirs, monkeypatch):
    """Trainer.step offers the decode runner's memory to the checkpointing rule (kv_release) with the
    batch's tokens before it picks the layers, so a freed cache means fewer recomputed layers."""
    model, _ = load_model(family_dirs["qwen2"], torch.float32, torch.device("cpu"))
    trainer = Trainer(model, optimizer(lr=1e-3), None)
    seen = []

    def record(runtime, tokens, layers_for):
        seen.append((runtime is trainer.runtime, tokens, layers_for(1 << 40)))
        return False

    monkeypatch.setattr(train_mod, "release_decoder_if_it_pays", record)
    batch = make_batch()
    trainer.step(batch, loss())
    assert seen == [(True, batch.rows * batch.tokens.shape[1], 0)]


def test_reference_forward_runs_the_runtimes_compiled_reference_layers(family_dirs, monkeypatch):
    """The reference's log-prob pass goes through runtime.reference_layers (compiled on CUDA, its own
    layers on the CPU), not its eager modules; the KL term it feeds is the same."""
    model, _ = load_model(family_dirs["qwen2"], torch.float32, torch.device("cpu"))
    ref = copy.deepcopy(model).requires_grad_(False)
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    plain = Trainer(copy.deepcopy(model), optimizer(lr=1e-3), ref).step(make_batch(), loss(kl_coef=0.01))
    trainer = Trainer(model, optimizer(lr=1e-3), ref)
    calls = []

    class Counted(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *args):
            calls.append(torch.is_grad_enabled())
            return self.inner(*args)

    assert list(trainer.runtime.reference_layers(ref)) == list(ref.model.layers)  # the CPU: not compiled
    monkeypatch.setattr(trainer.runtime, "reference_layers", lambda r: [Counted(layer) for layer in r.model.layers])
    result = trainer.step(make_batch(), loss(kl_coef=0.01))
    assert calls and not any(calls)  # every call a no-grad reference pass
    assert result["kl"] == pytest.approx(plain["kl"], rel=1e-6)
    assert result["loss"] == pytest.approx(plain["loss"], rel=1e-6)


def test_micro_batches_keep_their_logits_only_when_memory_allows(family_dirs, monkeypatch):
    """The trainer asks keep_logits_fits (never on the CPU) and passes its answer to every micro-batch's
    vocabulary projection; the no-grad reference pass never keeps."""
    model, _ = load_model(family_dirs["qwen2"], torch.float32, torch.device("cpu"))
    ref = copy.deepcopy(model).requires_grad_(False)
    trainer = Trainer(model, optimizer(lr=1e-3), ref)
    batch = make_batch()
    assert not train_mod.keep_logits_fits(trainer.runtime, batch, 2, 4)
    assert train_mod.kept_logits_bytes(model, batch, 2) == 2 * 7 * model.lm_head.weight.shape[0] * 4
    seen = []
    inner = train_mod.token_logp_entropy

    def record(h, w, targets, triton=True, keep_logits=False):
        seen.append((torch.is_grad_enabled(), keep_logits))
        return inner(h, w, targets, triton, keep_logits)

    monkeypatch.setattr(train_mod, "token_logp_entropy", record)
    for fits in (False, True):
        monkeypatch.setattr(train_mod, "keep_logits_fits", lambda *_a, fits=fits: fits)
        seen.clear()
        trainer.step(batch, loss(kl_coef=0.01, micro_batch_size=2))
        assert {k for grad, k in seen if not grad} == {False}
        assert {k for grad, k in seen if grad} == {fits}
