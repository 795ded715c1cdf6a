"""Engine errors carry the JSON-RPC code of src/core/engine/protocol.ts and a hint for the user."""

from __future__ import annotations

# Mirrors EngineErrorCode in src/core/engine/protocol.ts.
OUT_OF_MEMORY = -32001
MODEL_NOT_FOUND = -32002
BAD_CONFIG = -32003
NO_BATCH = -32004
OFFLINE = -32005
BAD_CHECKPOINT = -32006
INTERNAL = -32603
# Standard JSON-RPC codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602

OOM_HINT = (
    "Try fewer rollouts (n), a smaller micro_batch_size, gradient checkpointing, "
    "or a shorter max_new_tokens."
)


class EngineError(Exception):
    """An error the controller should show as is: one sentence, plus a hint of what to try."""

    def __init__(self, code: int, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


def bad_config(message: str, hint: str | None = None) -> EngineError:
    return EngineError(BAD_CONFIG, message, hint)


def invalid_params(message: str) -> EngineError:
    return EngineError(INVALID_PARAMS, message)


class Abandoned(Exception):
    """Raised inside a long call when SIGTERM asks the engine to stop now."""
