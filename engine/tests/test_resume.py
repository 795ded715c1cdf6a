"""save(include_state) + load(resume_state) continues training exactly where it stopped."""

from __future__ import annotations

import pytest
import torch
from test_server import GEN, STEP, load_params

from oneshot_engine import protocol
from oneshot_engine.engine import Engine
from oneshot_engine.errors import BAD_CONFIG, EngineError


def _engine() -> Engine:
    return Engine(lambda method, params: None)


def _step(engine: Engine, seed: int) -> dict:
    gen = engine.generate(protocol.parse(protocol.GenerateParams, {**GEN, "prompts": ["Solve x"], "seed": seed}))
    params = {**STEP, "batch_id": gen["batch_id"], "advantages": [1.0, -1.0, 0.5, -0.5], "kl_coef": 0.1}
    return engine.train_step(protocol.parse(protocol.TrainStepParams, params))


def test_resume_reproduces_uninterrupted_training(qwen2_dir, tmp_path):
    # bf16 weights with fp32 masters: resume must restore the masters, not re-read the rounded weights.
    params = load_params(qwen2_dir, dtype="bfloat16")
    straight = _engine()
    straight.load(protocol.parse(protocol.LoadParams, params))
    _step(straight, seed=1)
    straight.save(protocol.parse(protocol.SaveParams, {"path": str(tmp_path / "ckpt"), "include_state": True}))
    expected = _step(straight, seed=2)

    resumed = _engine()
    resumed.load(
        protocol.parse(
            protocol.LoadParams, {**params, "model": str(tmp_path / "ckpt"), "resume_state": str(tmp_path / "ckpt")}
        )
    )
    assert resumed.trainer.steps == 1
    # The KL reference is still the run's initial model, not the checkpoint.
    ref_w = resumed.trainer.reference.model.layers[0].mlp.up_proj.weight
    assert torch.equal(ref_w, straight.trainer.reference.model.layers[0].mlp.up_proj.weight)
    got = _step(resumed, seed=2)
    for key in ("loss", "kl", "entropy", "grad_norm"):
        assert got[key] == expected[key], key
    for a, b in zip(straight.trainer.master, resumed.trainer.master, strict=True):
        assert torch.equal(a, b)


def assert_continues_exactly(straight: Engine, resumed: Engine, expected: dict, got: dict) -> None:
    """The resumed step's results, trained tensors and their optimizer state equal the uninterrupted run's."""
    for key in ("loss", "kl", "entropy", "grad_norm"):
        assert got[key] == expected[key], key
    for a, b in zip(straight.trainer.params, resumed.trainer.params, strict=True):
        assert torch.equal(a, b)
        for key, t in straight.trainer.optimizer.state[a].items():
            assert torch.equal(t, resumed.trainer.optimizer.state[b][key]), key


def _with_state(params: dict, state: str) -> dict:
    return {**params, "optimizer": {**params["optimizer"], "optimizer_state": state}}


def test_resume_restores_the_compact_state_exactly(qwen2_dir, tmp_path):
    params = _with_state(load_params(qwen2_dir, dtype="bfloat16"), "compact")
    logs: list[str] = []
    straight = Engine(lambda method, p: logs.append(p["message"]) if method == "log" else None)
    straight.load(protocol.parse(protocol.LoadParams, params))
    assert any(m.startswith("optimizer state: compact, ") and m.endswith(" GB") for m in logs), logs
    _step(straight, seed=1)
    straight.save(protocol.parse(protocol.SaveParams, {"path": str(tmp_path / "ckpt"), "include_state": True}))
    expected = _step(straight, seed=2)

    resumed = _engine()
    resume = {**params, "model": str(tmp_path / "ckpt"), "resume_state": str(tmp_path / "ckpt")}
    resumed.load(protocol.parse(protocol.LoadParams, resume))
    assert resumed.trainer.optimizer_state == "compact"
    assert_continues_exactly(straight, resumed, expected, _step(resumed, seed=2))

    # The other state cannot continue this one: refused in one sentence naming the setting.
    other = _engine()
    with pytest.raises(EngineError, match="saved with optimizer_state: compact but this run asks for fp32") as refused:
        other.load(protocol.parse(protocol.LoadParams, _with_state(resume, "fp32")))
    assert refused.value.code == BAD_CONFIG  # engine/PROTOCOL.md's resume_state row says -32003
