"""ONNX export of a checkpoint for inference without Python (onnxruntime-node in the editor and CLI).

The folder follows the layout Hugging Face's ONNX tooling and transformers.js load: config.json,
tokenizer files and generation_config.json at the top, the decoder in onnx/model.onnx (or
onnx/model_quantized.onnx for int8, onnx/model_q4.onnx for 4-bit weights). The decoder takes input_ids, attention_mask, position_ids and
past_key_values.{i}.key|value ([batch, kv_heads, past, head_dim]) and returns logits and
present.{i}.key|value (past and new keys concatenated). oneshot_export.json, written last, marks the
folder complete and records where it came from; the folder appears under its final name only once
everything is in it, so an interrupted export never leaves a folder that later loads.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .checkpoint import SIDE_FILES
from .config import parse_config
from .errors import BAD_CONFIG, EngineError, bad_config
from .hub import resolve_model_dir
from .loading import _weight_files, load_model, read_config
from .model import Transformer

MANIFEST = "oneshot_export.json"
FORMAT_VERSION = 1
OPSET = 17
# Peak memory of an export: Python, torch and ONNX Runtime themselves, plus a multiple of the fp32
# weights (the model and the serialised graph; int8's quantiser holds several copies more).
# Measured on a 0.5B-shaped model (peak_rss_mib): 0.45 GiB + 1.97x (fp32), 2.31x (q4), 4.13x (int8);
# these leave about 10% over that.
EXPORT_MEMORY_BASE = 0.5 * 2**30
EXPORT_MEMORY_FACTOR = {None: 2.2, "q4": 2.6, "int8": 4.5}
# ORT and the engine differ by float rounding only (different matmul and softmax kernels).
VERIFY_ATOL = 1e-3
QUANTIZE = ("int8", "q4")
MODEL_FILES = {None: "model.onnx", "int8": "model_quantized.onnx", "q4": "model_q4.onnx"}
# 4-bit blocks of 32 weights along the input dimension share one scale (ONNX Runtime's and
# onnxruntime-genai's default); a dimension that is not a multiple is zero-padded by the quantiser
# to whole blocks, which MatMulNBits ignores. Symmetric: no zero points to store.
Q4_BLOCK = 32

Progress = Callable[[str], None]


class _PretransposedLinear(nn.Module):
    """nn.Linear with its weight stored as [in, out]: the graph's MatMul then reads the initializer
    itself, where nn.Linear's [out, in] weight makes the exporter's constant folding write a
    transposed copy of every matrix (a second copy of the model in memory while exporting)."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.weight_t = nn.Parameter(linear.weight.detach().t().contiguous(), requires_grad=False)
        self.bias = None if linear.bias is None else nn.Parameter(linear.bias.detach(), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.matmul(x, self.weight_t)
        return y if self.bias is None else y + self.bias


def pretranspose_linears(model: nn.Module) -> None:
    """Swaps every nn.Linear of `model` for a _PretransposedLinear, one at a time (in place: the peak
    is one extra matrix)."""
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Linear):
                setattr(parent, name, _PretransposedLinear(child))
                del child


class OnnxDecoder(nn.Module):
    """The engine's Transformer with explicit past keys/values in and present keys/values out.

    The weights are the engine's own modules; only the attention wiring differs from model.py: the
    cache is concatenated instead of written in place (ONNX graphs have no mutable buffers), and the
    mask comes from attention_mask (1 = real token) combined with causality at an offset.
    """

    def __init__(self, model: Transformer) -> None:
        super().__init__()
        self.model = model
        self.cfg = model.cfg

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        position_ids: torch.Tensor,
        *past: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        cfg = self.cfg
        m = self.model
        x = m.model.embed_tokens(input_ids)
        cos, sin = m.rope(position_ids, x.dtype)
        t = input_ids.shape[1]
        total = attention_mask.shape[1]
        past_len = total - t
        # Query i (absolute position past_len + i) sees key j when j <= past_len + i and key j is real.
        q_pos = torch.arange(t, device=x.device).unsqueeze(1) + past_len
        k_pos = torch.arange(total, device=x.device).unsqueeze(0)
        allowed = (k_pos <= q_pos).unsqueeze(0) & attention_mask.bool().unsqueeze(1)
        # A finite minimum (not -inf): a fully masked padding row softmaxes to a uniform row, not NaN.
        bias = torch.zeros(allowed.shape, dtype=x.dtype, device=x.device).masked_fill(~allowed, torch.finfo(x.dtype).min)
        bias = bias.unsqueeze(1)
        group = cfg.num_heads // cfg.num_kv_heads
        scale = cfg.head_dim**-0.5
        presents: list[torch.Tensor] = []
        for i, layer in enumerate(m.model.layers):
            attn = layer.self_attn
            q, k, v = attn.project(layer.input_layernorm(x), cos, sin)
            b = q.shape[0]
            k = torch.cat((past[2 * i], k), dim=2)
            v = torch.cat((past[2 * i + 1], v), dim=2)
            presents += [k, v]
            if group > 1:
                k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
            scores = torch.matmul(q, k.transpose(2, 3)) * scale + bias
            y = torch.matmul(scores.softmax(-1), v)
            x = x + attn.o_proj(y.transpose(1, 2).reshape(b, t, cfg.num_heads * cfg.head_dim))
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        logits = m.lm_head(m.model.norm(x))
        return (logits, *presents)


def io_names(num_layers: int) -> tuple[list[str], list[str]]:
    past = [f"past_key_values.{i}.{kind}" for i in range(num_layers) for kind in ("key", "value")]
    present = [f"present.{i}.{kind}" for i in range(num_layers) for kind in ("key", "value")]
    return ["input_ids", "attention_mask", "position_ids", *past], ["logits", *present]


def weights_fingerprint(model_dir: Path) -> list[dict[str, Any]]:
    """Name, size and mtime of each weight file: a changed checkpoint makes a cached export stale. The
    nanosecond mtime is a string: JSON readers in JavaScript would round a 19-digit number."""
    out = []
    for f in _weight_files(model_dir):
        st = f.stat()
        out.append({"name": f.name, "size": st.st_size, "mtime_ns": str(st.st_mtime_ns)})
    return out


def available_memory_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (Linux); None where it cannot be read."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def peak_rss_mib() -> float | None:
    """This process's peak resident memory so far (what the export needed); None on Windows."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return round(peak / (2**20 if sys.platform == "darwin" else 1024), 1)


def param_count(raw: dict[str, Any]) -> int:
    """Parameters of a config's model, computed from its shape (before anything is loaded)."""
    cfg = parse_config(raw)
    h, kv = cfg.hidden_size, cfg.num_kv_heads * cfg.head_dim
    q = cfg.num_heads * cfg.head_dim
    attn = h * q + 2 * h * kv + q * h + (q + 2 * kv if cfg.qkv_bias else 0)
    mlp = 3 * h * cfg.intermediate_size
    per_layer = attn + mlp + 2 * h + (2 * cfg.head_dim if cfg.qk_norm else 0)
    embed = cfg.vocab_size * h
    return embed * (1 if cfg.tie_word_embeddings else 2) + cfg.num_layers * per_layer + h


def check_inputs(model_dir: Path, raw: dict[str, Any], quantize: str | None = None) -> None:
    """Refuses, in one sentence, what cannot be exported, before anything is loaded."""
    parse_config(raw)  # unsupported architectures raise bad_config here
    if not (model_dir / "tokenizer.json").is_file():
        raise bad_config(
            f"{model_dir} has no tokenizer.json, so the export could not be used to talk to the model.",
            "no_tokenizer",
        )
    need = int(EXPORT_MEMORY_BASE + param_count(raw) * 4 * EXPORT_MEMORY_FACTOR[quantize])
    free = available_memory_bytes()
    if free is not None and need > free:
        raise EngineError(
            BAD_CONFIG,
            f"exporting this model needs about {need / 2**30:.1f} GiB of memory but only {free / 2**30:.1f} GiB is free.",
            "not_enough_memory",
        )


def _export_graph(model: Transformer, path: Path) -> None:
    cfg = model.cfg
    pretranspose_linears(model)
    wrapper = OnnxDecoder(model).eval()
    inputs, outputs = io_names(cfg.num_layers)
    b, t, past = 1, 3, 2
    ids = torch.zeros((b, t), dtype=torch.long)
    mask = torch.ones((b, past + t), dtype=torch.long)
    pos = torch.arange(past, past + t).unsqueeze(0)
    kv = [torch.zeros((b, cfg.num_kv_heads, past, cfg.head_dim)) for _ in range(2 * cfg.num_layers)]
    axes: dict[str, dict[int, str]] = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for name in inputs[3:]:
        axes[name] = {0: "batch_size", 2: "past_sequence_length"}
    for name in outputs[1:]:
        axes[name] = {0: "batch_size", 2: "total_sequence_length"}
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter warns about its own deprecation and about traced shape arithmetic
        # (the past length), which dynamic_axes makes symbolic: neither is news to the user.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            (ids, mask, pos, *kv),
            str(path),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


# Protobuf caps one file at 2 GiB: below this the weights go inside the .onnx file (headroom for
# the graph itself), above it into <name>_data beside it.
SINGLE_FILE_BYTES = 1_800_000_000


def _size_with_data(path: Path) -> int:
    return sum(f.stat().st_size for f in path.parent.iterdir() if f.is_file())


def finalize(src: Path, dst: Path) -> None:
    """Writes `src` (whose folder may hold one external-data file per tensor, as the exporter writes
    graphs over 2 GB) as `dst`, plus `dst`_data holding every weight when too big for one file: the
    layout Hugging Face's ONNX exports use (model.onnx + model.onnx_data)."""
    import onnx

    if _size_with_data(src) < SINGLE_FILE_BYTES:
        onnx.save_model(onnx.load(str(src)), str(dst))
        return
    model = onnx.load(str(src), load_external_data=True)
    onnx.save_model(
        model, str(dst), save_as_external_data=True, all_tensors_to_one_file=True, location=dst.name + "_data", size_threshold=1024
    )


def quantize_int8(src: Path, dst: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(src), str(dst), weight_type=QuantType.QInt8, use_external_data_format=_size_with_data(src) >= SINGLE_FILE_BYTES
    )


def _constant_matmul_weights(graph: Any) -> list[tuple[str, list[int]]]:
    """(node name, weight shape) of each MatMul whose second input is a stored weight."""
    shapes = {t.name: list(t.dims) for t in graph.initializer}
    return [(n.name, shapes[n.input[1]]) for n in graph.node if n.op_type == "MatMul" and n.input[1] in shapes]


def quantize_q4(src: Path, dst: Path) -> None:
    """4-bit weight-only quantisation of every MatMul's weight (ONNX Runtime's MatMulNBitsQuantizer:
    MatMulNBits nodes, blocks of Q4_BLOCK along the input dimension, one scale each), and 8-bit of the
    embedding table (its Gather; at fp32 it would be most of a small model's file). Norms and
    attention stay fp32. Writes `dst` (plus `dst`_data when big); the steps between go beside `src`."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    model = onnx.load(str(src), load_external_data=True)
    before = _constant_matmul_weights(model.graph)
    # The quantiser logs every node at INFO through the root logger's handlers; its progress is ours.
    quiet = logging.getLogger("onnxruntime.quantization.matmul_nbits_quantizer")
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        quantizer = MatMulNBitsQuantizer(model, bits=4, block_size=Q4_BLOCK, is_symmetric=True)
        del model
        quantizer.process()
    finally:
        quiet.setLevel(level)
    q = quantizer.model.model
    left = _constant_matmul_weights(q.graph)
    if left or not before:
        what = (
            f"{len(left)} of this model's {len(before)} weight matrices (the first: {left[0][0]}'s, of shape {left[0][1]})"
            if left
            else "this model's weights (its graph has no matrix multiplication by a stored weight)"
        )
        raise EngineError(BAD_CONFIG, f"4-bit quantisation cannot handle {what}.", "not_quantisable")
    big = sum(len(t.raw_data) for t in q.graph.initializer) >= SINGLE_FILE_BYTES
    work = Path(tempfile.mkdtemp(prefix=".q4-", dir=src.parent))
    try:
        stage = work / "matmul.onnx"
        onnx.save_model(q, str(stage), save_as_external_data=big, all_tensors_to_one_file=True, location=stage.name + "_data")
        del q, quantizer
        gc.collect()
        (work / "gather").mkdir()
        embed = work / "gather" / "model.onnx"
        quantize_dynamic(str(stage), str(embed), weight_type=QuantType.QInt8, op_types_to_quantize=["Gather"], use_external_data_format=big)
        finalize(embed, dst)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_onnx(path: Path, ids: list[int], num_layers: int, num_kv_heads: int, head_dim: int) -> Any:
    """ORT logits of one unpadded prompt from an empty cache (the export's own check)."""
    import numpy as np
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    n = len(ids)
    feeds: dict[str, Any] = {
        "input_ids": np.array([ids], dtype=np.int64),
        "attention_mask": np.ones((1, n), dtype=np.int64),
        "position_ids": np.arange(n, dtype=np.int64)[None],
    }
    for name in io_names(num_layers)[0][3:]:
        feeds[name] = np.zeros((1, num_kv_heads, 0, head_dim), dtype=np.float32)
    return sess.run(["logits"], feeds)[0]


def _check_ids(cfg: Any) -> list[int]:
    return [i % cfg.vocab_size for i in (1, 17, 42, 5, 99, 7)]


def _reference_logits(model: Transformer) -> Any:
    """The engine's logits for the check's prompt, computed before the export so that the PyTorch
    model can be freed before ONNX Runtime loads the graph."""
    with torch.no_grad():
        return model(torch.tensor([_check_ids(model.cfg)])).float().numpy()


def _logit_diff(cfg: Any, ref: Any, path: Path) -> float:
    got = run_onnx(path, _check_ids(cfg), cfg.num_layers, cfg.num_kv_heads, cfg.head_dim)
    return float(abs(got - ref).max())


def _verify(cfg: Any, ref: Any, path: Path) -> float:
    diff = _logit_diff(cfg, ref, path)
    if not diff <= VERIFY_ATOL:
        raise EngineError(
            BAD_CONFIG,
            f"the exported model's logits differ from the engine's by {diff:.2g} (more than {VERIFY_ATOL}); the export was not kept.",
        )
    return diff


def _install(tmp: Path, out: Path) -> None:
    """Moves the finished folder to `out`, replacing an older export there."""
    old = None
    if out.exists():
        if not (out / MANIFEST).is_file() and any(out.iterdir()):
            raise bad_config(f"{out} exists and is not an ONNX export; choose another --out folder.")
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def export_onnx(
    model: str,
    out: Path,
    quantize: str | None = None,
    verify: bool = True,
    progress: Progress = lambda _: None,
) -> dict[str, Any]:
    """Exports `model` (a folder or a hub id) to `out`; returns the manifest written there."""
    if quantize not in (None, *QUANTIZE):
        raise bad_config(f"quantisation '{quantize}' is not supported (int8 or q4).")
    started = time.monotonic()
    model_dir = resolve_model_dir(model).resolve()
    raw = read_config(model_dir)
    check_inputs(model_dir, raw, quantize)
    progress("loading the checkpoint")
    net, raw = load_model(model_dir, torch.float32, torch.device("cpu"))
    net.eval()
    cfg = net.cfg
    params = sum(p.numel() for p in net.parameters())
    ref = _reference_logits(net) if verify else None
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    # mkdtemp makes the folder private; the export is an ordinary folder (umask applies).
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)
    try:
        (tmp / "onnx").mkdir()
        scratch = tmp / ".scratch"
        scratch.mkdir()
        fp32 = tmp / "onnx" / "model.onnx"
        progress("exporting the decoder graph")
        _export_graph(net, scratch / "model.onnx")
        # Everything after this reads the ONNX files; the PyTorch copy of the weights goes first.
        del net
        gc.collect()
        max_diff = quant_diff = None
        if quantize == "q4":
            # Straight from the exporter's files: no fp32 copy of the folder is written.
            if ref is not None:
                progress("checking ONNX Runtime's logits against the engine's")
                max_diff = _verify(cfg, ref, scratch / "model.onnx")
            progress("quantising the weights to 4 bits")
            quantize_q4(scratch / "model.onnx", tmp / "onnx" / MODEL_FILES["q4"])
            shutil.rmtree(scratch)
        else:
            finalize(scratch / "model.onnx", fp32)
            shutil.rmtree(scratch)
            if ref is not None:
                progress("checking ONNX Runtime's logits against the engine's")
                max_diff = _verify(cfg, ref, fp32)
        if quantize == "int8":
            progress("quantising the weights to int8")
            scratch.mkdir()
            quantize_int8(fp32, scratch / MODEL_FILES["int8"])
            finalize(scratch / MODEL_FILES["int8"], tmp / "onnx" / MODEL_FILES["int8"])
            shutil.rmtree(scratch)
            for f in (fp32, fp32.with_name(fp32.name + "_data")):
                f.unlink(missing_ok=True)
        model_file = f"onnx/{MODEL_FILES[quantize]}"
        if quantize is not None and ref is not None:
            # How far quantisation moved the logits (informative: no bound, a random model's are noise).
            quant_diff = _logit_diff(cfg, ref, tmp / model_file)
        for name in SIDE_FILES:
            if (model_dir / name).is_file():
                shutil.copyfile(model_dir / name, tmp / name)
        (tmp / "config.json").write_text(json.dumps(raw, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        manifest = {
            "format_version": FORMAT_VERSION,
            "source": str(model_dir),
            "source_weights": weights_fingerprint(model_dir),
            "model_file": model_file,
            "quantize": quantize,
            "opset": OPSET,
            "model_type": cfg.model_type,
            "num_layers": cfg.num_layers,
            "num_kv_heads": cfg.num_kv_heads,
            "head_dim": cfg.head_dim,
            "vocab_size": cfg.vocab_size,
            "params": params,
            "max_logit_diff": max_diff,
            "quantized_logit_diff": quant_diff,
            "bytes": sum(f.stat().st_size for f in tmp.rglob("*") if f.is_file()),
            "seconds": round(time.monotonic() - started, 2),
            "peak_rss_mib": peak_rss_mib(),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _install(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    progress("done")
    return manifest


def main(argv: list[str]) -> int:
    """`python -m oneshot_engine export-onnx`: progress lines on stderr, the manifest (or an error) as
    one JSON line on stdout."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m oneshot_engine export-onnx")
    parser.add_argument("model", help="model folder (Hugging Face layout) or hub id")
    parser.add_argument("--out", required=True, help="folder to write (replaced atomically)")
    parser.add_argument("--quantize", choices=list(QUANTIZE), default=None)
    parser.add_argument("--no-verify", action="store_true", help="skip the ONNX Runtime logits check")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))

    def progress(message: str) -> None:
        print(json.dumps({"progress": message}), file=sys.stderr, flush=True)

    try:
        manifest = export_onnx(args.model, Path(args.out), args.quantize, not args.no_verify, progress)
    except EngineError as e:
        # Facts only, as the engine's RPC errors: the controller words the advice (src/core/engine/errors.ts).
        print(json.dumps({"error": {"code": e.code, "message": e.message, "reason": e.reason}}), flush=True)
        return 1
    print(json.dumps({"result": manifest}), flush=True)
    return 0
