"""Shared pieces of the rollout and step benchmarks: shapes, the twin models, device ceilings, records."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "engine"))

from oneshot_engine.loading import build_model
from oneshot_engine.model import Transformer

SHAPES: dict[str, dict[str, Any]] = {
    # config.json values of Qwen/Qwen2.5-1.5B.
    "qwen2.5-1.5b": {
        "model_type": "qwen2",
        "hidden_size": 1536,
        "intermediate_size": 8960,
        "num_hidden_layers": 28,
        "num_attention_heads": 12,
        "num_key_value_heads": 2,
        "vocab_size": 151936,
        "max_position_embeddings": 131072,
        "rope_theta": 1000000.0,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": True,
        "hidden_act": "silu",
        "use_sliding_window": False,
    },
    # config.json values of Qwen/Qwen2.5-0.5B.
    "qwen2.5-0.5b": {
        "model_type": "qwen2",
        "hidden_size": 896,
        "intermediate_size": 4864,
        "num_hidden_layers": 24,
        "num_attention_heads": 14,
        "num_key_value_heads": 2,
        "vocab_size": 151936,
        "max_position_embeddings": 32768,
        "rope_theta": 1000000.0,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": True,
        "hidden_act": "silu",
        "use_sliding_window": False,
    },
    # config.json values of Qwen/Qwen2.5-7B.
    "qwen2.5-7b": {
        "model_type": "qwen2",
        "hidden_size": 3584,
        "intermediate_size": 18944,
        "num_hidden_layers": 28,
        "num_attention_heads": 28,
        "num_key_value_heads": 4,
        "vocab_size": 152064,
        "max_position_embeddings": 131072,
        "rope_theta": 1000000.0,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": False,
        "hidden_act": "silu",
        "use_sliding_window": False,
    },
    "tiny": {
        "model_type": "qwen2",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "vocab_size": 512,
        "max_position_embeddings": 4096,
        "rope_theta": 10000.0,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": True,
        "hidden_act": "silu",
        "use_sliding_window": False,
    },
}


class BenchTokenizer:
    """What generate() needs of a tokenizer when only token ids matter: no EOS, pad 0, no text."""

    pad_id = 0
    eos_ids: ClassVar[list[int]] = []

    def decode(self, ids: list[int]) -> str:
        return ""


def twin_models(shape: str, dtype: torch.dtype, device: torch.device) -> tuple[Transformer, Any]:
    """Our model and a transformers Qwen2ForCausalLM (SDPA) holding the same random weights."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    cfg = dict(SHAPES[shape])
    torch.manual_seed(0)
    ours = build_model(cfg, dtype, device)
    with torch.no_grad():
        ours.init_weights()
    hf_cfg = Qwen2Config(**cfg, bos_token_id=None, eos_token_id=None, pad_token_id=0)
    hf_cfg._attn_implementation = "sdpa"
    with torch.device(device):
        hf = Qwen2ForCausalLM(hf_cfg).to(dtype)
    missing, unexpected = hf.load_state_dict(ours.state_dict(), strict=False)
    if unexpected or any("lm_head" not in k for k in missing):
        raise RuntimeError(f"weights do not line up: missing {missing}, unexpected {unexpected}")
    hf.tie_weights()
    hf.eval()
    hf.generation_config.eos_token_id = None
    hf.generation_config.pad_token_id = 0
    return ours, hf


def model_arguments(ap: Any) -> None:
    """The options every random-model bench takes: --out, --shape, --device, --dtype."""
    ap.add_argument("--out", required=True)
    ap.add_argument("--shape", default="qwen2.5-1.5b", choices=sorted(SHAPES))
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dtype", default="bfloat16")


def weight_bytes(model: torch.nn.Module) -> int:
    seen, total = set(), 0
    for p in model.parameters():
        if p.data_ptr() not in seen:
            seen.add(p.data_ptr())
            total += p.numel() * p.element_size()
    return total


def matmul_params(model: Transformer) -> int:
    """Parameters that take part in a matrix product per token (the embedding lookup does not; the tied
    lm_head does)."""
    return sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))


def measure_ceilings(device: torch.device) -> dict[str, float]:
    """Copy bandwidth (bytes read + written per second) and bf16 matmul rate, measured here and now."""
    if device.type != "cuda":
        return {"copy_bytes_per_s": 20e9, "bf16_flops_per_s": 1e11, "measured": False}
    n = 1 << 30  # 1 GiB per buffer, well past the L2
    copy_s = _copy_time(n, device)
    x = torch.randn(8192, 8192, dtype=torch.bfloat16, device=device)
    y = torch.randn(8192, 8192, dtype=torch.bfloat16, device=device)
    mm_s = cuda_median_s(lambda: x @ y, 20)
    return {"copy_bytes_per_s": 2 * n / copy_s, "bf16_flops_per_s": 2 * 8192**3 / mm_s, "measured": True}


def _copy_time(n: int, device: torch.device) -> float:
    src = torch.randint(0, 255, (n,), dtype=torch.uint8, device=device)
    dst = torch.empty_like(src)
    return cuda_median_s(lambda: dst.copy_(src), 20)


def cuda_median_s(fn: Any, reps: int, warmup: int = 3) -> float:
    """Median seconds of `fn` on the GPU over `reps` calls (CUDA events), after `warmup` calls."""
    for _ in range(warmup):
        fn()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(reps):
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    return sorted(times)[len(times) // 2]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Any, device: torch.device) -> tuple[Any, float]:
    sync(device)
    t0 = time.perf_counter()
    out = fn()
    sync(device)
    return out, time.perf_counter() - t0


def time_optimizer_steps(trainer: Any, device: torch.device) -> list[float]:
    """Wraps the trainer's optimizer step (clip + update) so its synchronised time adds up in the
    returned one-element list (the caller may reset it)."""
    total = [0.0]
    inner = trainer._optimizer_step

    def timed() -> float:
        sync(device)
        t0 = time.perf_counter()
        norm = inner()
        sync(device)
        total[0] += time.perf_counter() - t0
        return norm

    trainer._optimizer_step = timed
    return total


def device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def record_header(bench: str, device: torch.device, command: str, commit: str | None) -> dict[str, Any]:
    import transformers

    return {
        "bench": bench,
        "device": device_name(device),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": commit or git_commit(),
        "command": command,
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
    }


def write_record(path: str, record: dict[str, Any]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(record, indent=2) + "\n")


def kernel_kind(name: str) -> str:
    """A CUDA kernel's group in the profiles: matrix products, attention, generated fused kernels…"""
    name = name.lower()
    # Attention first: cuDNN's SDPA kernels also carry "sm90" and "wgmma" in their names.
    if any(k in name for k in ("fmha", "attention", "flash", "efficient", "sdpa", "_attn_")):
        return "attention"
    if any(k in name for k in ("gemm", "cutlass", "sm90", "xmma", "matmul", "nvjet")):
        return "gemm"
    if "low_rank" in name:
        return "lora (triton)"  # triton_lora.py's kernels
    if "triton" in name:
        return "fused (triton)"
    if "exponential" in name or "philox" in name:
        return "sampling noise"
    if "reduce" in name or "softmax" in name or "logsumexp" in name:
        return "reductions"
    if "elementwise" in name or "vectorized" in name or "copy" in name:
        return "elementwise"
    return "other"
