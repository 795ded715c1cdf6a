"""Command line: `python -m oneshot_engine serve|export-onnx` (see --help)."""

from __future__ import annotations

import argparse
import sys
import textwrap

from .errors import CODES
from .protocol import METHODS
from .rpc import DEFAULT_MAX_MESSAGE_BYTES

DESCRIPTION = """\
The One-Shot RLVR engine: the PyTorch worker that loads a model, samples rollouts, takes GRPO/PPO
train steps on advantages it is given and saves Hugging Face checkpoints. The run controller
(`oneshot train`, or the VS Code extension) starts it; you rarely run it by hand.
"""

SERVE_HELP = """\
Speak JSON-RPC 2.0 on stdin/stdout with Content-Length framing (the framing of vscode-jsonrpc):
each message is `Content-Length: N\\r\\n\\r\\n` followed by N bytes of UTF-8 JSON.

Requests: {methods}.
Notifications sent while a call runs: progress {{phase, done, total}}, log {{level, message}}.
{errors}

stdout carries protocol bytes only; logs and warnings go to stderr. The process exits with 0 on
`shutdown`, and when stdin closes, the parent process exits, or on SIGTERM/SIGINT: at once when idle,
else at the running call's next progress point, abandoning it (a call that reaches none
within 2 s is cut short).
Under torchrun (python -m torch.distributed.run --nproc-per-node N … -m oneshot_engine serve) rank 0
serves as above and broadcasts each call to the other ranks, which run it too and never touch stdio.
HF_HUB_OFFLINE=1 keeps model loading to the local cache. ONESHOT_COMPILE, ONESHOT_COMPILE_TRAIN,
ONESHOT_FAST_DECODE, ONESHOT_TRITON (each off when "0"), ONESHOT_DECODE_ATTN (triton|sdpa|bmm) and
ONESHOT_MEMORY_LIMIT_GB choose kernels and the training memory budget: read once at start (a value
that cannot be used exits with status 2 and one line on stderr), reported in the hello and load results.
"""


def serve_help() -> str:
    codes = ", ".join(f"{code} {meaning}" for code, meaning in CODES.items())
    errors = f"Errors use JSON-RPC codes: {codes}; error.data.reason says which case it was. "
    errors += "engine/PROTOCOL.md documents every field."
    return SERVE_HELP.format(methods=", ".join(METHODS), errors=textwrap.fill(errors, 100))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oneshot_engine", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve",
        help="serve JSON-RPC on stdio (what the controller runs)",
        description=serve_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument(
        "--max-message-bytes",
        type=int,
        default=DEFAULT_MAX_MESSAGE_BYTES,
        help=f"reject larger incoming messages (default {DEFAULT_MAX_MESSAGE_BYTES})",
    )
    sub.add_parser(
        "export-onnx",
        help="export a model folder to ONNX for onnxruntime (`export-onnx --help` for options)",
        add_help=False,
    )
    args, rest = parser.parse_known_args(argv)
    if args.command == "export-onnx":
        from .export_onnx import main as export_main

        return export_main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "serve":
        from .server import serve as run_server

        return run_server(args.max_message_bytes)
    return 2


if __name__ == "__main__":
    sys.exit(main())
