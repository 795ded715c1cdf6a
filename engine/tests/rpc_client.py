"""A minimal JSON-RPC client that runs `python -m oneshot_engine serve` as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from oneshot_engine.rpc import EndOfInput, MessageReader

ENGINE_ROOT = Path(__file__).resolve().parents[1]


class EngineProcess:
    def __init__(self, *args: str, env: dict[str, str] | None = None, command: list[str] | None = None) -> None:
        # A file, not a pipe: nobody reads stderr while the engine runs, and a full pipe would block it.
        self.stderr_file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        full_env = {**os.environ, "PYTHONPATH": str(ENGINE_ROOT), "OMP_NUM_THREADS": "1", **(env or {})}
        self.proc = subprocess.Popen(
            command or [sys.executable, "-m", "oneshot_engine", "serve", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr_file,
            env=full_env,
        )
        # Strict: any non-protocol byte on stdout makes this reader fail the test.
        self.reader = MessageReader(self.proc.stdout)
        self.next_id = 0
        self.notifications: list[dict[str, Any]] = []

    def send_raw(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any], headers: str = "") -> None:
        body = json.dumps(message).encode()
        self.send_raw(f"Content-Length: {len(body)}\r\n{headers}\r\n".encode() + body)

    def receive(self, timeout_s: float | None = None) -> dict[str, Any]:
        """The next response (notifications before it are collected). After `timeout_s` the engine
        is killed, so a hung engine fails the test instead of blocking it."""
        timer = threading.Timer(timeout_s, self.proc.kill) if timeout_s else None
        if timer:
            timer.start()
        try:
            while True:
                try:
                    message = self.reader.read()
                except EndOfInput:
                    raise AssertionError("the engine closed stdout: " + self.stderr_text()) from None
                if "method" in message:
                    self.notifications.append(message)
                    continue
                return message
        finally:
            if timer:
                timer.cancel()

    def call(self, method: str, params: dict[str, Any] | None = None, timeout_s: float | None = None) -> dict[str, Any]:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params or {}})
        response = self.receive(timeout_s)
        assert response["id"] == self.next_id
        return response

    def result(self, method: str, params: dict[str, Any] | None = None) -> Any:
        response = self.call(method, params)
        assert "error" not in response, response["error"]
        return response["result"]

    def stderr_text(self) -> str:
        self.stderr_file.seek(0)
        return self.stderr_file.read().decode(errors="replace")[-3000:]

    def close(self) -> int:
        if self.proc.poll() is None:
            self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=20)
        finally:
            self.proc.stdout.close()
            self.stderr_file.close()
