"""`python -m oneshot_engine serve`: JSON-RPC 2.0 on stdio, one call at a time.

stdout carries protocol bytes only: the real stdout is kept for the writer and file descriptor 1 is
pointed at stderr, so stray prints (ours, libraries', C extensions') cannot corrupt the stream.

The engine must not outlive its client. A thread reads stdin (so its end is seen while a call runs),
another watches signals and the parent process; any of them stops the server: the running call is
abandoned at its next progress point, and a call stuck in one long computation (a prefill) is cut
short by exiting the process after STOP_GRACE_S.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import queue
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from typing import Any, BinaryIO, NoReturn

import torch

from . import errors, protocol
from .distributed import Dist, LostRank, World
from .engine import Engine
from .errors import Abandoned, EngineError
from .options import EngineOptions
from .rpc import DEFAULT_MAX_MESSAGE_BYTES, EndOfInput, FramingError, MessageReader, MessageWriter

# How long a stopping server waits for the running call to reach a progress point before it exits anyway.
STOP_GRACE_S = 2.0
_PARENT_POLL_S = 0.5
_STOP = object()  # inbox marker: the client is gone or asked us to stop


def _is_oom(e: BaseException) -> bool:
    if isinstance(e, torch.OutOfMemoryError):
        return True
    text = str(e)
    return isinstance(e, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


def _release_memory() -> None:
    """After an out-of-memory error: the failed call's tensors are garbage now; hand the allocator's
    cached blocks back to the device, so what runs next (a checkpoint, another process) has them."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


class Server:
    def __init__(
        self, reader: MessageReader | None, writer: MessageWriter | None, options: EngineOptions | None = None, dist: Dist | None = None
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.terminating = False
        self.stopping = threading.Event()
        self.inbox: queue.Queue[Any] = queue.Queue()
        # Under torchrun: rank 0's link to the other ranks, which run each call with it (distributed.py).
        self.dist = dist
        self.busy = False  # inside a call the other ranks run too
        self.followers_ended = False  # told to end by a shutdown request
        self.exit_code = 0
        self.engine = Engine(self._notify, self._check_abort, options, dist)

    def _notify(self, method: str, params: dict[str, Any]) -> None:
        if self.writer is not None:  # a follower (rank > 0) has no client to tell
            self.writer.notify(method, params)

    def _check_abort(self) -> None:
        if self.terminating:
            raise Abandoned()

    def stop(self, why: str) -> None:
        """Ends the serve loop; callable from any thread. A running call is abandoned at its next
        progress point (no answer is sent)."""
        if self.stopping.is_set():
            return
        print(f"oneshot_engine: stopping: {why}.", file=sys.stderr)
        self.terminating = True
        self.stopping.set()
        self.inbox.put(_STOP)

    def _pump(self) -> None:
        """Reader thread: messages (and framing errors) into the inbox, in order, until stdin ends."""
        while True:
            try:
                self.inbox.put(self.reader.read())
            except FramingError as e:
                self.inbox.put(e)
            except (EndOfInput, OSError, ValueError):
                self.stop("stdin closed (the client is gone)")
                return

    def serve(self) -> int:
        assert self.reader is not None and self.writer is not None
        threading.Thread(target=self._pump, name="stdin-reader", daemon=True).start()
        while True:
            item = self.inbox.get()
            if item is _STOP or self.terminating:
                return self.exit_code
            if isinstance(item, FramingError):
                self.writer.error(None, item.code, item.message)
            elif self.handle(item) == "exit":
                return self.exit_code

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
            if self.dist is not None and not self.followers_ended:
                self.dist.broadcast(("call", "shutdown", None))
                self.followers_ended = True
            if is_request:
                self.writer.result(id_, {"ok": True})
            return "exit"
        entry = protocol.METHODS.get(method)
        if entry is None:
            if is_request:  # unknown notifications ($/cancelRequest, $/setTrace…) are ignored
                self.writer.error(id_, errors.METHOD_NOT_FOUND, f"the engine has no method '{method}'.")
            return None
        failure: int | None = None  # the code of the error answered instead of a result
        try:
            result = self._call(method, entry, message.get("params"))
        except Abandoned:
            return "exit"
        except EngineError as e:
            if is_request:
                data: protocol.EngineErrorData = {"exception": type(e.__cause__ or e).__name__}
                if e.reason is not None:
                    data["reason"] = e.reason
                if e.phase is not None:
                    data["phase"] = e.phase
                self.writer.error(id_, e.code, e.message, dict(data))
            failure = e.code
        if failure is None and is_request:
            self.writer.result(id_, result)
        if failure == errors.OUT_OF_MEMORY:
            # Out here the error and its traceback, which held the failed call's tensors, are gone.
            _release_memory()
        return "exit" if self.terminating else None

    def _call(self, method: str, entry: tuple[type, type], params: Any) -> Any:
        parsed = protocol.parse(entry[0], params)
        if self.dist is None:
            return self.run(method, parsed)
        self.busy = True
        try:
            result = self.dist.lead(method, params, lambda: self.run(method, parsed))
        except LostRank:
            self.terminating = True  # the process group is broken: answer, then exit
            self.exit_code = 1
            raise
        except EngineError:
            self.busy = False  # every rank has ended the call (an Abandoned one leaves them busy)
            raise
        self.busy = False
        return result

    def run(self, method: str, parsed: Any) -> Any:
        """This process's part of a call: its result, or an EngineError for any failure."""
        handler: Callable[[Any], Any] = getattr(self.engine, method)
        try:
            return handler(parsed)
        except (EngineError, Abandoned):
            raise
        except Exception as e:  # noqa: BLE001 - every failure becomes one readable JSON-RPC error
            return self._translate(method, e)

    def _translate(self, method: str, e: Exception) -> Any:
        if _is_oom(e):
            where = "the GPU" if isinstance(e, torch.OutOfMemoryError) else "the machine"
            raise EngineError(errors.OUT_OF_MEMORY, f"{where} ran out of memory during {method}.", phase=method) from e
        traceback.print_exc(file=sys.stderr)
        raise EngineError(errors.INTERNAL, f"{method} failed: {type(e).__name__}: {e}".rstrip(".") + ".") from e


def _protocol_stdout() -> BinaryIO:
    """Keeps the real stdout for protocol bytes and sends everything else written to fd 1 to stderr."""
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def _watch_signals(server: Server) -> None:
    """SIGTERM/SIGINT stop the server even while the main thread is inside one long C call (where
    a Python signal handler would not run): the C-level handler writes the signal number to a wakeup
    pipe at once, and a thread reading that pipe stops the server."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    stopping = {int(signal.SIGTERM): "SIGTERM", int(signal.SIGINT): "SIGINT"}
    for sig in stopping:
        signal.signal(sig, lambda signum, frame: None)  # the work happens in the thread below
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)

    def wait() -> None:
        while True:
            data = os.read(read_end, 1)
            if not data:
                return
            if data[0] in stopping:  # the pipe also hears signals other libraries handle
                server.stop(f"received {stopping[data[0]]}")

    threading.Thread(target=wait, name="signals", daemon=True).start()


def _lifeline(server: Server, grace_s: float, hard_exit: Callable[[], None]) -> None:
    """Stops the server when the parent process dies; once stopping, exits the process if the
    running call has not ended after `grace_s` (the normal exit ends this daemon thread first)."""
    parent = os.getppid()
    while not server.stopping.wait(_PARENT_POLL_S):
        if os.getppid() != parent:
            server.stop(f"the parent process {parent} exited")
    time.sleep(grace_s)
    print(f"oneshot_engine: the running call did not stop within {grace_s:g} s; exiting.", file=sys.stderr)
    # Never cut a message in half: wait for a write in progress (they take microseconds).
    server.writer.lock.acquire(timeout=1.0)
    hard_exit()


def _die_with_parent() -> None:
    """Linux: the kernel SIGKILLs the engine when its parent dies (PR_SET_PDEATHSIG). The lifeline
    thread cannot run while a call holds the GIL (a multi-GB checkpoint write did for 34 s on an
    H200); the kernel needs no GIL. Nobody is left to answer, so an abrupt end loses nothing."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG


def _follow(dist: Dist, options: EngineOptions) -> int:
    """A rank other than 0: runs each call rank 0 broadcasts; never reads stdin, never writes stdout."""
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _die_with_parent()  # torchrun's agent
    server = Server(None, None, options, dist)
    try:
        code = dist.follow(lambda method, params: server.run(method, protocol.parse(protocol.METHODS[method][0], params)))
    except BaseException:
        dist.close()
        raise
    _exit_now(code)


def _exit_now(code: int) -> NoReturn:
    """Ends a torchrun rank without the interpreter's teardown: destroying gloo's process group and
    its threads there aborted a rank now and then ("terminate called without an active exception",
    SIGABRT, under load in CI), which torchrun then reports as the run's failure. Nothing is left to
    do: the answer to `shutdown` is written, every collective is over."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def serve(max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> int:
    # The one place the engine reads its options (and its place in a torchrun launch) from the environment.
    try:
        options = EngineOptions.from_env()
        world = World.from_env(os.environ)
    except ValueError as e:
        print(f"oneshot_engine: {e}", file=sys.stderr)
        return 2
    dist = Dist(world) if world is not None else None
    if dist is not None and not dist.leader:
        return _follow(dist, options)
    writer = MessageWriter(_protocol_stdout())
    # A private reader of fd 0: the reader thread may be blocked inside it at exit, and interpreter
    # shutdown aborts on a locked sys.stdin (a file only that thread references is left alone).
    stdin = os.fdopen(os.dup(0), "rb")
    server = Server(MessageReader(stdin, max_message_bytes), writer, options, dist)

    def show_warning(message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        text = f"{category.__name__}: {message} ({os.path.basename(filename)}:{lineno})"
        print(text, file=sys.stderr)
        with contextlib.suppress(OSError):
            writer.notify("log", {"level": "warn", "message": text})

    warnings.showwarning = show_warning
    _die_with_parent()
    _watch_signals(server)

    def hard_exit() -> None:
        if server.dist is not None:
            server.dist.end(busy=True)
        os._exit(0)

    threading.Thread(target=_lifeline, args=(server, STOP_GRACE_S, hard_exit), name="lifeline", daemon=True).start()
    try:
        code = server.serve()
    except (BrokenPipeError, ConnectionResetError):
        code = 0  # the controller closed our stdout: nobody is listening any more
    if server.dist is None:
        return code
    if server.exit_code == 0 and not server.followers_ended:  # (with a rank lost, nobody is left to tell)
        server.dist.end(server.busy)
    _exit_now(code)
