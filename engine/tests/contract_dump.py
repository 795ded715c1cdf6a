"""Prints the engine's half of the RPC contract as JSON, for test/unit/engine/contract.test.ts.

The test builds the same shape from src/core/engine/protocol.ts with the TypeScript compiler and
compares the two. Types are written the way TypeScript spells them (number, string[], [number,
number], "k1" | "k2"), so a field renamed, retyped or made optional on one side only is a difference.
In what the controller sends (params), `X | None = None` is an optional field (`x?: X`); in what the
engine answers (results and notifications), None is JSON null (`x: X | null`) and every dataclass field is present.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oneshot_engine import errors, protocol  # noqa: E402

_SCALARS = {int: "number", float: "number", str: "string", bool: "boolean"}


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__required_keys__")


def spell(tp: Any, result: bool = False) -> str:
    """`tp` as TypeScript writes it (None as null in results, left out in params: the field is optional)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Literal:
        return " | ".join(sorted(json.dumps(a) for a in args))
    if origin in (typing.Union, types.UnionType):
        parts = [spell(a, result) for a in args if a is not type(None)]
        if result and type(None) in args:
            parts.append("null")
        return " | ".join(sorted(p for part in parts for p in part.split(" | ")))
    if origin is list:
        return f"{spell(args[0])}[]"
    if origin is tuple:
        return f"[{', '.join(spell(a) for a in args)}]"
    if tp in _SCALARS:
        return _SCALARS[tp]
    if dataclasses.is_dataclass(tp) or _is_typeddict(tp):
        return tp.__name__
    raise TypeError(f"contract_dump cannot spell {tp!r}")


def fields(cls: type, result: bool) -> dict[str, dict[str, Any]]:
    """Field name → {type, optional}; a params dataclass field with a default or a TypedDict key that is
    not required is optional (`?` in TypeScript)."""
    hints = typing.get_type_hints(cls)
    if _is_typeddict(cls):
        optional = set(cls.__optional_keys__)  # type: ignore[attr-defined]
        names = list(hints)
    elif result:
        optional, names = set(), [f.name for f in dataclasses.fields(cls)]
    else:
        fs = [f for f in dataclasses.fields(cls) if not (cls is protocol.NoParams and f.name == "extra")]
        optional = {
            f.name for f in fs if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        }
        names = [f.name for f in fs]
    return {n: {"type": spell(hints[n], result), "optional": n in optional} for n in names}


def reachable(roots: list[type]) -> dict[str, type]:
    """Every dataclass and TypedDict the roots use, by name."""
    found: dict[str, type] = {}
    todo = list(roots)
    while todo:
        cls = todo.pop()
        if cls.__name__ in found:
            continue
        found[cls.__name__] = cls
        for tp in typing.get_type_hints(cls).values():
            stack = [tp]
            while stack:
                t = stack.pop()
                stack.extend(typing.get_args(t))
                if dataclasses.is_dataclass(t) or _is_typeddict(t):
                    todo.append(t)  # type: ignore[arg-type]
    return found


def dump() -> dict[str, Any]:
    params = reachable([p for p, _ in protocol.METHODS.values()])
    notices = list(protocol.NOTIFICATIONS.values())
    results = reachable([r for _, r in protocol.METHODS.values()] + [protocol.EngineErrorData] + notices)
    both = params.keys() & results.keys()
    assert not both, f"{both} are both params and results: contract_dump cannot tell how to spell None"
    types = {name: fields(cls, False) for name, cls in params.items()}
    types.update({name: fields(cls, True) for name, cls in results.items()})
    names = {v: k for k, v in vars(errors).items() if k.isupper() and isinstance(v, int) and v in errors.CODES}
    return {
        "version": protocol.PROTOCOL_VERSION,
        "methods": {m: {"params": p.__name__, "result": r.__name__} for m, (p, r) in protocol.METHODS.items()},
        "notifications": {m: n.__name__ for m, n in protocol.NOTIFICATIONS.items()},
        "types": dict(sorted(types.items())),
        "errors": {names[code]: code for code in errors.CODES},
    }


if __name__ == "__main__":
    json.dump(dump(), sys.stdout, indent=1, sort_keys=True)
    print()
