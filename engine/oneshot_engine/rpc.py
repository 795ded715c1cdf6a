"""Content-Length framed JSON-RPC 2.0 messages, byte-compatible with vscode-jsonrpc's stream framing.

Each message: `Content-Length: N\\r\\n` (other headers such as Content-Type allowed), a blank line,
then N bytes of UTF-8 JSON.
"""

from __future__ import annotations

import json
import math
import threading
from typing import Any, BinaryIO

DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
_MAX_HEADER_LINE = 8192
_CONTENT_LENGTH = b"content-length:"


class EndOfInput(Exception):
    """The input stream ended (the client closed our stdin)."""


class FramingError(Exception):
    """A message that cannot be read; `code` is the JSON-RPC error to answer with (id null)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class MessageReader:
    def __init__(self, stream: BinaryIO, max_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        self.stream = stream
        self.max_bytes = max_bytes
        # After a header block without a usable Content-Length the body's extent is unknown: the
        # next read skips to the next `Content-Length:` instead of parsing the body as headers.
        self.desynced = False

    def _header_line(self) -> bytes | None:
        line = self.stream.readline(_MAX_HEADER_LINE)
        if not line:
            return None
        if not line.endswith(b"\n") and len(line) == _MAX_HEADER_LINE:
            while line and not line.endswith(b"\n"):  # drop the rest of the over-long line
                line = self.stream.readline(_MAX_HEADER_LINE)
            return b"<over-long header line>"
        return line.rstrip(b"\r\n")

    def _resync(self) -> bytes | None:
        """Skips bytes up to the next `Content-Length:` and returns that header line (None at the end)."""
        tail = b""
        while True:
            chunk = self.stream.readline(_MAX_HEADER_LINE)
            if not chunk:
                return None
            data = tail + chunk
            at = data.lower().find(_CONTENT_LENGTH)
            if at >= 0:
                line = data[at:]
                while not line.endswith(b"\n") and len(line) < _MAX_HEADER_LINE:
                    more = self.stream.readline(_MAX_HEADER_LINE - len(line))
                    if not more:
                        break
                    line += more
                self.desynced = False
                return line.rstrip(b"\r\n")
            # Keep what could be the start of the header cut by readline's size limit.
            tail = b"" if chunk.endswith(b"\n") else data[-(len(_CONTENT_LENGTH) - 1) :]

    def read(self) -> Any:
        """The next message's parsed JSON (any JSON value, null included). Raises EndOfInput at the end
        of input and FramingError for a message that cannot be read."""
        length: int | None = None
        bad_header = None
        headers = 0
        while True:
            line = self._resync() if headers == 0 and self.desynced else self._header_line()
            if line is None:
                raise EndOfInput()
            if not line:
                if headers == 0:
                    continue  # stray blank lines between messages
                break
            headers += 1
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                bad_header = f"header line {line[:60]!r} is not 'Name: value'"
            elif name.strip().lower() == "content-length":
                try:
                    length = int(value.strip())
                except ValueError:
                    bad_header = f"Content-Length {value.strip()[:20]!r} is not a number"
        if bad_header is not None or length is None or length < 0:
            self.desynced = True
            raise FramingError(-32700, f"bad message header: {bad_header or 'no Content-Length'}.")
        if length > self.max_bytes:
            self._skip(length)
            raise FramingError(-32600, f"a message of {length} bytes exceeds the limit of {self.max_bytes} bytes.")
        body = self.stream.read(length)
        if len(body) < length:
            raise EndOfInput()  # input closed mid-message
        try:
            return json.loads(body.decode("utf-8"))
        except ValueError as e:  # invalid UTF-8 or JSON, or an integer of more than 4300 digits
            raise FramingError(-32700, f"the message is not valid JSON: {str(e)[:200]}.") from None
        except RecursionError:
            raise FramingError(-32700, "the message nests JSON arrays or objects too deeply to parse.") from None

    def _skip(self, length: int) -> None:
        while length > 0:
            chunk = self.stream.read(min(length, 1 << 20))
            if not chunk:
                return
            length -= len(chunk)


def _finite(value: Any) -> Any:
    """JSON has no NaN/Infinity (JSON.parse rejects them): send null instead."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class MessageWriter:
    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def write(self, message: dict[str, Any]) -> None:
        body = json.dumps(_finite(message), ensure_ascii=False, allow_nan=False).encode("utf-8")
        with self.lock:
            self.stream.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.stream.flush()

    def result(self, id_: Any, result: Any) -> None:
        self.write({"jsonrpc": "2.0", "id": id_, "result": result})

    def error(self, id_: Any, code: int, message: str, data: dict[str, Any] | None = None) -> None:
        err: dict[str, Any] = {"code": code, "message": message}
        if data:
            err["data"] = data
        self.write({"jsonrpc": "2.0", "id": id_, "error": err})

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.write({"jsonrpc": "2.0", "method": method, "params": params})
