"""Numbers out of range and prompts longer than the model's context are parameter errors (-32602),
found before anything expensive is done with them."""

from __future__ import annotations

import time

import pytest
from rpc_client import EngineProcess
from test_server import GEN, STEP, load_params


@pytest.fixture(scope="module")
def engine(qwen2_dir):
    proc = EngineProcess()
    proc.result("load", load_params(qwen2_dir))  # the tiny qwen2: context 512 tokens
    yield proc
    assert proc.close() == 0


def _error(engine: EngineProcess, method: str, params: dict) -> dict:
    response = engine.call(method, params, timeout_s=120)
    assert "error" in response, f"{method} was accepted"
    return response["error"]


def test_a_50_mb_problem_is_refused_by_its_length_before_tokenising(engine):
    problem = "x " * (25 * 1024 * 1024)
    t0 = time.monotonic()
    error = _error(engine, "format_prompt", {"messages": [{"role": "user", "content": problem}]})
    assert time.monotonic() - t0 < 5
    assert error["code"] == -32602
    assert error["message"].startswith("the formatted prompt is too long for the model's context of 512 tokens")
    assert "52,428,9" in error["message"] and "characters" in error["message"]


def test_format_prompt_honours_max_prompt_tokens(engine):
    messages = [{"role": "user", "content": "What is 2+2? " * 40}]
    ok = engine.result("format_prompt", {"messages": messages, "max_prompt_tokens": 512})
    assert 100 < ok["tokens"] <= 512
    error = _error(engine, "format_prompt", {"messages": messages, "max_prompt_tokens": 100})
    assert error["code"] == -32602
    assert error["message"] == f"the formatted prompt is too long for max_prompt_tokens (100): {ok['tokens']:,} tokens, at most 100 fit."
    assert _error(engine, "format_prompt", {"messages": messages, "max_prompt_tokens": 0})["code"] == -32602


@pytest.mark.parametrize(
    "over, needle",
    [
        ({"max_response_tokens": 1e9}, "params.max_response_tokens must be < the model's context of 512 tokens (max_position_embeddings), not 1,000,000,000."),
        ({"max_response_tokens": 512}, "params.max_response_tokens must be < the model's context of 512 tokens"),
        ({"prompts": ["hi", "word " * 500]}, "prompt 1 is too long for the model's context of 512 tokens (max_position_embeddings) with max_response_tokens 12:"),
        ({"prompts": ["x" * 10_000_000]}, "prompt 0 is too long for the model's context of 512 tokens (max_position_embeddings) with max_response_tokens 12: 10,000,000 characters"),
        ({"seed": 2**80}, "params.seed must be >= 0 and <= 18446744073709551615, not 120892…(25 digits)."),
        ({"seed": -1}, "params.seed must be >= 0"),
        ({"rollouts": 0}, "params.rollouts must be >= 1, not 0."),
        ({"top_p": 0}, "params.top_p must be > 0 and <= 1, not 0."),
        ({"top_k": -1}, "params.top_k must be >= 0, not -1."),
        ({"temperature": float("nan")}, "params.temperature must be a finite number, not nan."),
    ],
)
def test_generate_limits(engine, over, needle):
    error = _error(engine, "generate", {**GEN, "prompts": ["hi"], **over})
    assert error["code"] == -32602 and needle in error["message"], error


@pytest.fixture(scope="module")
def batch_id(engine):
    return engine.result("generate", {**GEN, "prompts": ["Solve x"]})["batch_id"]


@pytest.mark.parametrize(
    "over, needle",
    [
        ({"lr": -1}, "params.lr must be > 0, not -1."),
        ({"lr": float("nan")}, "params.lr must be a finite number, not nan."),
        ({"lr": float("inf")}, "params.lr must be a finite number, not inf."),
        ({"clip_ratio_low": -0.2}, "params.clip_ratio_low must be >= 0 and <= 1, not -0.2."),
        ({"clip_ratio_high": -1}, "params.clip_ratio_high must be >= 0, not -1."),
        ({"kl_coef": -0.001}, "params.kl_coef must be >= 0"),
        ({"entropy_coef": float("-inf")}, "params.entropy_coef must be a finite number"),
        ({"micro_batch_size": 0}, "params.micro_batch_size must be >= 1, not 0."),
        ({"advantages": [1.0, float("nan"), 0.5, -0.5]}, "params.advantages[1] must be a finite number, not nan."),
    ],
)
def test_train_step_limits(engine, batch_id, over, needle):
    params = {**STEP, "batch_id": batch_id, "advantages": [1.0, -1.0, 0.5, -0.5], **over}
    error = _error(engine, "train_step", params)
    assert error["code"] == -32602 and needle in error["message"], error


@pytest.mark.parametrize(
    "optimizer, needle",
    [
        ({"lr": -1}, "params.optimizer.lr must be > 0, not -1."),
        ({"adam_betas": [0.9, 1.5]}, "params.optimizer.adam_betas[1] must be >= 0 and < 1, not 1.5."),
        ({"adam_eps": 0}, "params.optimizer.adam_eps must be > 0, not 0."),
        ({"weight_decay": -0.01}, "params.optimizer.weight_decay must be >= 0"),
        # `auto` is the controller's to resolve (src/core/train/optimizerState.ts)
        ({"optimizer_state": "auto"}, "params.optimizer.optimizer_state must be one of 'fp32', 'compact', not 'auto'."),
    ],
)
def test_load_limits(engine, qwen2_dir, optimizer, needle):
    # Checked before anything is released or loaded: the loaded model stays.
    params = load_params(qwen2_dir)
    params["optimizer"] = {**params["optimizer"], **optimizer}
    error = _error(engine, "load", params)
    assert error["code"] == -32602 and needle in error["message"], error
    assert _error(engine, "load", load_params(qwen2_dir, seed=2**80))["code"] == -32602
    assert engine.result("format_prompt", {"messages": [{"role": "user", "content": "hi"}]})["tokens"] > 0
