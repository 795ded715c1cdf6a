"""GPU smoke of the engine: a random-init model of a real shape, driven through the JSON-RPC server.

Writes a random checkpoint (default: Qwen/Qwen2.5-1.5B's shape, bf16) with a small trained tokenizer,
starts `python -m oneshot_engine serve`, then load → generate → train_step (× steps) → save, and
records times, tokens/s and peak memory as JSON.

    PYTHONPATH=engine python bench/engine_smoke.py --out bench/results/engine-smoke-<date>.json
    PYTHONPATH=engine python bench/engine_smoke.py --shape tiny --device cpu --out /tmp/smoke.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "engine"))
sys.path.insert(0, str(ROOT / "engine" / "tests"))

from common import SHAPES  # the model shapes every benchmark shares
from oneshot_tools.randmodel import write_random_checkpoint
from rpc_client import EngineProcess

PROBLEM = "A pipe fills $\\frac{2}{7}$ of a tank per hour. How many hours does it take to fill the tank?"
SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--shape", choices=sorted(SHAPES), default="qwen2.5-1.5b")
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--rollouts", type=int, default=64)
    ap.add_argument("--max-new-tokens", type=int, default=256)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--micro-batch-size", type=int, default=16)
    ap.add_argument("--gradient-checkpointing", action="store_true")
    ap.add_argument("--commit", default="unknown")
    ap.add_argument("--command", default=" ".join(sys.argv))
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="engine-smoke-"))
    t0 = time.perf_counter()
    write_random_checkpoint(work / "model", SHAPES[args.shape], dtype=args.dtype, device=args.device, seed=0)
    write_s = time.perf_counter() - t0
    print(f"random checkpoint written in {write_s:.1f}s", flush=True)

    engine = EngineProcess(env={"HF_HUB_OFFLINE": "1"})
    record: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": args.command,
        "commit": args.commit,
        "shape": args.shape,
        "config": SHAPES[args.shape],
        "dtype": args.dtype,
        "rollouts": args.rollouts,
        "max_new_tokens": args.max_new_tokens,
        "micro_batch_size": args.micro_batch_size,
        "gradient_checkpointing": args.gradient_checkpointing,
        "host": platform.node(),
        "checkpoint_write_s": round(write_s, 2),
    }
    try:
        hello = engine.result("hello")
        record["device"] = hello["device"]
        record["torch_version"] = hello["torch_version"]
        t0 = time.perf_counter()
        loaded = engine.result(
            "load",
            {
                "model": str(work / "model"),
                "dtype": args.dtype,
                "device": args.device,
                "seed": 0,
                "train": True,
                "optimizer": {"lr": 1e-6, "weight_decay": 0.01, "adam_betas": [0.9, 0.999], "adam_eps": 1e-8, "grad_clip": 1.0, "optimizer_state": "fp32"},
                "reference_model": True,
                "gradient_checkpointing": args.gradient_checkpointing,
            },
        )
        record["load_s"] = round(time.perf_counter() - t0, 2)
        record["params"] = loaded["params"]
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROBLEM}]
        prompt = engine.result("format_prompt", {"messages": messages})
        record["prompt_tokens"] = prompt["tokens"]
        iterations = []
        for step in range(args.steps):
            gen = engine.result(
                "generate",
                {
                    "prompts": [prompt["text"]],
                    "rollouts": args.rollouts,
                    "temperature": 0.6,
                    "top_p": 1.0,
                    "top_k": 0,
                    "max_response_tokens": args.max_new_tokens,
                    "stop": [],
                    "seed": step,
                    "keep_for_training": True,
                },
            )
            advantages = [(-1.0) ** i for i in range(args.rollouts)]
            train = engine.result(
                "train_step",
                {
                    "batch_id": gen["batch_id"],
                    "advantages": advantages,
                    "clip_ratio_low": 0.2,
                    "clip_ratio_high": 0.2,
                    "kl_coef": 0.001,
                    "kl_type": "low_var_kl",
                    "entropy_coef": 0.001,
                    "loss_agg": "token-mean",
                    "mini_batches": 1,
                    "micro_batch_size": args.micro_batch_size,
                },
            )
            it = {
                "generate_s": round(gen["time_s"], 3),
                "generated_tokens": gen["generated_tokens"],
                "generate_tokens_per_s": round(gen["tokens_per_s"], 1),
                "finish_reasons": sorted({o["finish_reason"] for o in gen["outputs"]}),
                **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in train.items()},
            }
            it["train_tokens_per_s"] = round(train["tokens"] / train["time_s"], 1)
            iterations.append(it)
            print(json.dumps(it), flush=True)
        record["iterations"] = iterations
        t0 = time.perf_counter()
        saved = engine.result("save", {"path": str(work / "ckpt"), "include_state": False})
        record["save_s"] = round(time.perf_counter() - t0, 2)
        record["saved_files"] = saved["files"]
        engine.result("shutdown")
    finally:
        record["engine_exit_code"] = engine.close()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
