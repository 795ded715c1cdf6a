"""`python -m oneshot_engine serve`: JSON-RPC 2.0 on stdio, one call at a time.

stdout carries protocol bytes only: the real stdout is kept for the writer and file descriptor 1 is
pointed at stderr, so stray prints (ours, libraries', C extensions') cannot corrupt the stream.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import Any, BinaryIO

import torch

from . import errors, protocol
from .engine import Engine
from .errors import Abandoned, EngineError
from .rpc import DEFAULT_MAX_MESSAGE_BYTES, FramingError, MessageReader, MessageWriter

METHODS: dict[str, tuple[type, str]] = {
    "hello": (protocol.NoParams, "hello"),
    "load": (protocol.LoadParams, "load"),
    "format_prompt": (protocol.FormatPromptParams, "format_prompt"),
    "generate": (protocol.GenerateParams, "generate"),
    "train_step": (protocol.TrainStepParams, "train_step"),
    "save": (protocol.SaveParams, "save"),
}


def _is_oom(e: BaseException) -> bool:
    if isinstance(e, torch.OutOfMemoryError):
        return True
    text = str(e)
    return isinstance(e, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


class Server:
    def __init__(self, reader: MessageReader, writer: MessageWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.busy = False
        self.terminating = False
        self.engine = Engine(self._notify, self._check_abort)

    def _notify(self, method: str, params: dict[str, Any]) -> None:
        self.writer.notify(method, params)

    def _check_abort(self) -> None:
        if self.terminating:
            raise Abandoned()

    def on_sigterm(self, signum: int, frame: object) -> None:
        self.terminating = True
        if not self.busy:
            raise SystemExit(0)
        # Busy: the running call notices at its next progress point and the loop exits.

    def serve(self) -> int:
        while not self.terminating:
            try:
                message = self.reader.read()
            except FramingError as e:
                self.writer.error(None, e.code, e.message)
                continue
            if message is None:
                return 0  # stdin closed: the controller is gone
            if self.handle(message) == "exit":
                return 0
        return 0

    def handle(self, message: Any) -> str | None:
        if not isinstance(message, dict):
            self.writer.error(None, errors.INVALID_REQUEST, "a message must be a JSON object (batches are not supported).")
            return None
        id_ = message.get("id")
        method = message.get("method")
        is_request = "id" in message
        if message.get("jsonrpc") != "2.0" or not isinstance(method, str):
            if is_request or "method" in message:
                self.writer.error(id_, errors.INVALID_REQUEST, "not a JSON-RPC 2.0 request (jsonrpc/method missing).")
            return None  # a stray response: nothing to answer
        if method == "shutdown":
            if is_request:
                self.writer.result(id_, {"ok": True})
            return "exit"
        entry = METHODS.get(method)
        if entry is None:
            if is_request:  # unknown notifications ($/cancelRequest, $/setTrace…) are ignored
                self.writer.error(id_, errors.METHOD_NOT_FOUND, f"the engine has no method '{method}'.")
            return None
        self.busy = True
        try:
            try:
                result = self._call(method, entry, message.get("params"))
            except Abandoned:
                return "exit"
            except EngineError as e:
                if is_request:
                    data = {"exception": type(e.__cause__ or e).__name__}
                    if e.hint:
                        data["hint"] = e.hint
                    self.writer.error(id_, e.code, e.message, data)
                return "exit" if self.terminating else None
            if is_request:
                self.writer.result(id_, result)
        finally:
            # Cleared only after the answer is written, so SIGTERM never cuts a response in half.
            self.busy = False
        return "exit" if self.terminating else None

    def _call(self, method: str, entry: tuple[type, str], params: Any) -> Any:
        params_cls, attr = entry
        parsed = protocol.parse(params_cls, params)
        handler: Callable[[Any], Any] = getattr(self.engine, attr)
        try:
            return handler(parsed)
        except (EngineError, Abandoned):
            raise
        except Exception as e:  # noqa: BLE001 - every failure becomes one readable JSON-RPC error
            return self._translate(method, e)

    def _translate(self, method: str, e: Exception) -> Any:
        if _is_oom(e):
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            where = "the GPU" if isinstance(e, torch.OutOfMemoryError) else "the machine"
            raise EngineError(errors.OUT_OF_MEMORY, f"{where} ran out of memory during {method}.", errors.OOM_HINT) from e
        traceback.print_exc(file=sys.stderr)
        raise EngineError(errors.INTERNAL, f"{method} failed: {type(e).__name__}: {e}".rstrip(".") + ".") from e


def _protocol_stdout() -> BinaryIO:
    """Keeps the real stdout for protocol bytes and sends everything else written to fd 1 to stderr."""
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def serve(max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> int:
    writer = MessageWriter(_protocol_stdout())
    server = Server(MessageReader(sys.stdin.buffer, max_message_bytes), writer)

    def show_warning(message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        text = f"{category.__name__}: {message} ({os.path.basename(filename)}:{lineno})"
        print(text, file=sys.stderr)
        with contextlib.suppress(OSError):
            writer.notify("log", {"level": "warn", "message": text})

    warnings.showwarning = show_warning
    signal.signal(signal.SIGTERM, server.on_sigterm)
    signal.signal(signal.SIGINT, server.on_sigterm)
    try:
        return server.serve()
    except (BrokenPipeError, ConnectionResetError):
        return 0  # the controller closed our stdout: nobody is listening any more
