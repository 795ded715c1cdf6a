"""Protocol round trips against `python -m oneshot_engine serve` in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
import torch
from rpc_client import EngineProcess

from oneshot_engine import protocol
from oneshot_engine.protocol import PROTOCOL_VERSION

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1"}


def load_params(model_dir: Path | str, **over) -> dict:
    params = {
        "model": str(model_dir),
        "dtype": "float32",
        "device": "cpu",
        "seed": 0,
        "train": True,
        "optimizer": {"lr": 1e-3, "weight_decay": 0.01, "adam_betas": [0.9, 0.999], "adam_eps": 1e-8, "grad_clip": 1.0, "optimizer_state": "fp32"},
        "reference_model": True,
        "gradient_checkpointing": False,
    }
    return {**params, **over}


GEN = {"rollouts": 4, "temperature": 1.0, "top_p": 1.0, "top_k": 0, "max_response_tokens": 12, "stop": [], "seed": 1, "keep_for_training": True}
STEP = {
    "clip_ratio_low": 0.2,
    "clip_ratio_high": 0.28,
    "kl_coef": 0.001,
    "kl_type": "low_var_kl",
    "entropy_coef": 0.001,
    "loss_agg": "token-mean",
    "mini_batches": 1,
    "micro_batch_size": 2,
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    home = tmp_path_factory.mktemp("hf-home")
    proc = EngineProcess(env={**OFFLINE_ENV, "HF_HOME": str(home)})
    proc.hf_home = home
    yield proc
    assert proc.close() == 0  # closing stdin ends the process with 0


def test_load_reports_each_weight_file_read(engine, qwen2_dir):
    engine.notifications.clear()
    engine.result("load", load_params(qwen2_dir, train=False, reference_model=False))
    files = len(list(Path(qwen2_dir).glob("*.safetensors")))
    shards = [(n["params"]["done"], n["params"]["total"]) for n in engine.notifications if n["method"] == "progress" and n["params"]["phase"] == "load_weights"]
    assert shards == [(i, files) for i in range(files + 1)]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="the decode runner (and its compile) is CUDA's")
def test_first_fast_generate_after_a_load_reports_compile_once(engine, qwen2_dir):
    engine.result("load", load_params(qwen2_dir, train=False, reference_model=False))
    phases = []
    for _ in range(2):
        engine.notifications.clear()
        engine.result("generate", {**GEN, "prompts": ["hi"]})
        phases.append([n["params"]["phase"] for n in engine.notifications if n["method"] == "progress"])
    assert phases[0][0] == "compile" and phases[0].count("compile") == 1 and "generate" in phases[0]
    assert "compile" not in phases[1]


def test_hello(engine):
    hello = engine.result("hello")
    # the engine picks the GPU when there is one (this suite also runs on a GPU machine)
    cuda = torch.cuda.is_available()
    assert hello["protocol_version"] == PROTOCOL_VERSION and hello["cuda_available"] is cuda
    assert hello["device"].startswith("cuda:0") if cuda else hello["device"] == "cpu"
    assert hello["torch_version"] and hello["engine_version"]
    if cuda:
        assert hello["gpu_memory"]["total_gb"] >= hello["gpu_memory"]["free_gb"] > 0
    else:
        assert hello["gpu_memory"] is None


def test_load_generate_train_save_round_trip(engine, qwen2_dir, tmp_path):
    transformers = pytest.importorskip("transformers")
    import torch

    loaded = engine.result("load", load_params(qwen2_dir))
    assert loaded["model_type"] == "qwen2" and loaded["has_chat_template"] and loaded["vocab_size"] == 512
    assert any(n["method"] == "progress" and n["params"]["phase"] == "load" for n in engine.notifications)
    prompt = engine.result("format_prompt", {"messages": [{"role": "user", "content": "What is 2+2?"}]})
    assert prompt["text"].endswith("<|im_start|>assistant\n") and "What is 2+2?" in prompt["text"]
    explicit = engine.result("format_prompt", {"messages": [{"role": "user", "content": "\\frac{1}{2}"}], "prompt_template": "Q: {problem}\nA:"})
    assert explicit["text"] == "Q: \\frac{1}{2}\nA:"

    gen = engine.result("generate", {**GEN, "prompts": [prompt["text"]]})
    assert len(gen["outputs"]) == 4 and gen["batch_id"] and gen["generated_tokens"] == sum(o["tokens"] for o in gen["outputs"])
    assert {o["finish_reason"] for o in gen["outputs"]} <= {"stop", "length", "stop_string"}
    step = engine.result("train_step", {**STEP, "batch_id": gen["batch_id"], "advantages": [1.0, -1.0, 0.5, -0.5]})
    for key in ("loss", "pg_loss", "kl", "entropy", "clip_fraction", "grad_norm", "tokens", "time_s", "peak_mem_gb"):
        assert isinstance(step[key], int | float), key
    assert step["tokens"] == gen["generated_tokens"] and step["grad_norm"] > 0

    unknown = engine.call("train_step", {**STEP, "batch_id": "nope", "advantages": [0.0]})
    assert unknown["error"]["code"] == -32004 and unknown["error"]["data"] == {"exception": "EngineError"}

    saved = engine.result("save", {"path": str(tmp_path / "step-1"), "include_state": True})
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "engine_state.pt"} <= set(saved["files"])
    hf = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "step-1", dtype=torch.float32)
    initial = transformers.AutoModelForCausalLM.from_pretrained(qwen2_dir, dtype=torch.float32)
    trained_w = hf.model.layers[0].self_attn.q_proj.weight
    assert not torch.equal(trained_w, initial.model.layers[0].self_attn.q_proj.weight)
    tok = transformers.AutoTokenizer.from_pretrained(tmp_path / "step-1")
    assert tok.eos_token == "<|im_end|>"


@pytest.mark.parametrize(
    "params, code, needle, reason",
    [
        ({"model": "/nonexistent/model-dir"}, -32002, "neither a local directory", "not_a_model"),
        ({"model": "someorg/not-cached-model"}, -32005, "not in the local cache and the machine is offline", "offline_mode"),
        ({"dtype": "float8"}, -32602, "params.dtype must be one of", None),
        ({"seed": "zero"}, -32602, "params.seed must be an integer", None),
    ],
)
def test_load_errors_are_readable(engine, qwen2_dir, params, code, needle, reason):
    response = engine.call("load", load_params(qwen2_dir, **params))
    assert response["error"]["code"] == code, response
    assert needle in response["error"]["message"]
    # The engine says which case it was; the controller words the advice (src/core/engine/errors.ts).
    assert response["error"]["data"].get("reason") == reason and "hint" not in response["error"]["data"]


def test_hub_id_loads_from_the_local_cache_when_offline(engine, qwen2_dir):
    # The layout huggingface_hub writes: models--org--name/{refs/main, snapshots/<commit>/files}.
    repo = engine.hf_home / "hub" / "models--someorg--tiny-qwen"
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for f in qwen2_dir.iterdir():
        (snapshot / f.name).write_bytes(f.read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    loaded = engine.result("load", load_params("someorg/tiny-qwen", train=False, reference_model=False))
    assert loaded["model_type"] == "qwen2"


def test_bad_model_config(engine, tmp_path, qwen2_dir):
    (tmp_path / "config.json").write_text(json.dumps({**json.loads((qwen2_dir / "config.json").read_text()), "model_type": "gpt2"}))
    response = engine.call("load", load_params(tmp_path))
    assert response["error"]["code"] == -32003 and "gpt2" in response["error"]["message"]


def test_framing_errors_keep_the_server_alive(engine):
    engine.send_raw(b"Content-Length: 9\r\n\r\n{not json")
    assert engine.receive()["error"]["code"] == -32700
    engine.send_raw(b"Content-Length: abc\r\n\r\n")
    assert engine.receive()["error"]["code"] == -32700
    engine.send({"jsonrpc": "2.0", "id": 99, "method": "no_such_method"})
    assert engine.receive() == {"jsonrpc": "2.0", "id": 99, "error": {"code": -32601, "message": "the engine has no method 'no_such_method'."}}
    engine.send({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 1}})  # ignored notification
    engine.send([1, 2])
    assert engine.receive()["error"]["code"] == -32600
    # vscode-jsonrpc may send a Content-Type header.
    engine.send({"jsonrpc": "2.0", "id": 100, "method": "hello"}, headers="Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n")
    assert engine.receive()["result"]["protocol_version"] == PROTOCOL_VERSION


@pytest.mark.parametrize(
    "body, code",
    [(b"null", -32600), (b"[" * 100_000 + b"]" * 100_000, -32700), (b'{"seed": ' + b"9" * 5000 + b"}", -32700)],
    ids=["null", "nested-100000-deep", "5000-digit-integer"],
)
def test_null_deep_and_huge_bodies_are_errors_and_the_engine_stays_alive(engine, body, code):
    engine.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    response = engine.receive(timeout_s=60)
    assert response["id"] is None and response["error"]["code"] == code
    assert engine.result("hello")["protocol_version"] == PROTOCOL_VERSION


def test_a_header_block_without_content_length_does_not_desync_the_stream(engine):
    body = json.dumps({"jsonrpc": "2.0", "id": 5, "method": "hello"}).encode()
    engine.send_raw(b"Content-Type: application/json\r\n\r\n" + body)
    engine.send({"jsonrpc": "2.0", "id": 6, "method": "hello"})
    assert engine.receive(timeout_s=60)["error"]["code"] == -32700
    reply = engine.receive(timeout_s=60)
    assert reply["id"] == 6 and reply["result"]["protocol_version"] == PROTOCOL_VERSION


def test_oversized_message_is_rejected_then_server_continues_and_sigterm_when_idle_exits_0():
    proc = EngineProcess("--max-message-bytes", "1000")
    try:
        proc.send({"jsonrpc": "2.0", "id": 1, "method": "hello", "params": {"pad": "x" * 5000}})
        error = proc.receive()["error"]
        assert error["code"] == -32600 and "exceeds the limit of 1000 bytes" in error["message"]
        assert proc.result("hello")["protocol_version"] == PROTOCOL_VERSION
        proc.proc.send_signal(signal.SIGTERM)
        assert proc.proc.wait(timeout=20) == 0
    finally:
        proc.close()


def test_shutdown_answers_then_ends_the_loop():
    import io

    from oneshot_engine.rpc import MessageReader, MessageWriter
    from oneshot_engine.server import Server

    out = io.BytesIO()
    requests = b"".join(
        f"Content-Length: {len(body)}\r\n\r\n{body}".encode()
        for body in (json.dumps({"jsonrpc": "2.0", "id": i, "method": m}) for i, m in ((1, "shutdown"), (2, "hello")))
    )
    # A pipe kept open: the end of input would stop the server too, shutdown must do it alone.
    read_end, write_end = os.pipe()
    os.write(write_end, requests)
    with os.fdopen(read_end, "rb") as stream:
        assert Server(MessageReader(stream), MessageWriter(out)).serve() == 0
        os.close(write_end)
    replies = out.getvalue().split(b"Content-Length: ")[1:]
    assert len(replies) == 1 and json.loads(replies[0].split(b"\r\n\r\n", 1)[1])["result"] == {"ok": True}


def test_sigterm_abandons_a_long_generate(qwen2_dir):
    proc = EngineProcess()
    try:
        proc.result("load", load_params(qwen2_dir, train=False, reference_model=False))
        proc.send({"jsonrpc": "2.0", "id": 7, "method": "generate", "params": {**GEN, "prompts": ["hi"], "rollouts": 64, "max_response_tokens": 400}})
        while True:  # wait until it is decoding
            message = proc.reader.read()
            if message.get("method") == "progress" and message["params"]["phase"] == "generate":
                break
        t0 = time.monotonic()
        proc.proc.send_signal(signal.SIGTERM)
        assert proc.proc.wait(timeout=20) == 0
        assert time.monotonic() - t0 < 10
    finally:
        proc.close()


def test_out_of_memory_becomes_32001_with_facts_and_no_advice():
    import io

    import torch

    from oneshot_engine.rpc import MessageReader, MessageWriter
    from oneshot_engine.server import Server

    out = io.BytesIO()
    server = Server(MessageReader(io.BytesIO()), MessageWriter(out))

    def boom(_params):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    server.engine.generate = boom
    server.handle({"jsonrpc": "2.0", "id": 3, "method": "generate", "params": {**GEN, "prompts": ["x"]}})
    body = json.loads(out.getvalue().split(b"\r\n\r\n", 1)[1])
    assert body["error"]["code"] == -32001
    assert body["error"]["message"] == "the GPU ran out of memory during generate."
    # What to try is the controller's to say, in the settings' names (src/core/engine/errors.ts).
    assert body["error"]["data"] == {"exception": "OutOfMemoryError", "phase": "generate"}


@pytest.mark.parametrize("method", ["load", "generate", "train_step"])
def test_out_of_memory_deep_in_a_call_names_its_phase_and_frees_the_failed_calls_memory(qwen2_dir, monkeypatch, method):
    """An OutOfMemoryError raised inside the real call (the decode, the trainer, the weights loader):
    -32001 with the phase, and the allocator's cache emptied once the failed call's tensors are garbage."""
    import io
    import weakref

    import torch

    from oneshot_engine import engine as engine_module
    from oneshot_engine.rpc import MessageReader, MessageWriter
    from oneshot_engine.server import Server
    from oneshot_engine.train import Trainer

    out = io.BytesIO()
    server = Server(MessageReader(io.BytesIO()), MessageWriter(out))
    if method != "load":
        server.engine.load(protocol.parse(protocol.LoadParams, load_params(qwen2_dir)))
    held: list[weakref.ref] = []

    def boom(*_args, **_kwargs):
        scratch = torch.empty(1 << 20)  # what the failed call held when it ran out
        held.append(weakref.ref(scratch))
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    target = {"load": (engine_module, "load_model"), "generate": (engine_module, "generate"), "train_step": (Trainer, "step")}
    monkeypatch.setattr(*target[method], boom)
    freed_at_empty_cache: list[bool] = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    # (load empties the cache before it starts too: only calls after the failure count)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: held and freed_at_empty_cache.append(held[0]() is None))
    params = {
        "load": load_params(qwen2_dir),
        "generate": {**GEN, "prompts": ["x"]},
        "train_step": {**STEP, "batch_id": "b", "advantages": [1.0]},
    }[method]
    if method == "train_step":
        server.engine.batches["b"] = object()  # type: ignore[assignment]
    server.handle({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    reader = MessageReader(io.BytesIO(out.getvalue()))
    body = reader.read()
    while "id" not in body:  # progress notifications first
        body = reader.read()
    assert body["error"]["code"] == -32001
    assert body["error"]["data"] == {"exception": "OutOfMemoryError", "phase": method}
    assert freed_at_empty_cache == [True]
