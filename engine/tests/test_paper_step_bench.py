"""bench/paper_step.py on the CPU at a tiny shape: every phase runs and the record has its parts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import paper_step  # noqa: E402


def test_kernel_classes() -> None:
    k = paper_step.kernel_class
    assert k("nvjet_tst_128x256_64x4_1x2_h_bz_coopA_TNT") == "gemm"
    assert k("pytorch_flash::flash_bwd_kernel<Flash_bwd_kernel_traits>") == "attention bwd"
    assert k("fmha_cutlassF_bf16_aligned_64x64_rf_sm80") == "attention fwd"
    assert k("fmha_cutlassB_bf16_aligned_64x64_k128_sm80") == "attention bwd"
    assert k("_attn_split_kernel") == "attention fwd"
    assert k("_bwd_kernel") == "logp kernel"
    assert k("void at::native::(anonymous namespace)::multi_tensor_apply_kernel<FusedAdam>") == "optimizer / foreach"
    assert k("Memcpy DtoD (Device -> Device)") == "memcpy"
    assert k("triton_per_fused__to_copy_add_mean_mul_pow_rsqrt_0") == "elementwise / norm"


def test_decode_floor_counts_weights_once_per_step_and_live_columns() -> None:
    import torch

    from oneshot_engine.loading import build_model

    model = build_model(dict(paper_step.SHAPES["tiny"]), torch.float32, torch.device("cpu"))
    w, kv = paper_step.weight_bytes(model), paper_step.kv_bytes_per_token(model)
    # 3 steps of 2 rows from column 10: 11 + 12 + 13 live columns per row.
    assert paper_step.decode_floor_s(model, 2, 10, 3, 1.0) == pytest.approx(3 * w + 2 * kv * 36)


def test_tiny_cpu_run_records_every_phase(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    cmd = [
        sys.executable, "bench/paper_step.py", "--shape", "tiny", "--device", "cpu", "--dtype", "float32",
        "--prompt-copies", "2", "--rollouts", "4", "--new-tokens", "20", "--prompt-len", "8", "--wave-rows", "4",
        "--train-micro-batches", "2", "--variants", "all:2,none:2,auto:4:free", "--decode-contexts", "8",
        "--decode-steps", "2", "--window", "16", "--out", str(out),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "engine")}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rec = json.loads(out.read_text())
    assert rec["bench"] == "paper_step" and rec["device"] == "cpu" and rec["command"].startswith("python3 bench/paper_step.py")
    r = rec["rollout"]
    assert (r["rows"], r["waves"], r["new_tokens"]) == (8, 2, 20)
    assert r["windows"]["wave"] == 1 and r["windows"]["windows"][-1]["steps"][1] == 20
    assert [c["context"] for c in rec["decode_contexts"]["by_context"]] == [8]
    assert rec["rollout_again"]["rows"] == 8 and rec["rollout_again"]["seconds"] > 0
    names = [t["variant"] for t in rec["train"]]
    assert names == ["all:2", "none:2", "auto:4:free"]
    assert [t["checkpointed_layers"] for t in rec["train"]] == [2, 0, 0]
    assert all(len(t["micro_batches"]) == 2 and t["train_phase_s"] > 0 for t in rec["train"])
    assert rec["train"][2]["decoder_held"] is False
    assert "by_class_ms" in rec["train_profile"] and "by_class_ms" in rec["decode_contexts"]["profile"]


def test_attention_sweep_runs_every_configuration_in_the_interpreter() -> None:
    """The sweep's block/split/warp/stage choices are all ones decode_attention accepts (under Triton's
    interpreter on the CPU: a subprocess, since the interpreter is chosen at the kernels' import)."""
    pytest.importorskip("triton")
    code = (
        "import sys, torch; sys.path.insert(0, 'bench'); import paper_step;"
        "from oneshot_engine.loading import build_model;"
        "m = build_model(dict(paper_step.SHAPES['tiny']), torch.float32, torch.device('cpu'));"
        "r = paper_step.attention_sweep(m, torch.device('cpu'), 2, [70], 1e9);"
        "bad = [x for x in r['results'] if 'error' in x];"
        "print(len(r['results']), bad); sys.exit(1 if bad or len(r['results']) != 17 else 0)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "engine"), "TRITON_INTERPRET": "1", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
