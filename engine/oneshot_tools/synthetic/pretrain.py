"""Pretrains the tiny Qwen2-architecture math model shipped in examples/models/tiny-math.

Dev-time script, run once on a GPU (it also runs, slowly, on CPU): it uses transformers'
Qwen2ForCausalLM so that the artifact is a standard Hugging Face directory; the product's
engine never imports this file.

  python -m oneshot_tools.synthetic.pretrain --tokenizer DIR --out DIR [--seed 0] [--minutes 4]

The corpus is chat-formatted (problem, styled solution) pairs from the train split, the loss
is on completion tokens only, and the learning-rate schedule follows elapsed wall time so the
run ends inside its budget on any hardware.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import multiprocessing as mp
import platform
import random
import shlex
import shutil
import sys
import time
from pathlib import Path

import torch
from tokenizers import Tokenizer

from .chat import EOS_TOKEN, PAD_TOKEN, completion_text, prompt_text
from .generator import STYLE_MIX, corpus

MODEL_SHAPE = {
    "hidden_size": 192,
    "intermediate_size": 576,
    "num_hidden_layers": 4,
    "num_attention_heads": 6,
    "num_key_value_heads": 2,
    "max_position_embeddings": 512,
    "rope_theta": 10000.0,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": True,
}
MAX_LEN = 448


def _texts(args: tuple[int, int]) -> list[tuple[str, str]]:
    seed, n = args
    return [(prompt_text(p.problem), completion_text(s)) for p, s in itertools.islice(corpus(seed), n)]


def build_corpus(tok: Tokenizer, seed: int, n: int, workers: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids [n, MAX_LEN] right-padded, and the index of each row's first completion token."""
    chunk = (n + workers - 1) // workers
    with mp.Pool(workers) as pool:
        parts = pool.map(_texts, [(seed * 1000 + i, chunk) for i in range(workers)])
    pairs = [pair for part in parts for pair in part][:n]
    prompts = tok.encode_batch([p for p, _ in pairs], add_special_tokens=False)
    completions = tok.encode_batch([c for _, c in pairs], add_special_tokens=False)
    pad = tok.token_to_id(PAD_TOKEN)
    ids = torch.full((n, MAX_LEN), pad, dtype=torch.int32)
    starts = torch.zeros(n, dtype=torch.int32)
    lengths = torch.zeros(n, dtype=torch.int32)
    for i, (p, c) in enumerate(zip(prompts, completions, strict=True)):
        row = (p.ids + c.ids)[:MAX_LEN]
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.int32)
        starts[i], lengths[i] = len(p.ids), len(row)
    return ids, torch.stack([starts, lengths], dim=1)


def length_bucketed_batches(spans: torch.Tensor, batch: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (less padding), in random order."""
    order = sorted(range(len(spans)), key=lambda i: (int(spans[i, 1]), rng.random()))
    batches = [order[i : i + batch] for i in range(0, len(order) - batch + 1, batch)]
    rng.shuffle(batches)
    return batches


def lr_at(frac: float, step: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tokenizer", type=Path, required=True, help="folder with tokenizer.json and tokenizer_config.json")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--minutes", type=float, default=4.0, help="wall-time budget of the training loop")
    ap.add_argument("--examples", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--max-steps", type=int, default=10**9)
    args = ap.parse_args()

    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    t_start = time.time()
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tok = Tokenizer.from_file(str(args.tokenizer / "tokenizer.json"))
    pad_id, eos_id = tok.token_to_id(PAD_TOKEN), tok.token_to_id(EOS_TOKEN)
    ids, spans = build_corpus(tok, args.seed, args.examples, workers=max(1, min(16, mp.cpu_count())))
    t_data = time.time() - t_start
    print(f"corpus: {len(ids)} examples, mean length {spans[:, 1].float().mean():.1f}, built in {t_data:.0f}s", flush=True)

    config = Qwen2Config(vocab_size=tok.get_vocab_size(), bos_token_id=None, eos_token_id=eos_id,
                         pad_token_id=pad_id, torch_dtype="float32", **MODEL_SHAPE)
    model = Qwen2ForCausalLM(config).to(dev)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params / 1e6:.2f}M parameters on {dev}", flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), fused=dev.type == "cuda")
    pos = torch.arange(MAX_LEN)
    budget = args.minutes * 60
    t_train, step, epoch, losses = time.time(), 0, 0, []
    done = False
    while not done:
        for batch in length_bucketed_batches(spans, args.batch, rng):
            frac = (time.time() - t_train) / budget
            if frac >= 1.0 or step >= args.max_steps:
                done = True
                break
            idx = torch.tensor(batch)
            width = int(spans[idx, 1].max())
            x = ids[idx, :width].long()
            start, length = spans[idx, 0:1].long(), spans[idx, 1:2].long()
            p = pos[:width].unsqueeze(0)
            labels = torch.where((p >= start) & (p < length), x, torch.full_like(x, -100))
            mask = (p < length).long()
            x, labels, mask = x.to(dev, non_blocking=True), labels.to(dev, non_blocking=True), mask.to(dev)
            for g in opt.param_groups:
                g["lr"] = lr_at(frac, step, args.lr, warmup=200)
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
                loss = model(input_ids=x, attention_mask=mask, labels=labels).loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            if step % 100 == 0:
                losses.append((step, round(loss.item(), 4)))
                print(f"step {step} epoch {epoch} loss {loss.item():.4f} lr {opt.param_groups[0]['lr']:.2e} "
                      f"t {time.time() - t_train:.0f}s", flush=True)
        epoch += 1
    train_s = time.time() - t_train

    args.out.mkdir(parents=True, exist_ok=True)
    model.eval()
    model.config.use_cache = True
    model.save_pretrained(args.out, safe_serialization=True)
    # transformers 5 writes rope_theta under rope_parameters; older loaders read the top-level key.
    cfg_path = args.out / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg.setdefault("rope_theta", MODEL_SHAPE["rope_theta"])
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n")
    GenerationConfig(eos_token_id=eos_id, pad_token_id=pad_id, bos_token_id=None, do_sample=False,
                     max_new_tokens=160).save_pretrained(args.out)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(args.tokenizer / name, args.out / name)
    hardware = torch.cuda.get_device_name(0) if dev.type == "cuda" else f"CPU ({platform.processor() or platform.machine()})"
    record = {
        "command": "python -m oneshot_tools.synthetic.pretrain " + shlex.join(sys.argv[1:]),
        "seed": args.seed,
        "hardware": hardware,
        "torch": torch.__version__,
        "parameters": n_params,
        "shape": MODEL_SHAPE,
        "vocab_size": tok.get_vocab_size(),
        "corpus_examples": len(ids),
        "style_mix": STYLE_MIX,
        "steps": step,
        "epochs_started": epoch,
        "batch": args.batch,
        "peak_lr": args.lr,
        "corpus_build_s": round(t_data, 1),
        "train_s": round(train_s, 1),
        "wall_s": round(time.time() - t_start, 1),
        "loss_curve": losses,
    }
    (args.out / "pretrain.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: v for k, v in record.items() if k != "loss_curve"}), flush=True)


if __name__ == "__main__":
    main()
