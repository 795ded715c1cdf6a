"""LoRA: low-rank adapters on the decoder's linear layers, trained while the base weights stay frozen.

A targeted projection computes y = x W^T + b + scale * dropout(x) A^T B^T with A [r, in]
(kaiming-uniform, as PEFT initialises it), B [out, r] (zeros, so training starts at the base model)
and scale = alpha / r. A and B are fp32 parameters (the optimizer's weights); the products run in the
model's dtype like every other matmul of the layer (autograd brings the gradients back to fp32). The
base weights keep the model's dtype with requires_grad off: no gradients, no master copy and no
optimizer state exist for them, so the Trainer builds plain fp32 AdamW on the adapters whatever
optimizer_state says.

Modules keep the Hugging Face names (model.layers.N.self_attn.q_proj…): a targeted nn.Linear is
replaced by a LoraLinear sharing its weight and bias Parameters. Switching the adapters off
(`adapters_disabled`) gives the base model back, which is the KL reference of a LoRA run: no copy.

The CUDA-graph decode (decode.py) reads DecodeAdapters: per layer and per decode GEMM (q|k|v, o,
gate|up, down; fused_weights.py) the group's A's are extra rows of the GEMM's fused weight buffer, so
the base GEMM also yields t = x A^T, and its B's are one block-diagonal [out, k r] buffer with the
scale folded in; both in the model's dtype. One more small GEMM adds t B^T in place into the base
output (a row-strided view of the GEMM's output): one extra kernel per adapted group and step, no
casts, no adds, no allocation. The buffers are refreshed in place from the parameters at every
generate call (DecodeRunner.refresh_weights), so captured graphs stay valid after optimizer steps.

Checkpoints: `merged_state_dict` (W + scale B A, in the model's dtype) is what save writes as the
model; `write_peft_adapter` writes the adapter in PEFT's layout beside it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn

from .errors import EngineError, bad_config
from .fused_weights import GROUPS, Gemm, LayerWeights
from .model import Transformer
from .protocol import LoraParams

TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
ADAPTER_DIR = "adapter"
PEFT_PREFIX = "base_model.model."


class LoraLinear(nn.Linear):
    """An nn.Linear (the base layer's own weight and bias) plus a trainable low-rank adapter."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float, dropout: float) -> None:
        nn.Module.__init__(self)
        self.in_features, self.out_features = base.in_features, base.out_features
        self.weight = base.weight
        self.bias = base.bias
        device = base.weight.device
        self.lora_A = nn.Parameter(torch.empty(rank, self.in_features, dtype=torch.float32, device=device))
        self.lora_B = nn.Parameter(torch.zeros(self.out_features, rank, dtype=torch.float32, device=device))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))  # PEFT's init_lora_weights=True
        self.scale = alpha / rank
        self.dropout = dropout
        self.lora_on = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(x, self.weight, self.bias)
        if not self.lora_on:
            return y
        # Dropout only where gradients flow: old-policy and reference log-probs stay deterministic.
        if self.dropout > 0 and self.training and torch.is_grad_enabled():
            x = F.dropout(x, self.dropout, training=True)
        t = F.linear(x, self.lora_A.to(x.dtype))
        return y + F.linear(t, self.lora_B.to(x.dtype)) * self.scale


def lora_layers(model: nn.Module) -> dict[str, LoraLinear]:
    """The adapted layers by module name (model.layers.N.self_attn.q_proj…), in module order."""
    return {name: m for name, m in model.named_modules() if isinstance(m, LoraLinear)}


def check_settings(p: LoraParams) -> None:
    """BAD_CONFIG, one sentence, for settings no model takes (checked before the weights load)."""
    unknown = [t for t in p.targets if t not in TARGETS]
    if unknown:
        raise bad_config(f"lora target {unknown[0]!r} is not a linear layer of the decoder; pick from {', '.join(TARGETS)}.")
    if not p.targets:
        raise bad_config(f"lora.targets is empty; name at least one of {', '.join(TARGETS)}.")
    if p.rank < 0:
        raise bad_config(f"lora rank must be 0 (full fine-tuning) or positive, not {p.rank}.")


def check(model: Transformer, p: LoraParams) -> None:
    """BAD_CONFIG, one sentence, for settings this model cannot take."""
    check_settings(p)
    block = model.model.layers[0]
    for name in p.targets:
        lin = getattr(block.self_attn if name in GROUPS["qkv"][1] + GROUPS["o"][1] else block.mlp, name)
        width = min(lin.in_features, lin.out_features)
        if p.rank > width:
            raise bad_config(
                f"lora rank {p.rank} is larger than {name}'s width of {width} ({lin.in_features} in, {lin.out_features} out)."
            )


def attach(model: Transformer, p: LoraParams) -> int:
    """Freezes the base weights and adds adapters on `p.targets` of every layer; returns the number of
    trainable parameters. Draws A from torch's global generator (seeded by load)."""
    check(model, p)
    model.requires_grad_(False)
    for block in model.model.layers:
        for part in (block.self_attn, block.mlp):
            for name in TARGETS:
                base = getattr(part, name, None)
                if name in p.targets and isinstance(base, nn.Linear) and not isinstance(base, LoraLinear):
                    setattr(part, name, LoraLinear(base, p.rank, p.alpha, p.dropout))
    return sum(t.numel() for t in model.parameters() if t.requires_grad)


def active(p: LoraParams | None) -> bool:
    """Whether load asked for adapters (rank 0, like no lora object, is full fine-tuning)."""
    return p is not None and p.rank != 0


@contextlib.contextmanager
def adapters_disabled(model: nn.Module | None) -> Iterator[None]:
    """The base model for the duration (the KL reference of a LoRA run); a no-op without adapters."""
    layers = list(lora_layers(model).values()) if model is not None else []
    for m in layers:
        m.lora_on = False
    try:
        yield
    finally:
        for m in layers:
            m.lora_on = True


@torch.no_grad()
def merged_state_dict(model: Transformer) -> dict[str, torch.Tensor]:
    """The model's state under Hugging Face names with every adapter merged into its weight
    (W + scale B A, summed in fp32, stored in the weight's dtype); the model's own state_dict when it
    has none. Merged weights go to host memory one by one: a 7B model's would not fit beside
    training on its card."""
    state = {k: v.detach() for k, v in model.state_dict().items() if not k.endswith((".lora_A", ".lora_B"))}
    for name, m in lora_layers(model).items():
        w = m.weight
        state[f"{name}.weight"] = torch.addmm(w.float(), m.lora_B, m.lora_A, alpha=m.scale).to(w.dtype).cpu()
    return state


# -- the engine state and PEFT files ----------------------------------------------------------------


def settings(p: LoraParams) -> dict[str, Any]:
    """What a resumed run must match (dropout may change between runs)."""
    return {"rank": p.rank, "alpha": p.alpha, "targets": sorted(p.targets)}


def describe(s: dict[str, Any] | None) -> str:
    if s is None:
        return "full fine-tuning (no lora)"
    targets = "all-linear" if set(s["targets"]) == set(TARGETS) else ",".join(s["targets"])
    return f"lora rank {s['rank']}, alpha {s['alpha']:g}, targets {targets}"


def check_resume(saved: dict[str, Any] | None, p: LoraParams | None) -> None:
    """Refuses, in one sentence naming both, a resume whose adapters would not fit the saved ones."""
    wanted = settings(p) if p is not None and active(p) else None
    have = {k: saved[k] for k in ("rank", "alpha", "targets")} if saved else None
    if have != wanted:
        raise bad_config(
            f"resume_state was saved with {describe(have)} but this run asks for {describe(wanted)}; "
            "resume with the saved settings."
        )


def base_source(saved: dict[str, Any] | None, model: str, revision: str | None) -> dict[str, Any]:
    """Where the base weights come from: load's model, or on resuming a LoRA run the base it was
    started from (the checkpoint folder holds merged weights, which are not the base)."""
    base = ((saved or {}).get("lora") or {}).get("base")
    return dict(base) if base else {"model": model, "revision": revision}


@contextlib.contextmanager
def loading_base(saved: dict[str, Any] | None) -> Iterator[None]:
    """On resuming a LoRA run, an error loading the model says it is the run's base model (the one in
    `resume_state`, not load's `model`) that failed."""
    if not (saved or {}).get("lora"):
        yield
        return
    try:
        yield
    except EngineError as e:
        message = f"resuming this LoRA run loads its base model again, which failed: {e.message}"
        raise EngineError(e.code, message, e.reason) from None


def state(model: Transformer, p: LoraParams, base: dict[str, Any]) -> dict[str, Any]:
    """The engine state's lora entry: settings, the base model's source and the adapters (fp32)."""
    adapters = {f"{n}.{k}": getattr(m, k).detach() for n, m in lora_layers(model).items() for k in ("lora_A", "lora_B")}
    return {**settings(p), "dropout": p.dropout, "base": base, "adapters": adapters}


def restore(model: Transformer, saved: dict[str, Any]) -> None:
    """Copies the saved adapters into the model's (names and shapes must match)."""
    adapters = saved.get("adapters") or {}
    layers = lora_layers(model)
    expected = {f"{n}.{k}" for n in layers for k in ("lora_A", "lora_B")}
    if set(adapters) != expected:
        raise bad_config("resume_state's adapters do not fit this model's layers.")
    with torch.no_grad():
        for key, t in adapters.items():
            name, attr = key.rsplit(".", 1)
            target = getattr(layers[name], attr)
            if target.shape != t.shape:
                raise bad_config(f"resume_state's adapter {key} has shape {tuple(t.shape)}, this run's {tuple(target.shape)}.")
            target.copy_(t)


def write_peft_adapter(model: Transformer, p: LoraParams, base_model: str, out: Path) -> list[str]:
    """The adapter in PEFT's layout under out/adapter/ (PeftModel.from_pretrained loads it onto the
    base model); returns the paths written, relative to `out`."""
    folder = out / ADAPTER_DIR
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {
        f"{PEFT_PREFIX}{n}.{k}.weight": getattr(m, k).detach().contiguous().cpu()
        for n, m in lora_layers(model).items()
        for k in ("lora_A", "lora_B")
    }
    config = {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "base_model_name_or_path": base_model,
        "r": p.rank,
        "lora_alpha": p.alpha,
        "lora_dropout": p.dropout,
        "target_modules": sorted(p.targets),
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "init_lora_weights": True,
        "use_rslora": False,
        "use_dora": False,
        "modules_to_save": None,
    }
    tmp = folder / "adapter_model.safetensors.tmp"
    save_file(tensors, str(tmp), metadata={"format": "pt"})
    os.replace(tmp, folder / "adapter_model.safetensors")
    tmp = folder / "adapter_config.json.tmp"
    tmp.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, folder / "adapter_config.json")
    return [f"{ADAPTER_DIR}/adapter_config.json", f"{ADAPTER_DIR}/adapter_model.safetensors"]


# -- the decode step's view of the adapters ---------------------------------------------------------


def decode_rows(m: nn.Linear) -> int:
    """The rows a projection adds to its decode GEMM (fused_weights.fused_projections): its A's."""
    return m.lora_A.shape[0] if isinstance(m, LoraLinear) else 0


@dataclass(frozen=True)
class GroupAdapter:
    """One decode GEMM's adapters: its A's are the GEMM's extra rows (so the GEMM gives t = x A^T
    beside the projections' outputs), its B's block-diagonal with the scale folded in, model dtype."""

    a: torch.Tensor  # [k r, in]: a view of the fused weight buffer's extra rows
    b: torch.Tensor  # [out of the whole GEMM, k r]: scale * B per projection, zeros elsewhere
    parts: tuple[tuple[LoraLinear, int, int], ...]  # (layer, first output row, first adapter column)

    def refresh(self) -> None:
        with torch.no_grad():
            for m, row, col in self.parts:
                r = m.lora_A.shape[0]
                self.a[col : col + r].copy_(m.lora_A)
                self.b[row : row + m.out_features, col : col + r].copy_(m.lora_B * m.scale)

    def add_(self, y: torch.Tensor) -> torch.Tensor:
        """The projections' outputs of the GEMM's output y [b, out + k r] with t B^T added in place
        (a row-strided view of y: one more GEMM, no copy)."""
        out = self.b.shape[0]
        return y[:, :out].addmm_(y[:, out:], self.b.t())


def _group(block: nn.Module, group: str, gemm: Gemm) -> GroupAdapter | None:
    part_name, names = GROUPS[group]
    part = getattr(block, part_name)
    parts, row, col = [], 0, 0
    for m in (getattr(part, n) for n in names):
        if isinstance(m, LoraLinear):
            parts.append((m, row, col))
            col += m.lora_A.shape[0]
        row += m.out_features
    if not parts:
        return None
    a = gemm.extra
    if a.shape[0] != col or row != gemm.out:
        raise ValueError(f"the decode GEMM {group} has {a.shape[0]} extra rows for {col} adapter rows")
    return GroupAdapter(a, torch.zeros(row, col, dtype=a.dtype, device=a.device), tuple(parts))


class DecodeAdapters:
    """Per layer, per decode GEMM (fused_weights.GROUPS), the adapters the decode step adds; None
    where a GEMM has none."""

    def __init__(self, model: Transformer, weights: list[LayerWeights]) -> None:
        blocks = model.model.layers
        self.layers = [{g: _group(block, g, w[g]) for g in GROUPS} for block, w in zip(blocks, weights, strict=True)]
        self.refresh()

    @staticmethod
    def build(model: Transformer, weights: list[LayerWeights], old: DecodeAdapters | None) -> DecodeAdapters | None:
        """The model's adapters over the decode GEMMs `weights` (fused with decode_rows), reusing
        `old`'s buffers (captured graphs read them) when they still cover the same layers and rows;
        None when the model has no adapters."""
        layers = lora_layers(model)
        if not layers:
            return None
        if old is not None and old.covers(layers, weights):
            old.refresh()
            return old
        return DecodeAdapters(model, weights)

    def covers(self, layers: dict[str, LoraLinear], weights: list[LayerWeights]) -> bool:
        mine = {id(m) for groups in self.layers for g in groups.values() if g for m, _, _ in g.parts}
        rows = [
            g.a.data_ptr() == w[name].extra.data_ptr()
            for groups, w in zip(self.layers, weights, strict=True)
            for name, g in groups.items()
            if g is not None
        ]
        return mine == {id(m) for m in layers.values()} and all(rows)

    def refresh(self) -> None:
        for groups in self.layers:
            for g in groups.values():
                if g is not None:
                    g.refresh()

    def pointers(self) -> tuple[int, ...]:
        return tuple(t.data_ptr() for groups in self.layers for g in groups.values() if g for t in (g.a, g.b))

    def add_(self, y: torch.Tensor, layer: int, group: str) -> torch.Tensor:
        """GEMM `group`'s projections' outputs from its output y, adapters added (y itself without)."""
        g = self.layers[layer][group]
        return y if g is None else g.add_(y)
