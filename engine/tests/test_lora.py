"""LoRA (lora.py): adapters on a frozen base, the reference without a copy, decode with adapters,
merged and PEFT checkpoints, exact resume, refusals."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import torch
from test_resume import _step, assert_continues_exactly
from test_server import GEN, STEP, load_params
from torch.utils._python_dispatch import TorchDispatchMode

from oneshot_engine import lora, protocol
from oneshot_engine.decode import DecodeRunner, Sampler
from oneshot_engine.engine import Engine
from oneshot_engine.errors import BAD_CONFIG, EngineError
from oneshot_engine.fused_weights import GROUPS
from oneshot_engine.generate import SamplingParams, generate
from oneshot_engine.loading import load_model
from oneshot_engine.runtime import ModelRuntime
from oneshot_engine.tokenizer import TextTokenizer
from oneshot_engine.train import batch_logp

ALL = list(lora.TARGETS)


def lora_params(model_dir: Path | str, rank: int = 4, alpha: float = 8.0, targets: list[str] | None = None, **over) -> dict:
    spec = {"rank": rank, "alpha": alpha, "targets": ALL if targets is None else targets, "dropout": 0.0}
    return load_params(model_dir, lora=spec, **over)


def _engine(logs: list[str] | None = None) -> Engine:
    return Engine(lambda method, p: logs.append(p["message"]) if logs is not None and method == "log" else None)


def _load(params: dict, logs: list[str] | None = None) -> Engine:
    engine = _engine(logs)
    engine.load(protocol.parse(protocol.LoadParams, params))
    return engine


def _save(engine: Engine, path: Path) -> dict:
    return engine.save(protocol.parse(protocol.SaveParams, {"path": str(path), "include_state": True}))


def _randomise_adapters(model: torch.nn.Module, seed: int = 0, std: float = 0.5) -> None:
    """Non-zero B's (a fresh adapter is the base model exactly), large enough to change greedy tokens."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in lora.lora_layers(model).values():
            m.lora_B.copy_(torch.randn(m.lora_B.shape, generator=g) * std)


def _base_weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items() if not k.endswith((".lora_A", ".lora_B"))}


@pytest.mark.parametrize("state", ["fp32", "compact"])
def test_only_the_adapters_train_and_the_base_stays_frozen(qwen2_dir, state):
    params = lora_params(qwen2_dir, dtype="bfloat16")
    params["optimizer"] = {**params["optimizer"], "optimizer_state": state}
    logs: list[str] = []
    engine = _load(params, logs)
    trainable = sum(m.lora_A.numel() + m.lora_B.numel() for m in lora.lora_layers(engine.model).values())
    assert any(f"LoRA rank 4: {trainable:,} trainable parameters" in m for m in logs), logs
    base = _base_weights(engine.model)
    adapters = [p.detach().clone() for p in engine.trainer.params]
    _step(engine, seed=1)
    _step(engine, seed=2)
    trainer = engine.trainer
    # Optimizer and gradients only for the fp32 adapters (compact has nothing to compress: plain AdamW).
    assert trainer.optimizer_state == "fp32" and not trainer.use_master
    assert len(trainer.params) == 2 * 7 * engine.model.cfg.num_layers
    assert all(p.dtype == torch.float32 and p.requires_grad for p in trainer.params)
    assert set(trainer.optimizer.state) == set(trainer.params)
    for name, p in engine.model.named_parameters():
        if not name.endswith(("lora_A", "lora_B")):
            assert not p.requires_grad and p.grad is None and p.dtype == torch.bfloat16, name
    for k, v in _base_weights(engine.model).items():
        assert torch.equal(v, base[k]), k
    assert any(not torch.equal(a, p) for a, p in zip(adapters, trainer.params, strict=True))
    assert trainer.state_gb() * 1024**3 == 8 * trainable


def test_reference_is_the_base_model_with_adapters_off_not_a_copy(qwen2_dir):
    engine = _load(lora_params(qwen2_dir))
    model = engine.model
    assert engine.trainer.reference is model  # no second model in memory
    base, _ = load_model(qwen2_dir, torch.float32, torch.device("cpu"))
    _randomise_adapters(model)
    gen = engine.generate(protocol.parse(protocol.GenerateParams, {**GEN, "prompts": ["Solve x"], "seed": 3}))
    batch = engine.batches[gen["batch_id"]]
    with lora.adapters_disabled(model):
        off = batch_logp(model, batch, 2)
    assert torch.allclose(off, batch_logp(base, batch, 2), atol=1e-5)
    assert not torch.allclose(off, batch_logp(model, batch, 2), atol=1e-3)  # the switch is back on
    # The step's KL measures against the base: non-zero once the adapters moved the policy.
    params = {**STEP, "batch_id": gen["batch_id"], "advantages": [1.0, -1.0, 0.5, -0.5], "kl_coef": 0.1}
    assert engine.train_step(protocol.parse(protocol.TrainStepParams, params))["kl"] > 0


def _merged_model(qwen2_dir: Path, model: torch.nn.Module) -> torch.nn.Module:
    merged, _ = load_model(qwen2_dir, torch.float32, torch.device("cpu"))
    merged.load_state_dict(lora.merged_state_dict(model))
    return merged


@pytest.mark.parametrize("targets", [ALL, ["q_proj", "v_proj", "down_proj"]])
def test_fast_decode_with_adapters_matches_merged_weights(family_dirs, targets):
    """The decode runner's step (eager here, captured in CUDA graphs on a GPU) adds the adapters from
    its own buffers; its greedy tokens equal those of a model with the adapters merged in, and an
    in-place adapter update (an optimizer step) reaches the same buffers without rebuilding them."""
    d = family_dirs["qwen3"]  # per-head q/k norms: the adapter must act before them
    model, _ = load_model(d, torch.float32, torch.device("cpu"))
    lora.attach(model, protocol.LoraParams(rank=4, alpha=8.0, targets=targets, dropout=0.0))
    _randomise_adapters(model)
    tok = TextTokenizer(d)
    tok.eos_ids = []
    prompts = [tok.encode("What is 12 + 30?"), tok.encode("x")]
    sp = SamplingParams(rollouts=2, temperature=0.0, max_response_tokens=16)
    runtime = ModelRuntime(model)
    fast = generate(model, tok, prompts, sp, fast=True, runtime=runtime)[1].tokens
    merged = _merged_model(d, model)
    assert torch.equal(fast, generate(merged, tok, prompts, sp, fast=True)[1].tokens)
    assert torch.equal(fast, generate(model, tok, prompts, sp, fast=False)[1].tokens)  # the eager loop
    with lora.adapters_disabled(model):
        base = generate(model, tok, prompts, sp, fast=False)[1].tokens
    assert not torch.equal(fast, base)  # the adapters change what is decoded

    runner = runtime.decoder
    assert runner is not None and runner.adapters is not None
    pointers = runner.adapters.pointers()
    _randomise_adapters(model, seed=1)  # in place, as the optimizer updates them
    again = generate(model, tok, prompts, sp, fast=True, runtime=runtime)[1].tokens
    assert runtime.decoder is runner and runner.adapters.pointers() == pointers  # captured graphs stay valid
    assert torch.equal(again, generate(_merged_model(d, model), tok, prompts, sp, fast=True)[1].tokens)
    assert not torch.equal(again, fast)


class _OpCounter(TorchDispatchMode):
    """Counts the aten ops that run kernels (views excluded), by name."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: Counter[str] = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        if not func.is_view:
            self.ops[str(func)] += 1
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("targets", [ALL, ["q_proj", "v_proj", "down_proj"]])
def test_adapters_ride_the_decode_gemms(qwen2_dir, targets):
    """The adapters' A's are extra rows of the decode's fused weight buffers (the projections' weights
    stay views into them; the A rows are all the memory added), so a decode step with adapters runs
    the step without them plus one addmm_ per adapted GEMM and layer: no casts, adds or copies."""
    ops = {}
    for name in ("base", "lora"):
        model, _ = load_model(qwen2_dir, torch.float32, torch.device("cpu"))
        if name == "lora":
            lora.attach(model, protocol.LoraParams(rank=4, alpha=8.0, targets=targets, dropout=0.0))
            _randomise_adapters(model)
        runner = DecodeRunner(model, rows_max=2, max_len=64, use_graphs=False)
        with _OpCounter() as counter:
            runner._step(2, 64, Sampler(greedy=True, top_k=0, top_p=1.0))
        ops[name] = counter.ops
    adapted = {g for g, (_, names) in GROUPS.items() if set(names) & set(targets)}
    extra = ops["lora"] - ops["base"]
    assert extra == Counter({"aten.addmm_.default": len(adapted) * model.cfg.num_layers})
    assert not ops["base"] - ops["lora"]

    assert runner.adapters is not None
    for block, weights, adapters in zip(model.model.layers, runner.weights, runner.adapters.layers, strict=True):
        for group, (part, names) in GROUPS.items():
            gemm, linears = weights[group], [getattr(getattr(block, part), n) for n in names]
            rank_rows = 4 * sum(n in targets for n in names)
            assert gemm.w.shape[0] == gemm.out + rank_rows == sum(m.out_features for m in linears) + rank_rows
            row = gemm.w.data_ptr()
            for m in linears:  # the parameters are the buffer's slices, not copies
                assert m.weight.data_ptr() == row or rank_rows == 0
                row += m.weight.numel() * m.weight.element_size()
            g = adapters[group]
            assert (g is None) == (rank_rows == 0)
            if g is not None:
                assert g.a.data_ptr() == row


def _hf_logits(model, ids: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=ids).logits


def test_checkpoint_holds_merged_weights_and_a_peft_adapter(qwen2_dir, tmp_path):
    transformers = pytest.importorskip("transformers")
    peft = pytest.importorskip("peft")
    engine = _load(lora_params(qwen2_dir, targets=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
    _randomise_adapters(engine.model, std=0.2)
    _step(engine, seed=1)  # A's moved too
    files = _save(engine, tmp_path / "ckpt")["files"]
    assert {"model.safetensors", "adapter/adapter_config.json", "adapter/adapter_model.safetensors"} <= set(files)
    ids = torch.tensor([[5, 17, 42, 99, 3, 250, 7, 64]])
    with torch.no_grad():
        ours = engine.model(ids)

    merged = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "ckpt", torch_dtype=torch.float32)
    assert torch.allclose(_hf_logits(merged, ids), ours, atol=1e-4)

    base = transformers.AutoModelForCausalLM.from_pretrained(qwen2_dir, torch_dtype=torch.float32)
    with_adapter = peft.PeftModel.from_pretrained(base, tmp_path / "ckpt" / "adapter")
    assert torch.allclose(_hf_logits(with_adapter, ids), ours, atol=1e-4)
    # Not trivially equal: the adapter moves the logits away from the base model's.
    with with_adapter.disable_adapter():
        assert not torch.allclose(_hf_logits(with_adapter, ids), ours, atol=1e-2)


def test_resume_restores_adapters_and_optimizer_state_exactly_on_the_original_base(qwen2_dir, tmp_path):
    params = lora_params(qwen2_dir, dtype="bfloat16")
    straight = _load(params)
    _step(straight, seed=1)
    _save(straight, tmp_path / "ckpt")
    expected = _step(straight, seed=2)

    resume = {**params, "model": str(tmp_path / "ckpt"), "resume_state": str(tmp_path / "ckpt")}
    resumed = _load(resume)
    assert resumed.trainer.steps == 1
    # The base is the original model's weights, not the checkpoint's merged ones.
    original, _ = load_model(qwen2_dir, torch.bfloat16, torch.device("cpu"))
    want = original.state_dict()
    for k, v in _base_weights(resumed.model).items():
        assert torch.equal(v, want[k]), k
    assert_continues_exactly(straight, resumed, expected, _step(resumed, seed=2))
    # A resume of the resumed run still finds the original base.
    _save(resumed, tmp_path / "ckpt2")
    again = _load({**params, "model": str(tmp_path / "ckpt2"), "resume_state": str(tmp_path / "ckpt2")})
    assert again.base_source["model"] == str(qwen2_dir)


def test_resume_names_the_base_model_when_it_is_gone(family_dirs, tmp_path):
    base = tmp_path / "base"
    shutil.copytree(family_dirs["llama"], base)
    params = lora_params(base)
    engine = _load(params)
    _step(engine, seed=1)
    _save(engine, tmp_path / "ckpt")
    shutil.rmtree(base)
    with pytest.raises(EngineError) as e:
        _load({**params, "model": str(tmp_path / "ckpt"), "resume_state": str(tmp_path / "ckpt")})
    assert e.value.message.startswith(
        f"resuming this LoRA run loads its base model again, which failed: model '{base}' is neither"
    ), e.value.message


def test_resume_with_other_lora_settings_is_refused_naming_both(qwen2_dir, tmp_path):
    params = lora_params(qwen2_dir)
    engine = _load(params)
    _step(engine, seed=1)
    _save(engine, tmp_path / "ckpt")
    resume = {"model": str(tmp_path / "ckpt"), "resume_state": str(tmp_path / "ckpt")}
    cases = {
        "lora rank 8, alpha 8, targets all-linear;": lora_params(qwen2_dir, rank=8, **resume),
        "lora rank 4, alpha 16, targets all-linear;": lora_params(qwen2_dir, alpha=16.0, **resume),
        "lora rank 4, alpha 8, targets q_proj;": lora_params(qwen2_dir, targets=["q_proj"], **resume),
        "full fine-tuning (no lora);": load_params(qwen2_dir, **resume),
    }
    for wanted, p in cases.items():
        with pytest.raises(EngineError) as e:
            _load(p)
        assert e.value.code == BAD_CONFIG
        assert e.value.message.startswith("resume_state was saved with lora rank 4, alpha 8, targets all-linear but ")
        assert f"this run asks for {wanted}" in e.value.message, e.value.message
    # A full fine-tuning state cannot continue as LoRA either.
    full = _load(load_params(qwen2_dir))
    _step(full, seed=1)
    _save(full, tmp_path / "full")
    with pytest.raises(EngineError, match="saved with full fine-tuning .no lora. but this run asks for lora rank 4"):
        _load(lora_params(qwen2_dir, model=str(tmp_path / "full"), resume_state=str(tmp_path / "full")))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"rank": -1}, "lora rank must be 0 (full fine-tuning) or positive, not -1."),
        ({"rank": 33}, "lora rank 33 is larger than k_proj's width of 32 (64 in, 32 out)."),
        ({"targets": ["q_proj", "lm_head"]}, "lora target 'lm_head' is not a linear layer of the decoder; pick from q_proj,"),
        ({"targets": []}, "lora.targets is empty"),
    ],
)
def test_bad_lora_settings_are_refused_at_load(qwen2_dir, spec, message):
    p = lora_params(qwen2_dir)
    p["lora"] = {**p["lora"], **spec}
    with pytest.raises(EngineError) as e:
        _load(p)
    assert e.value.code == BAD_CONFIG and e.value.message.startswith(message), e.value.message


def test_rank_zero_and_eval_loads_are_full_fine_tuning(qwen2_dir):
    engine = _load(lora_params(qwen2_dir, rank=0))
    assert not lora.lora_layers(engine.model) and engine.trainer.reference is not engine.model
    engine = _load(lora_params(qwen2_dir, train=False))
    assert not lora.lora_layers(engine.model)


def test_dropout_acts_only_where_gradients_flow(qwen2_dir):
    model, _ = load_model(qwen2_dir, torch.float32, torch.device("cpu"))
    lora.attach(model, protocol.LoraParams(rank=4, alpha=8.0, targets=ALL, dropout=0.5))
    _randomise_adapters(model)
    model.train()
    ids = torch.tensor([[5, 17, 42, 99]])
    with torch.no_grad():
        assert torch.equal(model(ids), model(ids))
    a, b = model(ids), model(ids)
    assert not torch.allclose(a, b)


def test_compiled_training_layers_trace_the_adapters(qwen2_dir):
    """runtime.training_layers compiles each layer on CUDA; the adapters must trace into that graph
    (no graph break) and give the eager layer's gradients. aot_eager runs the same tracing on the CPU."""
    model, _ = load_model(qwen2_dir, torch.float32, torch.device("cpu"))
    lora.attach(model, protocol.LoraParams(rank=4, alpha=8.0, targets=ALL, dropout=0.0))
    _randomise_adapters(model, std=0.1)
    model.train()
    layer = model.model.layers[0]
    compiled = torch.compile(layer, backend="aot_eager", fullgraph=True)
    x = torch.randn(2, 5, model.cfg.hidden_size)
    cos, sin = model.rope(torch.arange(5).expand(2, 5), torch.float32)
    grads = []
    for run in (layer, compiled):
        model.zero_grad()
        run(x, cos, sin, None).square().sum().backward()
        grads.append([m.lora_A.grad.clone() for m in lora.lora_layers(layer).values()])
    assert all(g is not None for g in grads[1])
    for eager, traced in zip(*grads, strict=True):
        assert torch.allclose(eager, traced, rtol=1e-4, atol=1e-6)


def test_the_compiled_reference_pass_runs_the_policy_with_adapters_off(qwen2_dir, monkeypatch):
    """The KL reference's log-prob pass runs compiled layers (ModelRuntime.reference_layers, on a GPU;
    here aot_eager on the CPU). A LoRA run's reference is the policy itself: its compiled layers, used
    first with the adapters on, must give the base model's log-probs inside the step."""
    from oneshot_engine import train

    engine = _load(lora_params(qwen2_dir))
    model = engine.model
    _randomise_adapters(model)
    compiled = [torch.compile(layer, backend="aot_eager") for layer in model.model.layers]
    monkeypatch.setattr(engine.trainer.runtime, "reference_layers", lambda reference: compiled)
    gen = engine.generate(protocol.parse(protocol.GenerateParams, {**GEN, "prompts": ["Solve x"], "seed": 3}))
    batch = engine.batches[gen["batch_id"]]
    policy = batch_logp(model, batch, 2, layers=compiled)  # traced with the adapters on
    assert torch.allclose(policy, batch_logp(model, batch, 2), atol=1e-5)
    passes: list[torch.Tensor] = []

    def recorded(*args, **kwargs) -> torch.Tensor:
        passes.append(batch_logp(*args, **kwargs))
        return passes[-1]

    monkeypatch.setattr(train, "batch_logp", recorded)
    params = {**STEP, "batch_id": gen["batch_id"], "advantages": [1.0, -1.0, 0.5, -0.5], "kl_coef": 0.1}
    engine.train_step(protocol.parse(protocol.TrainStepParams, params))
    base, _ = load_model(qwen2_dir, torch.float32, torch.device("cpu"))
    assert len(passes) == 1  # one mini-batch: the reference pass alone
    assert torch.allclose(passes[0], batch_logp(base, batch, 2), atol=1e-5)
    assert not torch.allclose(passes[0], policy, atol=1e-3)
