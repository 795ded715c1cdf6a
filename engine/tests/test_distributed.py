"""The engine under torchrun: 2 CPU processes on gloo against 1 plain process, over stdio.

Equivalence: greedy rollouts (so both launches train on the same tokens) and the same advantages;
one train step on 2 processes (FSDP2-sharded fp32 weights, each rank its share of the rows) gives
the loss, entropy, KL and gradient norm of 1 process within a relative 1e-5 (fp32: only the order of
the sums differs), and the saved weights within 1e-5 absolute.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from rpc_client import EngineProcess
from safetensors.torch import load_file
from test_server import load_params

from oneshot_engine.distributed import Dist, World
from oneshot_engine.errors import BAD_CONFIG, INTERNAL, MODEL_NOT_FOUND, EngineError

pytestmark = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()), reason="torch.distributed with gloo is unavailable"
)

ENV = {"HF_HUB_OFFLINE": "1"}
PROMPTS = ["hi", "there you go"]
GREEDY = {"rollouts": 3, "temperature": 0, "top_p": 1.0, "top_k": 0, "max_response_tokens": 8, "stop": [], "seed": 1}
STEP = {
    "advantages": [1.0, -0.5, 0.25, -1.0, 0.5, 0.75],
    "clip_ratio_low": 0.2,
    "clip_ratio_high": 0.28,
    "kl_coef": 0.01,
    "kl_type": "low_var_kl",
    "entropy_coef": 0.001,
    "mini_batches": 2,
    "micro_batch_size": 2,
}
REL = 1e-5


def engine(processes: int | None) -> EngineProcess:
    """`processes` engines under torchrun (gloo, this machine), or None for one plain engine."""
    if processes is None:
        return EngineProcess(env=ENV)
    run = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(processes)]
    return EngineProcess(command=[*run, "-m", "oneshot_engine", "serve"], env=ENV)


def train_twice(e: EngineProcess, model: Path, out: Path, **load) -> list[dict]:
    """Loads, samples greedily, takes a token-mean and a seq-mean-token-sum step and saves to `out`."""
    e.result("load", load_params(model, **load))
    steps = []
    for agg in ("token-mean", "seq-mean-token-sum"):
        batch = e.result("generate", {**GREEDY, "prompts": PROMPTS, "keep_for_training": True})
        assert [o["prompt_index"] for o in batch["outputs"]] == [0, 0, 0, 1, 1, 1]
        steps.append(e.result("train_step", {**STEP, "batch_id": batch["batch_id"], "loss_agg": agg}))
    e.result("save", {"path": str(out), "include_state": True})
    return steps


def close(e: EngineProcess) -> None:
    e.result("shutdown")
    assert e.proc.wait(timeout=120) == 0, e.stderr_text()


# (dtype, optimizer_state): fp32 weights, then bf16 weights with the compact state, whose stochastic
# rounding draws per shard: only the first update is the same to rounding (a later one within 1e-3).
SETUPS = [("float32", "fp32"), ("bfloat16", "compact")]


def optimizer(state: str) -> dict:
    return {"lr": 1e-3, "weight_decay": 0.01, "adam_betas": [0.9, 0.999], "adam_eps": 1e-8, "grad_clip": 1.0, "optimizer_state": state}


@pytest.fixture(scope="module", params=SETUPS, ids=lambda s: s[1])
def one_process(request, qwen2_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[tuple[str, str], list[dict], Path]:
    dtype, state = request.param
    out = tmp_path_factory.mktemp("one") / "ckpt"
    e = engine(None)
    steps = train_twice(e, qwen2_dir, out, dtype=dtype, optimizer=optimizer(state))
    close(e)
    return request.param, steps, out


def test_two_processes_take_the_step_of_one(one_process, qwen2_dir: Path, tmp_path: Path) -> None:
    (dtype, state), want, want_dir = one_process
    e = engine(2)
    assert e.result("hello")["world_size"] == 2
    got = train_twice(e, qwen2_dir, tmp_path / "ckpt", dtype=dtype, optimizer=optimizer(state))
    close(e)
    exact = state == "fp32"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        for key in ("loss", "pg_loss", "entropy", "kl", "grad_norm", "clip_fraction"):
            assert g[key] == pytest.approx(w[key], rel=REL if exact or i == 0 else 1e-3, abs=1e-7), key
        assert g["tokens"] == w["tokens"]
    a, b = load_file(str(want_dir / "model.safetensors")), load_file(str(tmp_path / "ckpt" / "model.safetensors"))
    assert a.keys() == b.keys()
    diff = max(float((a[k].float() - b[k].float()).abs().max()) for k in a)
    assert diff < (1e-5 if exact else 2e-2)
    # rank 0 wrote the whole weights once; every rank its shards of the training state
    assert (tmp_path / "ckpt" / "engine_state.pt").is_file()
    shards = sorted(p.name for p in (tmp_path / "ckpt" / "engine_state_sharded").iterdir())
    assert ".metadata" in shards if exact else shards == ["compact-rank-0-of-2.pt", "compact-rank-1-of-2.pt"]


@pytest.mark.parametrize("setup", SETUPS, ids=lambda s: s[1])
def test_a_sharded_run_resumes_where_it_stopped(setup, qwen2_dir: Path, tmp_path: Path) -> None:
    """Save after one step, then: a second step in the same launch equals the first step of a launch
    resumed from the save (fp32: weights and AdamW moments restored from the DCP shards, resharded
    for 1 process; compact: each rank's compensation and moments from its file, 2 processes)."""
    dtype, state = setup
    params = {"dtype": dtype, "optimizer": optimizer(state)}
    e = engine(2)
    e.result("load", load_params(qwen2_dir, **params))
    batch = e.result("generate", {**GREEDY, "prompts": PROMPTS, "keep_for_training": True})
    e.result("train_step", {**STEP, "batch_id": batch["batch_id"], "loss_agg": "token-mean"})
    e.result("save", {"path": str(tmp_path / "ckpt"), "include_state": True})
    batch = e.result("generate", {**GREEDY, "prompts": PROMPTS, "keep_for_training": True})
    want = e.result("train_step", {**STEP, "batch_id": batch["batch_id"], "loss_agg": "token-mean"})
    close(e)

    resume = load_params(tmp_path / "ckpt", resume_state=str(tmp_path / "ckpt"), **params)
    # fp32: torch.distributed.checkpoint reshards the state for 1 process, whose step is the 2 processes' one
    e = engine(2 if state == "compact" else 1)
    e.result("load", resume)
    batch = e.result("generate", {**GREEDY, "prompts": PROMPTS, "keep_for_training": True})
    got = e.result("train_step", {**STEP, "batch_id": batch["batch_id"], "loss_agg": "token-mean"})
    close(e)
    for key in ("loss", "entropy", "kl", "grad_norm"):
        assert got[key] == pytest.approx(want[key], rel=REL, abs=1e-7), key

    if state == "compact":  # each rank's own file: only as many processes can resume it
        e = engine(1)
        err = e.call("load", resume)["error"]
        close(e)
        assert err["code"] == -32003 and "resume it with 2, not 1" in err["message"]
    else:  # a plain engine cannot take the sharded state: one sentence, not a traceback
        e = engine(None)
        err = e.call("load", resume)["error"]
        close(e)
        assert err["code"] == -32003 and "under torchrun" in err["message"]


def _ranks(torchrun: subprocess.Popen) -> dict[int, int]:
    """pid of each rank torchrun started (from their environment)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) != torchrun.pid:
                continue
            env = dict(
                kv.split("=", 1) for kv in (entry / "environ").read_bytes().decode(errors="replace").split("\0") if "=" in kv
            )
        except OSError:
            continue
        if "RANK" in env:
            found[int(env["RANK"])] = int(entry.name)
    return found


def _wait_for_ranks(torchrun: subprocess.Popen, n: int) -> dict[int, int]:
    for _ in range(200):
        ranks = _ranks(torchrun)
        if len(ranks) == n:
            return ranks
        time.sleep(0.1)
    raise AssertionError(f"torchrun did not start {n} ranks")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_rank_ends_the_launch(qwen2_dir: Path) -> None:
    """kill -9 of rank 1, then a call: rank 0 does not hang, its answer names rank 1, torchrun ends
    with a failure, no rank is left behind."""
    e = engine(2)
    e.result("load", load_params(qwen2_dir, train=False, reference_model=False))
    # (first, on the way: fewer rollouts than processes can be sampled, not trained on)
    err = e.call("generate", {**GREEDY, "rollouts": 1, "prompts": PROMPTS, "keep_for_training": True})["error"]
    assert err["code"] == -32003 and "number of processes (2)" in err["message"]
    out = e.result("generate", {**GREEDY, "rollouts": 1, "prompts": PROMPTS, "keep_for_training": False})
    assert [o["prompt_index"] for o in out["outputs"]] == [0, 1]  # rank 0 sampled both, rank 1 nothing
    # streamed rows: rank 0's own, each at its place in the whole call's outputs
    e.notifications.clear()
    sampled = {**GREEDY, "temperature": 1.0, "max_response_tokens": 32, "stop": [" ", "a", "e"]}
    out = e.result("generate", {**sampled, "prompts": PROMPTS, "keep_for_training": True, "stream_outputs": True})
    streamed = [o for n in e.notifications if n["method"] == "outputs" for o in n["params"]["outputs"]]
    assert streamed and all({**out["outputs"][o["index"]], "index": o["index"]} == o for o in streamed)
    assert {o["index"] for o in streamed} <= {0, 1, 3, 4}  # rank 0 holds rollouts 0-1 of each prompt

    ranks = _wait_for_ranks(e.proc, 2)
    t0 = time.monotonic()
    os.kill(ranks[1], signal.SIGKILL)
    # (torchrun's agent stops rank 0 too, with SIGTERM: rank 0 still answers the call it is in)
    answer = e.call("generate", {**GREEDY, "prompts": PROMPTS, "keep_for_training": False}, timeout_s=90)
    assert answer["error"]["code"] == -32603 and "generate failed: rank 1 stopped" in answer["error"]["message"], answer
    code = e.proc.wait(timeout=90)
    assert code != 0
    assert time.monotonic() - t0 < 60
    assert all(_gone(pid) for pid in ranks.values())
    e.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_closing_stdin_ends_every_rank(qwen2_dir: Path) -> None:
    e = engine(2)
    e.result("hello")
    ranks = _wait_for_ranks(e.proc, 2)
    assert e.close() == 0
    assert all(_gone(pid) for pid in ranks.values())


def test_lora_is_refused_under_torchrun(qwen2_dir: Path) -> None:
    """LoRA has no FSDP2 path yet: load says so in one sentence and the launch goes on serving."""
    e = engine(2)
    lora = {"rank": 4, "alpha": 8.0, "targets": ["q_proj", "v_proj"], "dropout": 0.0}
    err = e.call("load", load_params(qwen2_dir, lora=lora))["error"]
    assert err["code"] == BAD_CONFIG and err["message"] == "LoRA does not run under torchrun yet; use --devices 1.", err
    assert e.result("hello")["world_size"] == 2
    close(e)


def _settle_on_two_ranks(rank: int, port: int, out: dict) -> None:
    """A call that fails on rank 1 only: outright, inside a part where the ranks meet (exchange) and
    before a collective (agree)."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE="2")
    d = Dist(World(rank, 2, rank))

    def outright() -> str:
        if rank == 1:
            raise EngineError(BAD_CONFIG, "the weights of rank one are missing.")
        return "fine"

    def midway() -> str:
        def part() -> str:
            if rank == 1:
                raise RuntimeError("a kernel failed")
            return "fine"

        return d.exchange(part, "generate")[0]

    def agreed() -> str:
        def part() -> str:
            if rank == 1:
                raise EngineError(MODEL_NOT_FOUND, "no model folder here.")
            return f"model of rank {rank}"

        return d.agree(part, "load")

    calls = {"outright": outright, "midway": midway, "agreed": agreed}
    if rank == 0:
        for name, run in calls.items():
            try:
                out[name] = d.lead(name, None, run)
            except EngineError as e:
                out[name] = (e.code, e.message)
        d.end(busy=False)
    else:
        d.follow(lambda method, _params: calls[method]())
    d.close()


def test_an_error_on_another_rank_is_the_calls_error_naming_the_rank() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with torch.multiprocessing.Manager() as manager:
        out = manager.dict()
        torch.multiprocessing.spawn(_settle_on_two_ranks, args=(port, out), nprocs=2, join=True)
        got = dict(out)
    assert got["outright"] == (BAD_CONFIG, "rank 1: the weights of rank one are missing.")
    assert got["midway"] == (INTERNAL, "rank 1: generate failed: RuntimeError: a kernel failed.")
    assert got["agreed"] == (MODEL_NOT_FOUND, "rank 1: no model folder here.")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_rank_0_stopping_inside_a_call_ends_the_busy_ranks(qwen2_dir: Path) -> None:
    """SIGTERM to rank 0 alone while every rank samples: rank 0 abandons the call, the others see
    its stop (the store's key, or the collective that fails without it) and end with 0, as does torchrun."""
    e = engine(2)
    e.result("load", load_params(qwen2_dir, train=False, reference_model=False))
    ranks = _wait_for_ranks(e.proc, 2)
    long = {**GREEDY, "temperature": 1.0, "rollouts": 64, "max_response_tokens": 400}
    e.send({"jsonrpc": "2.0", "id": 7, "method": "generate", "params": {**long, "prompts": PROMPTS, "keep_for_training": False}})
    while not any(n["params"].get("phase") == "generate" for n in e.notifications if n["method"] == "progress"):
        message = e.reader.read()
        assert "method" in message, message  # the call must still be running
        e.notifications.append(message)
    os.kill(ranks[0], signal.SIGTERM)
    assert e.proc.wait(timeout=60) == 0, e.stderr_text()
    assert all(_gone(pid) for pid in ranks.values())
    e.close()
