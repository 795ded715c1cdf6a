"""The engine does not outlive its client: stdin closed, the parent dead, or SIGTERM, even mid-call."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from rpc_client import ENGINE_ROOT, EngineProcess
from test_server import GEN, load_params

from oneshot_engine.rpc import MessageReader

# Within this many seconds of the client going away the process must be gone (the engine allows a
# running call 2 s to reach a progress point; the rest is slack for a machine shared with other work).
PROMPT_EXIT_S = 8

# A call that computes for minutes without a progress point, as a long prefill does.
STUCK_HELLO = textwrap.dedent(
    """
    import sys, torch
    from oneshot_engine import engine, server

    def stuck(self, params):
        a = torch.full((256, 256), 1e-3)
        while True:
            a = torch.mm(a, a).clamp_(0, 1)

    engine.Engine.hello = stuck
    sys.exit(server.serve())
    """
)


def _start_long_generate(proc: EngineProcess, model_dir) -> None:
    proc.result("load", load_params(model_dir, train=False, reference_model=False))
    # Hundreds of rollouts of ~500 tokens: about a minute of decoding on a CPU.
    params = {**GEN, "prompts": ["hi"], "rollouts": 256, "max_response_tokens": 500, "keep_for_training": False}
    proc.send({"jsonrpc": "2.0", "id": 7, "method": "generate", "params": params})
    while True:  # wait until it is decoding
        message = proc.reader.read()
        if message.get("method") == "progress" and message["params"]["phase"] == "generate":
            return


def _gone_within(pid: int, seconds: float) -> bool:
    """True once `pid` has exited (a zombie nobody reaped yet counts as exited)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


def test_closing_stdin_mid_generate_ends_the_engine_promptly(qwen2_dir):
    proc = EngineProcess()
    try:
        _start_long_generate(proc, qwen2_dir)
        t0 = time.monotonic()
        proc.proc.stdin.close()
        assert proc.proc.wait(timeout=60) == 0
        assert time.monotonic() - t0 < PROMPT_EXIT_S, proc.stderr_text()
        assert "stdin closed" in proc.stderr_text()
    finally:
        proc.proc.kill()
        proc.close()


def test_sigterm_during_a_call_without_progress_points_is_honoured():
    proc = EngineProcess(command=[sys.executable, "-c", STUCK_HELLO])
    try:
        assert proc.call("ready?")["error"]["code"] == -32601  # serving, signal handlers in place
        proc.send({"jsonrpc": "2.0", "id": 1, "method": "hello", "params": {}})
        time.sleep(1.0)  # inside the computation
        t0 = time.monotonic()
        proc.proc.send_signal(signal.SIGTERM)
        assert proc.proc.wait(timeout=60) == 0
        assert time.monotonic() - t0 < PROMPT_EXIT_S
        assert "did not stop within" in proc.stderr_text()
    finally:
        proc.proc.kill()
        proc.close()


# A call that holds the GIL throughout (the re module never releases it), as a large checkpoint
# write does: no Python thread of the engine can run until it returns.
GIL_HOLDING_HELLO = STUCK_HELLO.replace(
    """    a = torch.full((256, 256), 1e-3)
    while True:
        a = torch.mm(a, a).clamp_(0, 1)""",
    """    import re
    re.match(r"(a+)+$", "a" * 64 + "b")""",
)


@pytest.mark.parametrize(
    "stuck",
    [
        pytest.param(STUCK_HELLO, id="busy"),
        pytest.param(
            GIL_HOLDING_HELLO,
            id="holding-the-GIL",
            marks=pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's"),
        ),
    ],
)
def test_the_engine_exits_when_its_parent_dies_although_stdin_stays_open(stuck: str):
    # parent: a Python that starts the engine on the stdin pipe this test keeps open, then is killed.
    launcher = "import subprocess, sys; p = subprocess.Popen(sys.argv[1:]); print(p.pid, flush=True); p.wait()"
    engine_cmd = [sys.executable, "-c", stuck]
    read_end, write_end = os.pipe()
    parent = subprocess.Popen(
        [sys.executable, "-c", launcher, *engine_cmd],
        stdin=read_end,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ENGINE_ROOT), "OMP_NUM_THREADS": "1"},
    )
    os.close(read_end)
    engine_pid = int(parent.stdout.readline())
    try:
        for method in ("ready?", "hello"):
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method}).encode()
            os.write(write_end, b"Content-Length: %d\r\n\r\n" % len(body) + body)
        # The engine writes to the stdout it inherited from the launcher.
        assert MessageReader(parent.stdout).read()["error"]["code"] == -32601
        time.sleep(1.0)  # inside the computation
        parent.kill()
        parent.wait()
        assert _gone_within(engine_pid, PROMPT_EXIT_S)
    finally:
        os.close(write_end)
        parent.stdout.close()
        if not _gone_within(engine_pid, 0):
            os.kill(engine_pid, signal.SIGKILL)
