"""What lets a step's host work run beside the engine's generate: its stream of finished rows (on_rows;
the `outputs` notification of a generate with stream_outputs: each row at most once, exactly as the
result holds it, sent while the call still runs, the result unchanged), and prompt copies tokenised
once before the prefill."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from rpc_client import EngineProcess
from test_generate import staggered_rows
from test_server import GEN, OFFLINE_ENV, load_params

from oneshot_engine import protocol
from oneshot_engine.engine import Engine
from oneshot_engine.generate import Rollout, generate
from oneshot_engine.loading import load_model
from oneshot_engine.tokenizer import TextTokenizer


@pytest.fixture(scope="module")
def loaded(qwen2_dir: Path):
    model, _ = load_model(qwen2_dir, torch.float32, torch.device("cpu"))
    return model, TextTokenizer(qwen2_dir)


def _fields(r: Rollout) -> tuple:
    return (r.prompt_index, r.text, r.tokens, r.finish_reason)


@pytest.mark.parametrize("fast", [False, True], ids=["eager", "runner"])
@pytest.mark.parametrize("wave", [None, 5], ids=["one-wave", "waves-of-5"])
def test_rows_stream_once_as_the_result_holds_them(loaded, fast, wave):
    model, tok = loaded
    prompts, sp = staggered_rows(model, tok)
    plain, _, _ = generate(model, tok, prompts, sp, fast=fast, wave_rows=wave)

    batches: list[list[tuple[int, Rollout]]] = []
    steps: list[int] = []  # decode steps reported so far, when each batch came
    progress = [0]

    def on_step(done: int, _total: int) -> None:
        progress[0] = done

    def on_rows(rows: list[tuple[int, Rollout]]) -> None:
        batches.append(rows)
        steps.append(progress[0])

    streamed, _, _ = generate(model, tok, prompts, sp, fast=fast, wave_rows=wave, on_rows=on_rows, on_step=on_step)
    assert [_fields(r) for r in streamed] == [_fields(r) for r in plain]
    sent = [i for rows in batches for i, _ in rows]
    assert len(sent) == len(set(sent)), "a row was sent twice"
    for i, r in (pair for rows in batches for pair in rows):
        assert _fields(r) == _fields(streamed[i]), i
    # Rows that ended while others decoded on were sent (at the runner's check after step 16 or 32,
    # by the eager loop at once); a last wave of rows that all end at once (rows 10-11 in waves
    # of 5) leaves its loop before a check, into the result.
    early = {i for i, r in enumerate(plain) if r.finish_reason == "stop"} - ({10, 11} if wave else set())
    assert early and early <= set(sent)
    assert steps[0] < 40 * (1 if wave is None else 3)
    if not fast:
        assert steps[0] <= 16  # prompt 2's rows, which end by step 4, came at the first check after
    if wave is None:
        assert all(plain[i].finish_reason != "length" for i in sent)  # the last wave's length rows: result only
    else:
        assert set(range(10)) <= set(sent)  # waves 1-2 were sent whole when they ended; wave 3 (rows 10-11) is the last


def test_the_outputs_notification_arrives_before_the_result_and_only_when_asked(qwen2_dir, tmp_path_factory):
    proc = EngineProcess(env={**OFFLINE_ENV, "HF_HOME": str(tmp_path_factory.mktemp("hf-home"))})
    try:
        proc.result("load", load_params(qwen2_dir, train=False, reference_model=False))
        # A one-character stop string that random weights produce sooner or later: rows end at many steps.
        params = {**GEN, "prompts": ["hi", "What is 2+2?"], "rollouts": 8, "max_response_tokens": 48, "stop": ["e"]}
        proc.notifications.clear()
        plain = proc.result("generate", params)
        assert not [n for n in proc.notifications if n["method"] == "outputs"]

        proc.notifications.clear()
        streamed = proc.result("generate", {**params, "stream_outputs": True})
        notices = [n["params"]["outputs"] for n in proc.notifications if n["method"] == "outputs"]
        proc.notifications.clear()
        proc.result("hello")
        assert not [n for n in proc.notifications if n["method"] == "outputs"], "rows came after the result"

        assert streamed["outputs"] == plain["outputs"]
        rows = [row for notice in notices for row in notice]
        indices = [row.pop("index") for row in rows]
        assert rows and len(indices) == len(set(indices))
        assert rows == [streamed["outputs"][i] for i in indices]
        assert {o["finish_reason"] for o in rows} == {"stop_string"}
        # The CPU's eager loop checks every step: a row that ended while others decoded on was sent.
        tokens = [o["tokens"] for o in plain["outputs"]]
        assert {i for i, t in enumerate(tokens) if t < max(tokens)} <= set(indices)
    finally:
        assert proc.close() == 0


def test_prompt_copies_are_tokenised_once(qwen2_dir):
    engine = Engine(lambda _method, _params: None)
    engine.load(protocol.parse(protocol.LoadParams, load_params(qwen2_dir, train=False, reference_model=False)))
    assert engine.tok is not None
    encode, texts = engine.tok.encode_within, []

    def counted(text: str, *args):
        texts.append(text)
        return encode(text, *args)

    engine.tok.encode_within = counted  # type: ignore[method-assign]
    params = {**GEN, "prompts": ["What is 2+2?"] * 4 + ["hi"], "rollouts": 2, "max_response_tokens": 4, "keep_for_training": False}
    result = engine.generate(protocol.parse(protocol.GenerateParams, params))
    assert texts == ["What is 2+2?", "hi"]
    assert [o["prompt_index"] for o in result["outputs"]] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
