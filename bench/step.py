"""One RLVR step, ours vs TRL's GRPOTrainer (HF generate as its rollout backend), same process, same
GPU, same random weights, same shape: one shared prompt, --rollouts rollouts of --new-tokens tokens
(fixed length: EOS is not allowed to end a row early, the worst case of "up to"), rewards from a trivial
function, GRPO advantages, PPO-clip loss, one mini-batch, no KL term (no reference model), AdamW.

Ours: bf16 weights with fp32 master weights (the engine's default), decode through decode.py,
train_step through train.py, under a memory cap (--memory-cap-gb; layers are checkpointed only when
a micro-batch would not fit). TRL: the model in bf16 (its usual setup), same micro-batch size.

    python3 bench/step.py --out bench/results/step-<date>.json
    python3 bench/step.py --shape tiny --device cpu --dtype float32 --rollouts 8 --new-tokens 24 \
        --micro-batch-size 4 --out /tmp/s.json
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
import tempfile
import time
import traceback
from typing import Any

import torch
from common import (
    SHAPES,
    kernel_kind,
    matmul_params,
    measure_ceilings,
    model_arguments,
    record_header,
    sync,
    time_optimizer_steps,
    timed,
    twin_models,
    write_record,
)
from oneshot_engine.generate import SamplingParams, generate
from oneshot_engine.model import Transformer
from oneshot_engine.options import EngineOptions
from oneshot_engine.protocol import OptimizerParams, TrainStepParams
from oneshot_engine.runtime import ModelRuntime
from oneshot_engine.train import Trainer


def word_tokenizer(vocab: int) -> Any:
    """A word-level tokenizer with one word per model id ("t3" … "tN" after pad, EOS and unknown), so that
    any sampled id decodes and a prompt of k words is k tokens, for both engines."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = {"<pad>": 0, "<eos>": 1, "<unk>": 2} | {f"t{i}": i for i in range(3, vocab)}
    tok = Tokenizer(models.WordLevel(words, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")


class EngineTok:
    """The slice of TextTokenizer that generate() uses, over the word tokenizer."""

    def __init__(self, hf_tok: Any) -> None:
        self.hf = hf_tok
        self.pad_id = 0
        self.eos_ids: list[int] = []

    def decode(self, ids: list[int]) -> str:
        return self.hf.decode(ids)


def reward_fn(completions: list[str], **_: Any) -> list[float]:
    """Stands in for the verifier: varied rewards so advantages are not all zero."""
    return [float(len(c.split()) % 7 == 0 or hash(c) % 2 == 0) for c in completions]


def grpo_advantages(rewards: list[float], eps: float = 1e-6) -> list[float]:
    t = torch.tensor(rewards)
    return ((t - t.mean()) / (t.std() + eps)).tolist()


def train_flops(model: Transformer, rows: int, plen: int, resp: int) -> float:
    """Model FLOPs of one forward + backward (6 per parameter and token; attention's quadratic part;
    lm_head on response tokens only, as both trainers do). Recomputation is not counted."""
    cfg = model.cfg
    lm = model.lm_head.weight.numel()
    body = matmul_params(model) - lm
    seq = plen + resp
    attn = 3 * 4 * cfg.num_layers * cfg.num_heads * cfg.head_dim * seq * seq / 2  # causal half, fwd + bwd
    return rows * (6 * body * seq + 6 * lm * resp + attn)


def run_ours(args: argparse.Namespace, model: Transformer, tok: EngineTok, prompt: list[int], ceil: dict[str, float]) -> dict[str, Any]:
    device = next(model.parameters()).device
    if device.type == "cuda" and args.memory_cap_gb:
        total = torch.cuda.get_device_properties(device).total_memory
        torch.cuda.set_per_process_memory_fraction(min(1.0, args.memory_cap_gb * 1024**3 / total), device)
    # The engine's options as `serve` reads them, with the memory cap as the training memory budget.
    options = EngineOptions.from_env()
    if device.type == "cuda" and args.memory_cap_gb:
        options = dataclasses.replace(options, memory_limit_gb=float(args.memory_cap_gb))
    options.apply_torch_settings()
    runtime = ModelRuntime(model, options)
    model.requires_grad_(True)
    optimizer = OptimizerParams(
        lr=1e-6, weight_decay=0.01, adam_betas=(0.9, 0.999), adam_eps=1e-8, grad_clip=1.0, optimizer_state="fp32"
    )
    trainer = Trainer(model, optimizer, None, runtime)
    opt_time = time_optimizer_steps(trainer, device)
    lp = TrainStepParams(
        batch_id="",
        advantages=[],
        clip_ratio_low=0.2,
        clip_ratio_high=0.2,
        kl_coef=0.0,
        kl_type="low_var_kl",
        entropy_coef=0.0,
        loss_agg="token-mean",
        mini_batches=1,
        micro_batch_size=args.micro_batch_size,
    )
    steps = []
    for step in range(args.steps):
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        sp = SamplingParams(rollouts=args.rollouts, temperature=1.0, max_response_tokens=args.new_tokens, seed=step, ignore_eos=True)
        t_step = time.perf_counter()
        (rollouts, batch, _), gen_s = timed(lambda sp=sp: generate(model, tok, [prompt], sp, runtime=runtime), device)  # type: ignore[arg-type]
        t0 = time.perf_counter()
        adv = grpo_advantages(reward_fn([r.text for r in rollouts]))
        reward_s = time.perf_counter() - t0
        opt_time[0] = 0.0
        result, train_s = timed(lambda batch=batch, adv=adv: trainer.step(batch, dataclasses.replace(lp, advantages=adv)), device)
        step_s = time.perf_counter() - t_step
        flops = train_flops(model, batch.rows, batch.prompt_len, int(batch.resp_len.max()))
        s = {
            "step_s": round(step_s, 3),
            "rollout_s": round(gen_s, 3),
            "reward_s": round(reward_s, 4),
            "train_s": round(train_s, 3),
            "train_fwd_bwd_s": round(train_s - opt_time[0], 3),
            "optimizer_s": round(opt_time[0], 3),
            "train_mfu": round(flops / train_s / ceil["bf16_flops_per_s"], 4),
            "fwd_bwd_mfu": round(flops / (train_s - opt_time[0]) / ceil["bf16_flops_per_s"], 4),
            "checkpointed_layers": model.checkpoint_layers,
            "peak_mem_gb": round(torch.cuda.max_memory_allocated(device) / 1024**3, 2) if device.type == "cuda" else None,
            "grad_norm": round(result["grad_norm"], 4),
            "response_tokens": result["tokens"],
        }
        steps.append(s)
        print(f"ours step {step}: {s}", flush=True)
    if args.profile and device.type == "cuda":
        steps[-1]["profile"] = profile_train(trainer, batch, dataclasses.replace(lp, advantages=adv))
    runtime.release_decoder()
    if device.type == "cuda":
        torch.cuda.set_per_process_memory_fraction(1.0, device)
    return {"steps": steps, "micro_batch_size": args.micro_batch_size, "memory_cap_gb": args.memory_cap_gb}


def profile_train(trainer: Trainer, batch: Any, lp: TrainStepParams) -> dict[str, Any]:
    """Where one train step's time goes: GPU time per kernel group against the wall time (the
    difference is the GPU idling on the host), and the top kernels."""
    from torch.profiler import ProfilerActivity, profile

    torch.cuda.synchronize()
    t0 = time.perf_counter()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        trainer.step(batch, lp)
        torch.cuda.synchronize()
    wall_ms = (time.perf_counter() - t0) * 1e3
    groups: dict[str, list[float]] = {}
    rows = []
    for e in prof.key_averages():
        if e.device_time_total <= 0:
            continue
        g = groups.setdefault(kernel_kind(e.key), [0.0, 0.0])
        g[0] += e.device_time_total / 1e3
        g[1] += e.count
        rows.append({"name": e.key[:90], "ms": round(e.device_time_total / 1e3, 1), "calls": e.count})
    rows.sort(key=lambda r: -r["ms"])
    busy = sum(g[0] for g in groups.values())
    return {
        "wall_ms_profiled": round(wall_ms, 1),
        "kernel_ms": round(busy, 1),
        "by_kind_ms": {k: round(v[0], 1) for k, v in sorted(groups.items(), key=lambda kv: -kv[1][0])},
        "launches": int(sum(g[1] for g in groups.values())),
        "top_kernels": rows[:20],
    }


def run_trl(args: argparse.Namespace, hf: Any, hf_tok: Any, prompt_text: str, ceil: dict[str, float], ours: Transformer) -> dict[str, Any]:
    import pyarrow as pa
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    device = hf.device
    out_dir = tempfile.mkdtemp(prefix="trl-bench-")
    cfg = GRPOConfig(
        output_dir=out_dir,
        per_device_train_batch_size=args.micro_batch_size,
        gradient_accumulation_steps=args.rollouts // args.micro_batch_size,
        num_generations=args.rollouts,
        max_completion_length=args.new_tokens,
        temperature=1.0,
        top_p=1.0,
        top_k=0,
        beta=0.0,
        num_iterations=1,
        learning_rate=1e-6,
        weight_decay=0.01,
        max_grad_norm=1.0,
        bf16=device.type == "cuda",
        use_cpu=device.type == "cpu",
        max_steps=args.steps,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        disable_tqdm=True,
        seed=0,
        gradient_checkpointing=False,
        generation_kwargs={"min_new_tokens": args.new_tokens},
    )
    # A fixed fingerprint: hashing the table is not needed for one repeated prompt (and failed with some
    # pyarrow/dill versions).
    table = pa.table({"prompt": [prompt_text] * (args.steps * 2)})
    dataset = Dataset(table, fingerprint="oneshot-step-bench")
    trainer = GRPOTrainer(model=hf, reward_funcs=reward_fn, args=cfg, train_dataset=dataset, processing_class=hf_tok)
    times: dict[str, list[float]] = {"generate": [], "generate_and_score": [], "step": []}

    def wrap(name: str, key: str) -> None:
        inner = getattr(trainer, name)

        def timed_call(*a: Any, **k: Any) -> Any:
            sync(device)
            t0 = time.perf_counter()
            out = inner(*a, **k)
            sync(device)
            times[key].append(time.perf_counter() - t0)
            return out

        setattr(trainer, name, timed_call)

    wrap("_generate", "generate")
    wrap("_generate_and_score_completions", "generate_and_score")
    peaks: list[float] = []

    class StepTimer(TrainerCallback):
        def on_step_begin(self, *_: Any, **__: Any) -> None:
            sync(device)
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            self.t0 = time.perf_counter()

        def on_step_end(self, *_: Any, **__: Any) -> None:
            sync(device)
            times["step"].append(time.perf_counter() - self.t0)
            if device.type == "cuda":
                peaks.append(torch.cuda.max_memory_allocated(device) / 1024**3)

    trainer.add_callback(StepTimer())
    trainer.train()
    steps = []
    rows, plen = args.rollouts, args.prompt_len
    flops = train_flops(ours, rows, plen, args.new_tokens)
    for i, step_s in enumerate(times["step"]):
        gen = sum(times["generate"][i : i + 1])
        gas = sum(times["generate_and_score"][i : i + 1])
        train_s = step_s - gas
        steps.append(
            {
                "step_s": round(step_s, 3),
                "rollout_s": round(gen, 3),
                "score_and_logp_s": round(gas - gen, 3),
                "train_s": round(train_s, 3),
                "train_mfu": round(flops / train_s / ceil["bf16_flops_per_s"], 4),
                "peak_mem_gb": round(peaks[i], 2) if peaks else None,
            }
        )
        print(f"trl step {i}: {steps[-1]}", flush=True)
    import trl

    return {"steps": steps, "trl_version": trl.__version__, "micro_batch_size": args.micro_batch_size, "weights": "bf16 (no fp32 master)"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    model_arguments(ap)
    ap.add_argument("--rollouts", type=int, default=64)
    ap.add_argument("--prompt-len", type=int, default=128)
    ap.add_argument("--new-tokens", type=int, default=1024)
    ap.add_argument("--micro-batch-size", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--memory-cap-gb", type=float, default=40.0)
    ap.add_argument("--skip-trl", action="store_true")
    ap.add_argument("--trl-steps", type=int, default=2)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--commit", default=None)
    args = ap.parse_args()

    device, dtype = torch.device(args.device), getattr(torch, args.dtype)
    rec: dict[str, Any] = record_header("step", device, "python3 " + " ".join(sys.argv), args.commit)
    ours, hf = twin_models(args.shape, dtype, device)
    hf.to("cpu")  # off the GPU while ours runs, so ours' memory is its own
    ceil = measure_ceilings(device)
    hf_tok = word_tokenizer(ours.cfg.vocab_size)
    gen = torch.Generator().manual_seed(0)
    prompt = torch.randint(3, ours.cfg.vocab_size, (args.prompt_len,), generator=gen).tolist()
    prompt_text = " ".join(f"t{i}" for i in prompt)
    assert hf_tok(prompt_text)["input_ids"] == prompt
    rec.update(
        shape=args.shape, dtype=args.dtype, rollouts=args.rollouts, prompt_len=args.prompt_len,
        new_tokens=args.new_tokens, ceilings=ceil,
        train_flops=train_flops(ours, args.rollouts, args.prompt_len, args.new_tokens),
    )
    try:
        ours_res = run_ours(args, ours, EngineTok(hf_tok), prompt, ceil)
    except Exception as e:  # noqa: BLE001 - recorded: the run still measures TRL
        traceback.print_exc()
        rec["ours_error"] = f"{type(e).__name__}: {e}"
        ours_res = {"steps": []}
    rec["ours"] = ours_res
    if ours_res["steps"]:
        warm = ours_res["steps"][1:] or ours_res["steps"]
        best = min(warm, key=lambda s: s["step_s"])
        rec.update(
            ours_step_s=best["step_s"], train_mfu=best["train_mfu"],
            peak_mem_gb=max(s["peak_mem_gb"] or 0 for s in ours_res["steps"]),
        )
    del ours
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    if not args.skip_trl:
        try:
            hf.to(device)
            args.steps = args.trl_steps
            trl_res = run_trl(args, hf, hf_tok, prompt_text, ceil, _flops_model(args.shape, dtype))
            rec["trl"] = trl_res
            trl_warm = trl_res["steps"][1:] or trl_res["steps"]
            trl_best = min(trl_warm, key=lambda s: s["step_s"])
            rec.update(
                trl_step_s=trl_best["step_s"],
                speedup_vs_trl=round(trl_best["step_s"] / rec["ours_step_s"], 2) if "ours_step_s" in rec else None,
                trl_train_mfu=trl_best["train_mfu"],
                trl_peak_mem_gb=trl_best["peak_mem_gb"],
            )
        except Exception as e:  # noqa: BLE001 - recorded: the run still reports ours
            rec["trl_error"] = f"{type(e).__name__}: {e}"
            traceback.print_exc()
    write_record(args.out, rec)
    keys = ("ours_error", "ours_step_s", "trl_step_s", "speedup_vs_trl", "train_mfu", "trl_train_mfu", "peak_mem_gb", "trl_peak_mem_gb", "trl_error")
    print({k: rec.get(k) for k in keys})
    return 0


def _flops_model(shape: str, dtype: torch.dtype) -> Transformer:
    """A meta-device model of the shape, only for counting parameters."""
    from oneshot_engine.config import parse_config

    with torch.device("meta"):
        return Transformer(parse_config(dict(SHAPES[shape])))


if __name__ == "__main__":
    sys.exit(main())
