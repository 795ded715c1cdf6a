"""EngineOptions: the ONESHOT_* environment read once at start, passed down, reported in hello and load;
the runtime object, not the nn.Module, holds the decode runner and the training pass's state."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from rpc_client import ENGINE_ROOT, EngineProcess
from test_server import GEN, STEP, load_params

from oneshot_engine import protocol
from oneshot_engine.engine import Engine
from oneshot_engine.generate import SamplingParams, generate
from oneshot_engine.loading import load_model
from oneshot_engine.options import EngineOptions
from oneshot_engine.runtime import ModelRuntime
from oneshot_engine.tokenizer import TextTokenizer

PACKAGE = ENGINE_ROOT / "oneshot_engine"
MODULE_STATE = ("_decode_runner", "_activation_probe", "_train_layers")


def test_defaults_and_each_flag_off_only_at_zero():
    assert EngineOptions.from_env({}) == EngineOptions()
    env = {
        "ONESHOT_COMPILE": "0",
        "ONESHOT_COMPILE_TRAIN": "no",  # only "0" turns a flag off, as before the options existed
        "ONESHOT_FAST_DECODE": "0",
        "ONESHOT_TRITON": "0",
        "ONESHOT_DECODE_ATTN": "bmm",
        "ONESHOT_MEMORY_LIMIT_GB": "40",
    }
    assert EngineOptions.from_env(env) == EngineOptions(
        compile=False, compile_train=True, fast_decode=False, triton=False, decode_attention="bmm", memory_limit_gb=40.0
    )
    assert EngineOptions.from_env({"ONESHOT_DECODE_ATTN": "", "ONESHOT_MEMORY_LIMIT_GB": ""}) == EngineOptions()


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"ONESHOT_DECODE_ATTN": "flash"}, "ONESHOT_DECODE_ATTN is 'flash', not one of triton, sdpa, bmm"),
        ({"ONESHOT_MEMORY_LIMIT_GB": "lots"}, "ONESHOT_MEMORY_LIMIT_GB is 'lots', not a positive number"),
        ({"ONESHOT_MEMORY_LIMIT_GB": "0"}, "ONESHOT_MEMORY_LIMIT_GB is '0'"),
        ({"ONESHOT_MEMORY_LIMIT_GB": "inf"}, "ONESHOT_MEMORY_LIMIT_GB is 'inf'"),
    ],
)
def test_an_unusable_value_is_one_sentence(env, needle):
    with pytest.raises(ValueError, match=re.escape(needle)):
        EngineOptions.from_env(env)


def test_on_the_cpu_the_effective_options_turn_the_cuda_paths_off(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "0")  # Triton's own switch: its kernels run on the CPU only under it
    got = EngineOptions(decode_attention="bmm", memory_limit_gb=8.0).effective(torch.device("cpu"))
    assert got == EngineOptions(
        compile=False, compile_train=False, fast_decode=False, triton=False, decode_attention=None, memory_limit_gb=8.0
    )


def test_a_bad_option_stops_the_engine_at_start_with_one_line():
    env = {**os.environ, "PYTHONPATH": str(ENGINE_ROOT), "ONESHOT_DECODE_ATTN": "flash"}
    done = subprocess.run(
        [sys.executable, "-m", "oneshot_engine", "serve"], input=b"", capture_output=True, env=env, timeout=120
    )
    assert done.returncode == 2 and done.stdout == b""
    lines = done.stderr.decode().strip().splitlines()
    assert lines == ["oneshot_engine: ONESHOT_DECODE_ATTN is 'flash', not one of triton, sdpa, bmm (or unset for the default)."]


def test_hello_and_load_report_the_options_read_at_start(qwen2_dir):
    env = {"ONESHOT_COMPILE": "0", "ONESHOT_DECODE_ATTN": "sdpa", "ONESHOT_MEMORY_LIMIT_GB": "12.5", "TRITON_INTERPRET": "0"}
    proc = EngineProcess(env={"HF_HUB_OFFLINE": "1", **env})
    try:
        asked = {
            "compile": False,
            "compile_train": True,
            "fast_decode": True,
            "triton": True,
            "decode_attention": "sdpa",
            "memory_limit_gb": 12.5,
        }
        assert proc.result("hello")["options"] == asked
        loaded = proc.result("load", load_params(qwen2_dir, train=False, reference_model=False))
        # On the CPU: no compilation, the eager decode loop (no runner attention), no Triton.
        assert loaded["options"] == {**asked, "compile_train": False, "fast_decode": False, "triton": False, "decode_attention": None}
    finally:
        assert proc.close() == 0


def test_the_runtime_not_the_model_holds_the_decode_runner(qwen2_dir: Path):
    model, _ = load_model(qwen2_dir, torch.float32, torch.device("cpu"))
    tok = TextTokenizer(qwen2_dir)
    runtime = ModelRuntime(model, EngineOptions(decode_attention="bmm"))
    generate(model, tok, [tok.encode("x")], SamplingParams(rollouts=2, temperature=0.0, max_response_tokens=4), fast=True, runtime=runtime)
    assert runtime.decoder is not None and runtime.decoder.attention == "bmm"  # the runtime's options reach the runner
    assert not set(MODULE_STATE) & set(vars(model))
    runtime.release_decoder()
    assert runtime.decoder is None


def test_the_engine_owns_one_runtime_per_load_and_keeps_nothing_on_the_model(qwen2_dir: Path):
    engine = Engine(lambda method, params: None)
    engine.load(protocol.parse(protocol.LoadParams, load_params(qwen2_dir)))
    first = engine.runtime
    assert first is not None and first.model is engine.model and engine.trainer.runtime is first
    gen = engine.generate(protocol.parse(protocol.GenerateParams, {**GEN, "prompts": ["Solve x"]}))
    params = {**STEP, "batch_id": gen["batch_id"], "advantages": [1.0, -1.0, 0.5, -0.5]}
    engine.train_step(protocol.parse(protocol.TrainStepParams, params))
    assert not set(MODULE_STATE) & set(vars(engine.model))
    engine.load(protocol.parse(protocol.LoadParams, load_params(qwen2_dir, train=False, reference_model=False)))
    assert engine.runtime is not first and engine.runtime.model is engine.model


def test_no_module_reads_oneshot_variables_from_the_environment_itself():
    """Only EngineOptions.from_env reads them (from the mapping serve hands it)."""
    reads = re.compile(r"""(environ|getenv)(\.get)?\(?\[?\s*["']ONESHOT_""")
    assert [p.name for p in PACKAGE.glob("*.py") if reads.search(p.read_text())] == []
    source = (PACKAGE / "options.py").read_text()
    names = ("COMPILE", "COMPILE_TRAIN", "FAST_DECODE", "TRITON", "DECODE_ATTN", "MEMORY_LIMIT_GB")
    assert all(f'"ONESHOT_{n}"' in source for n in names)


def test_generate_decodes_in_waves_of_wave_rows_and_reports_its_peak(qwen2_dir: Path):
    engine = Engine(lambda method, params: None)
    engine.load(protocol.parse(protocol.LoadParams, load_params(qwen2_dir)))
    greedy = {**GEN, "prompts": ["Solve x", "What is 12 + 30?"], "temperature": 0.0}
    whole = engine.generate(protocol.parse(protocol.GenerateParams, greedy))
    waved = engine.generate(protocol.parse(protocol.GenerateParams, {**greedy, "rollout_wave_size": 3}))
    assert waved["outputs"] == whole["outputs"]
    assert torch.equal(engine.batches[waved["batch_id"]].tokens, engine.batches[whole["batch_id"]].tokens)
    assert waved["peak_mem_gb"] > 0
    with pytest.raises(Exception, match=r"rollout_wave_size must be >= 1, not 0"):
        protocol.parse(protocol.GenerateParams, {**greedy, "rollout_wave_size": 0})


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_memory_limit_caps_the_allocator_like_a_smaller_card():
    total = torch.cuda.get_device_properties(torch.cuda.current_device()).total_memory
    try:
        engine = Engine(lambda method, params: None, EngineOptions(memory_limit_gb=2.0))
        assert engine.hello(protocol.NoParams())["gpu_memory"]["total_gb"] == pytest.approx(2.0)
        small = torch.empty(1 << 28, dtype=torch.uint8, device="cuda")  # 256 MiB fit
        with pytest.raises(torch.OutOfMemoryError):
            torch.empty(3 << 30, dtype=torch.uint8, device="cuda")  # 3 GiB do not, on any card
        del small
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
        torch.cuda.empty_cache()
    assert total > 3 << 30
