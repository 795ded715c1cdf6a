"""Framing edge cases of the message reader and writer, in process."""

from __future__ import annotations

import io
import json

import pytest

from oneshot_engine.rpc import EndOfInput, FramingError, MessageReader, MessageWriter


def frame(obj) -> bytes:
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_reads_consecutive_messages_and_utf8_lengths_in_bytes():
    data = frame({"a": "é€"}) + b"\r\n" + frame({"b": 2})
    reader = MessageReader(io.BytesIO(data))
    assert reader.read() == {"a": "é€"}
    assert reader.read() == {"b": 2}
    with pytest.raises(EndOfInput):
        reader.read()


def test_over_long_header_line_is_an_error_and_the_next_message_still_reads():
    data = b"X-Junk: " + b"y" * 20000 + b"\r\n\r\n" + frame({"ok": True})
    reader = MessageReader(io.BytesIO(data))
    with pytest.raises(FramingError) as e:
        reader.read()
    assert e.value.code == -32700
    assert reader.read() == {"ok": True}


def test_truncated_body_is_end_of_input():
    with pytest.raises(EndOfInput):
        MessageReader(io.BytesIO(b"Content-Length: 50\r\n\r\n{}")).read()


def test_writer_frames_and_replaces_non_finite_numbers():
    out = io.BytesIO()
    MessageWriter(out).result(1, {"grad_norm": float("nan"), "x": [float("inf"), 1.5]})
    header, body = out.getvalue().split(b"\r\n\r\n", 1)
    assert header == b"Content-Length: %d" % len(body)
    assert json.loads(body) == {"jsonrpc": "2.0", "id": 1, "result": {"grad_norm": None, "x": [None, 1.5]}}


def test_a_null_body_is_a_message_not_the_end_of_input():
    reader = MessageReader(io.BytesIO(b"Content-Length: 4\r\n\r\nnull" + frame({"ok": True})))
    assert reader.read() is None
    assert reader.read() == {"ok": True}


def test_deeply_nested_body_is_a_parse_error_and_the_next_message_still_reads():
    body = b"[" * 100_000 + b"]" * 100_000
    reader = MessageReader(io.BytesIO(b"Content-Length: %d\r\n\r\n" % len(body) + body + frame({"ok": True})))
    with pytest.raises(FramingError) as e:
        reader.read()
    assert e.value.code == -32700 and "too deeply" in e.value.message
    assert reader.read() == {"ok": True}


@pytest.mark.parametrize("body_size", [40, 50_000])
def test_header_block_without_content_length_skips_to_the_next_message(body_size):
    # The body of the bad message runs straight into the next message's header (no newline between).
    junk = b'{"jsonrpc": "2.0", "id": 1, "method": "hello", "pad": "' + b"x" * body_size + b'"}'
    data = b"Content-Type: application/json\r\n\r\n" + junk + frame({"ok": 1}) + frame({"ok": 2})
    reader = MessageReader(io.BytesIO(data))
    with pytest.raises(FramingError) as e:
        reader.read()
    assert e.value.code == -32700 and "no Content-Length" in e.value.message
    assert reader.read() == {"ok": 1}
    assert reader.read() == {"ok": 2}


def test_an_integer_too_long_to_convert_is_a_parse_error():
    body = b'{"seed": ' + b"1" * 5000 + b"}"
    reader = MessageReader(io.BytesIO(b"Content-Length: %d\r\n\r\n" % len(body) + body + frame({"ok": True})))
    with pytest.raises(FramingError) as e:
        reader.read()
    assert e.value.code == -32700
    assert reader.read() == {"ok": True}
