"""Typed parameters of the engine's JSON-RPC methods: the Python half of src/core/engine/protocol.ts.

Names and fields mirror the TypeScript interfaces one for one (snake_case on both sides); PROTOCOL.md
documents them. `parse` turns a request's params object into the dataclass, with one readable error per
missing or mistyped field.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from .errors import invalid_params

PROTOCOL_VERSION = 1

Dtype = Literal["bfloat16", "float16", "float32"]
KlType = Literal["low_var_kl", "k1", "k2"]
LossAgg = Literal["token-mean", "seq-mean-token-mean", "seq-mean-token-sum"]


@dataclass
class OptimizerParams:
    lr: float
    weight_decay: float
    betas: tuple[float, float]
    eps: float
    grad_clip: float
    fp32_master: bool


@dataclass
class LoadParams:
    model: str
    dtype: Dtype
    device: Literal["auto", "cpu", "cuda"]
    seed: int
    train: bool
    reference_model: bool
    gradient_checkpointing: bool
    revision: str | None = None
    optimizer: OptimizerParams | None = None
    resume_state: str | None = None


@dataclass
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass
class FormatPromptParams:
    messages: list[ChatMessage]
    template: str | None = None


@dataclass
class GenerateParams:
    prompts: list[str]
    n: int
    temperature: float
    top_p: float
    top_k: int
    max_new_tokens: int
    stop: list[str]
    keep_for_training: bool
    seed: int | None = None


@dataclass
class TrainStepParams:
    batch_id: str
    advantages: list[float]
    clip_eps_low: float
    clip_eps_high: float
    kl_coef: float
    kl_type: KlType
    entropy_coef: float
    loss_agg: LossAgg
    mini_batches: int
    micro_batch_size: int
    lr: float | None = None


@dataclass
class SaveParams:
    path: str
    include_state: bool


@dataclass
class NoParams:
    extra: dict[str, Any] = field(default_factory=dict)


T = TypeVar("T")
_MISSING = object()


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _convert(value: Any, tp: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(value, inner[0], where)
    if origin is Literal:
        if value not in args:
            raise invalid_params(f"{where} must be one of {', '.join(map(repr, args))}, not {value!r}.")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise invalid_params(f"{where} must be a list.")
        return [_convert(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is tuple:
        if not isinstance(value, list) or len(value) != len(args):
            raise invalid_params(f"{where} must be a list of {len(args)} numbers.")
        return tuple(_convert(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args, strict=True)))
    if dataclasses.is_dataclass(tp):
        return parse(tp, value, where)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid_params(f"{where} must be a number.")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            raise invalid_params(f"{where} must be an integer.")
        return int(value)
    if tp in (str, bool) and not isinstance(value, tp):
        raise invalid_params(f"{where} must be a {_type_name(tp)}.")
    return value


def parse(cls: type[T], params: Any, where: str = "params") -> T:
    """Builds dataclass `cls` from a JSON object; unknown keys are ignored (newer controllers)."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise invalid_params(f"{where} must be a JSON object.")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name == "extra":
            continue
        value = params.get(f.name, _MISSING)
        if value is _MISSING:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise invalid_params(f"{where}.{f.name} is missing.")
            continue
        kwargs[f.name] = _convert(value, hints[f.name], f"{where}.{f.name}")
    return cls(**kwargs)
