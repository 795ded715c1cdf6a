"""Typed parameters and results of the engine's JSON-RPC methods: the Python half of
src/core/engine/protocol.ts.

Names and fields mirror the TypeScript interfaces one for one (snake_case on both sides), and a field
that carries a run setting has the setting's name (rollouts, max_response_tokens, clip_ratio_low,
adam_betas…): the engine uses these dataclasses all the way down, so a setting keeps one name from the
example file to the loss. test/unit/engine/contract.test.ts compares this file with protocol.ts
(engine/tests/contract_dump.py writes what it reads here); PROTOCOL.md documents them. `parse` turns a
request's params object into the dataclass, with one readable error per missing or mistyped field,
and checks each number against RANGES, the one list of what the engine accepts beyond the type (JSON
can also carry NaN, Infinity and integers of any size).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict, TypeVar

from .errors import ErrorReason, invalid_params
from .options import EngineOptions

# 2: fields renamed to the settings they carry (n → rollouts, max_new_tokens → max_response_tokens,
# clip_eps_* → clip_ratio_*, betas/eps → adam_betas/adam_eps, max_tokens → max_prompt_tokens), and
# errors carry a reason instead of a hint.
# 3: generate takes rollout_wave_size and reports peak_mem_gb, hello reports gpu_memory, an out-of-memory
# error names its phase; optimizer.optimizer_state (fp32 | compact) replaces
# optimizer.fp32_master.
# 4: load takes lora (adapters on a frozen base), generate takes stream_outputs (finished rows in
# `outputs` notifications while it decodes), hello reports world_size (engine processes under torchrun).
PROTOCOL_VERSION = 4

Dtype = Literal["bfloat16", "float16", "float32"]
KlType = Literal["low_var_kl", "k1", "k2"]
LossAgg = Literal["token-mean", "seq-mean-token-mean", "seq-mean-token-sum"]
# fp32: fp32 master weights and moments; compact: weights updated in place with a compensation buffer,
# int8/bf16 moments (optim.py). Both are plain fp32 AdamW on an fp32 model.
OptimizerState = Literal["fp32", "compact"]
# The allowed values, for code that checks or iterates them.
KL_TYPES: tuple[KlType, ...] = typing.get_args(KlType)
LOSS_AGGS: tuple[LossAgg, ...] = typing.get_args(LossAgg)


@dataclass
class OptimizerParams:
    lr: float
    weight_decay: float
    adam_betas: tuple[float, float]
    adam_eps: float
    grad_clip: float
    optimizer_state: OptimizerState


@dataclass
class LoraParams:
    """Low-rank adapters (lora.py): rank 0 is full fine-tuning, like no lora object."""

    rank: int
    alpha: float
    # Hugging Face module names: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj.
    targets: list[str]
    dropout: float


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
    # Train low-rank adapters on a frozen base instead of every weight; None: full fine-tuning.
    lora: LoraParams | None = None


@dataclass
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass
class FormatPromptParams:
    messages: list[ChatMessage]
    prompt_template: str | None = None
    # The longest formatted prompt accepted, in tokens; the model's context (max_position_embeddings)
    # bounds it in any case.
    max_prompt_tokens: int | None = None


@dataclass
class GenerateParams:
    prompts: list[str]
    # Responses per prompt: the run's `rollouts`, a benchmark's `samples` (src/core/bench/engineParams.ts).
    rollouts: int
    temperature: float
    top_p: float
    top_k: int
    max_response_tokens: int
    stop: list[str]
    keep_for_training: bool
    seed: int | None = None
    # Rows (prompts x rollouts) decoded at once, in consecutive waves: the setting as the controller
    # resolved it (never "auto"); None decodes all rows at once.
    rollout_wave_size: int | None = None
    # Send finished rows in `outputs` notifications while the call decodes (the controller grades
    # them meanwhile); the result still holds every row.
    stream_outputs: bool = False


@dataclass
class TrainStepParams:
    batch_id: str
    advantages: list[float]
    clip_ratio_low: float
    clip_ratio_high: float
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


# -- results (what each method returns, as JSON) ---------------------------------------------------------

FinishReason = Literal["stop", "length", "stop_string"]


class GpuMemory(TypedDict):
    """The GPU's memory in GiB, within ONESHOT_MEMORY_LIMIT_GB when that caps it."""

    total_gb: float
    free_gb: float
    name: str


class HelloResult(TypedDict):
    protocol_version: int
    engine_version: str
    torch_version: str
    device: str
    cuda_available: bool
    options: EngineOptions  # as JSON: the dataclass's fields (EngineOptions.report)
    gpu_memory: GpuMemory | None  # None without CUDA
    world_size: int  # engine processes under torchrun (rank 0 answers); 1 for a single engine


class LoadResult(TypedDict):
    model_type: str
    params: int
    device: str
    dtype: Dtype
    vocab_size: int
    max_position_embeddings: int
    has_chat_template: bool
    options: EngineOptions


class FormatPromptResult(TypedDict):
    text: str
    tokens: int


class GenerateOutput(TypedDict):
    prompt_index: int
    text: str
    tokens: int
    finish_reason: FinishReason


class _GenerateResult(TypedDict):
    outputs: list[GenerateOutput]
    time_s: float
    generated_tokens: int
    tokens_per_s: float
    peak_mem_gb: float


class GenerateResult(_GenerateResult, total=False):
    batch_id: str


class StreamedOutput(GenerateOutput):
    """A row of a generate call sent before the call ends: `index` is its place in the result's outputs."""

    index: int


class TrainStepResult(TypedDict):
    loss: float
    pg_loss: float
    kl: float
    entropy: float
    clip_fraction: float
    grad_norm: float
    tokens: int
    time_s: float
    peak_mem_gb: float


class SaveResult(TypedDict):
    path: str
    files: list[str]
    time_s: float


class ShutdownResult(TypedDict):
    ok: Literal[True]


class _EngineErrorData(TypedDict):
    exception: str


class EngineErrorData(_EngineErrorData, total=False):
    """`error.data` of the engine's own errors: facts the controller words advice from."""

    reason: ErrorReason
    phase: str  # OUT_OF_MEMORY: the method that ran out (load, generate, train_step, save…)


# -- notifications (what the engine sends while a call runs) -----------------------------------------


class ProgressNotice(TypedDict):
    phase: str
    done: int
    total: int


class LogNotice(TypedDict):
    level: Literal["debug", "info", "warn", "error"]
    message: str


class OutputsNotice(TypedDict):
    """Rows of a generate call with stream_outputs that finished since the last notice, each sent once."""

    outputs: list[StreamedOutput]


# Notification method → its params.
NOTIFICATIONS: dict[str, type] = {"progress": ProgressNotice, "log": LogNotice, "outputs": OutputsNotice}


# Method name → (params, result); the server dispatches `Engine.<name>` with the parsed params.
METHODS: dict[str, tuple[type, type]] = {
    "hello": (NoParams, HelloResult),
    "load": (LoadParams, LoadResult),
    "format_prompt": (FormatPromptParams, FormatPromptResult),
    "generate": (GenerateParams, GenerateResult),
    "train_step": (TrainStepParams, TrainStepResult),
    "save": (SaveParams, SaveResult),
    "shutdown": (NoParams, ShutdownResult),
}


@dataclass(frozen=True)
class Range:
    """Accepted values of a number field: low <= x <= high, each end excluded when marked open."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def holds(self, x: float) -> bool:
        if self.low is not None and (x <= self.low if self.low_open else x < self.low):
            return False
        return self.high is None or (x < self.high if self.high_open else x <= self.high)

    def describe(self) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {_show(self.low)}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {_show(self.high)}")
        return " and ".join(parts)


# torch.manual_seed takes 64-bit seeds.
_SEED = Range(0, 2**64 - 1)
_POSITIVE = Range(0, low_open=True)

# Every number field's accepted range, "Class.field" → Range (tuples: each element). Whatever depends
# on the loaded model (max_response_tokens and prompts within its context) is checked by the engine.
RANGES: dict[str, Range] = {
    "OptimizerParams.lr": _POSITIVE,
    "OptimizerParams.weight_decay": Range(0),
    "OptimizerParams.adam_betas": Range(0, 1, high_open=True),
    "OptimizerParams.adam_eps": _POSITIVE,
    "OptimizerParams.grad_clip": Range(0),
    "LoadParams.seed": _SEED,
    "LoraParams.alpha": _POSITIVE,
    "LoraParams.dropout": Range(0, 1, high_open=True),
    "FormatPromptParams.max_prompt_tokens": Range(1),
    "GenerateParams.rollouts": Range(1),
    "GenerateParams.top_p": Range(0, 1, low_open=True),
    "GenerateParams.top_k": Range(0),
    "GenerateParams.max_response_tokens": Range(0),
    "GenerateParams.seed": _SEED,
    "GenerateParams.rollout_wave_size": Range(1),
    "TrainStepParams.clip_ratio_low": Range(0, 1),
    "TrainStepParams.clip_ratio_high": Range(0),
    "TrainStepParams.kl_coef": Range(0),
    "TrainStepParams.entropy_coef": Range(0),
    "TrainStepParams.mini_batches": Range(1),
    "TrainStepParams.micro_batch_size": Range(1),
    "TrainStepParams.lr": _POSITIVE,
}


def _show(x: float) -> str:
    text = f"{x:g}" if isinstance(x, float) else str(x)
    return text if len(text) <= 24 else f"{text[:6]}…({len(text)} digits)"


def _check_range(value: Any, rule: Range, where: str) -> None:
    for i, x in enumerate(value if isinstance(value, tuple) else (value,)):
        if x is not None and not rule.holds(x):
            at = f"{where}[{i}]" if isinstance(value, tuple) else where
            raise invalid_params(f"{at} must be {rule.describe()}, not {_show(x)}.")


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
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise invalid_params(f"{where} must be a finite number, not {_show(value)}.")
        return number
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
        rule = RANGES.get(f"{cls.__name__}.{f.name}")
        if rule is not None:
            _check_range(kwargs[f.name], rule, f"{where}.{f.name}")
    return cls(**kwargs)
