"""Engine errors: a JSON-RPC code, one sentence, and the facts behind it (a reason), never advice.

What the user should try is worded once, on the controller side and in the settings' names
(src/core/engine/errors.ts); the engine says what happened. The codes are declared here once for
Python: the --help text and the contract test (test/unit/engine/contract.test.ts, which compares them
with EngineErrorCode in src/core/engine/protocol.ts and the table in PROTOCOL.md) read CODES.
"""

from __future__ import annotations

import typing
from typing import Literal

OUT_OF_MEMORY = -32001
MODEL_NOT_FOUND = -32002
BAD_CONFIG = -32003
NO_BATCH = -32004
OFFLINE = -32005
BAD_CHECKPOINT = -32006
# Standard JSON-RPC codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL = -32603

# Every code the engine answers with, and what it means.
CODES: dict[int, str] = {
    OUT_OF_MEMORY: "out of memory",
    MODEL_NOT_FOUND: "model not found",
    BAD_CONFIG: "bad config",
    NO_BATCH: "unknown batch id",
    OFFLINE: "offline and not cached",
    BAD_CHECKPOINT: "damaged checkpoint",
    PARSE_ERROR: "parse error",
    INVALID_REQUEST: "invalid request",
    METHOD_NOT_FOUND: "method not found",
    INVALID_PARAMS: "invalid params (out-of-range numbers and over-long prompts included)",
    INTERNAL: "internal",
}

# Which case of a code it was, where the controller words its advice differently (error.data.reason).
ErrorReason = Literal[
    "not_a_model",  # MODEL_NOT_FOUND: neither a model folder nor a hub id
    "gated",  # MODEL_NOT_FOUND: a hub model this machine has no access to
    "no_safetensors",  # MODEL_NOT_FOUND: weights in another format
    "offline_mode",  # OFFLINE: HF_HUB_OFFLINE is set
    "download_failed",  # OFFLINE: the download started and failed
    "unsupported_model",  # BAD_CONFIG: a model family the engine does not run
    "no_tokenizer",  # BAD_CONFIG: no tokenizer.json
    "no_cuda",  # BAD_CONFIG: device cuda without a GPU
    "no_reference",  # BAD_CONFIG: kl_coef > 0 on a model loaded without the reference copy
    "not_enough_memory",  # BAD_CONFIG: the ONNX export would not fit in free memory
    "not_quantisable",  # BAD_CONFIG: 4-bit quantisation cannot handle the model's weight matrices
]
_REASONS = typing.get_args(ErrorReason)


class EngineError(Exception):
    """An error the controller shows as is: one sentence, plus the reason it words advice from."""

    def __init__(self, code: int, message: str, reason: ErrorReason | None = None, phase: str | None = None) -> None:
        # A reason is a fact the controller looks up, never a sentence of advice.
        assert reason is None or reason in _REASONS, f"unknown error reason {reason!r}"
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.phase = phase  # OUT_OF_MEMORY: the method that ran out of memory


def bad_config(message: str, reason: ErrorReason | None = None) -> EngineError:
    return EngineError(BAD_CONFIG, message, reason)


def invalid_params(message: str) -> EngineError:
    return EngineError(INVALID_PARAMS, message)


class Abandoned(Exception):
    """Raised inside a long call when SIGTERM asks the engine to stop now."""
