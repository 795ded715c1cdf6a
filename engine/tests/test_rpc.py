"""Framing edge cases of the message reader and writer, in process."""

from __future__ import annotations

import io
import json

import pytest

from oneshot_engine.rpc import FramingError, MessageReader, MessageWriter


def frame(obj) -> bytes:
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_reads_consecutive_messages_and_utf8_lengths_in_bytes():
    data = frame({"a": "é€"}) + b"\r\n" + frame({"b": 2})
    reader = MessageReader(io.BytesIO(data))
    assert reader.read() == {"a": "é€"}
    assert reader.read() == {"b": 2}
    assert reader.read() is None


def test_over_long_header_line_is_an_error_and_the_next_message_still_reads():
    data = b"X-Junk: " + b"y" * 20000 + b"\r\n\r\n" + frame({"ok": True})
    reader = MessageReader(io.BytesIO(data))
    with pytest.raises(FramingError) as e:
        reader.read()
    assert e.value.code == -32700
    assert reader.read() == {"ok": True}


def test_truncated_body_is_end_of_input():
    assert MessageReader(io.BytesIO(b"Content-Length: 50\r\n\r\n{}")).read() is None


def test_writer_frames_and_replaces_non_finite_numbers():
    out = io.BytesIO()
    MessageWriter(out).result(1, {"grad_norm": float("nan"), "x": [float("inf"), 1.5]})
    header, body = out.getvalue().split(b"\r\n\r\n", 1)
    assert header == b"Content-Length: %d" % len(body)
    assert json.loads(body) == {"jsonrpc": "2.0", "id": 1, "result": {"grad_norm": None, "x": [None, 1.5]}}
