"""Feasibility check of 1-shot GRPO on the tiny model, on CPU, in plain torch.

Self-contained on purpose (its own ~60-line Qwen2 forward with a KV cache, its own grader) so
it can run on a machine that has only torch, tokenizers, safetensors and jinja2, and so its
speed stands for "a simple KV-cached torch loop", which the product's engine resembles.

  python -m oneshot_tools.synthetic.feasibility --model examples/models/tiny-math \
      --bench examples/bench/synthetic.jsonl --example examples/equations.rlvr.md --out r.json

Greedy benchmark accuracy per sub-skill → N GRPO steps on ONE example (the prompt repeated
`copies` × `rollouts` times, temperature sampling, entropy bonus, fp32, AdamW) → greedy
accuracy again. `--zero-reward` gives the entropy-only control. The grader matches the last
`\\boxed{...}` exactly against the reference string; the product grades with its TypeScript
verifier, which accepts at least these exact matches.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import time
from pathlib import Path

# OpenMP threads that spin while waiting make torch 10-20x slower on a CPU shared with other
# processes (measured here: 2 threads, 32 rollouts, 69 s spinning vs 11 s passive). Must be
# set before torch loads its OpenMP runtime.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

from .chat import EOS_TOKEN, PAD_TOKEN, prompt_text  # noqa: E402

# ---------------------------------------------------------------- model


class TinyQwen2(torch.nn.Module):
    """Qwen2 decoder (GQA, RoPE, SwiGLU, RMSNorm, q/k/v bias, tied head) read from an HF folder."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        cfg = json.loads((folder / "config.json").read_text())
        self.n_layers, self.n_heads = cfg["num_hidden_layers"], cfg["num_attention_heads"]
        self.n_kv, self.eps = cfg["num_key_value_heads"], cfg["rms_norm_eps"]
        self.hd = cfg["hidden_size"] // self.n_heads
        w = load_file(str(folder / "model.safetensors"))
        self.params = torch.nn.ParameterDict({k.replace(".", "__"): torch.nn.Parameter(v.float()) for k, v in w.items()})
        theta = cfg.get("rope_theta") or cfg.get("rope_parameters", {}).get("rope_theta", 10000.0)
        inv = 1.0 / (theta ** (torch.arange(0, self.hd, 2).float() / self.hd))
        self.register_buffer("inv_freq", inv, persistent=False)

    def p(self, name: str) -> torch.Tensor:
        return self.params[name.replace(".", "__")]

    def _norm(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * w

    def _rope(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        x1, x2 = x[..., : self.hd // 2], x[..., self.hd // 2 :]
        return x * cos + torch.cat((-x2, x1), dim=-1) * sin

    def forward(self, ids: torch.Tensor, pos: torch.Tensor, mask: torch.Tensor,
                cache: list[torch.Tensor] | None = None, at: int = 0) -> torch.Tensor:
        """Logits for ids [B,T] at positions pos [B,T]; mask [B,1,T,S] says which keys each query sees.
        With a cache (k and v per layer, [B,kv,S,hd]) the new keys are written at `at`."""
        b, t = ids.shape
        freqs = pos.unsqueeze(-1).float() * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1).unsqueeze(1)
        cos, sin = emb.cos(), emb.sin()
        x = F.embedding(ids, self.p("model.embed_tokens.weight"))
        for i in range(self.n_layers):
            pre = f"model.layers.{i}."
            h = self._norm(x, self.p(pre + "input_layernorm.weight"))
            q = F.linear(h, self.p(pre + "self_attn.q_proj.weight"), self.p(pre + "self_attn.q_proj.bias"))
            k = F.linear(h, self.p(pre + "self_attn.k_proj.weight"), self.p(pre + "self_attn.k_proj.bias"))
            v = F.linear(h, self.p(pre + "self_attn.v_proj.weight"), self.p(pre + "self_attn.v_proj.bias"))
            q = self._rope(q.view(b, t, self.n_heads, self.hd).transpose(1, 2), cos, sin)
            k = self._rope(k.view(b, t, self.n_kv, self.hd).transpose(1, 2), cos, sin)
            v = v.view(b, t, self.n_kv, self.hd).transpose(1, 2)
            if cache is not None:
                cache[2 * i][:, :, at : at + t] = k
                cache[2 * i + 1][:, :, at : at + t] = v
                k, v = cache[2 * i][:, :, : at + t], cache[2 * i + 1][:, :, : at + t]
            rep = self.n_heads // self.n_kv
            k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            x = x + F.linear(a.transpose(1, 2).reshape(b, t, -1), self.p(pre + "self_attn.o_proj.weight"))
            h = self._norm(x, self.p(pre + "post_attention_layernorm.weight"))
            gate = F.linear(h, self.p(pre + "mlp.gate_proj.weight"))
            up = F.linear(h, self.p(pre + "mlp.up_proj.weight"))
            x = x + F.linear(F.silu(gate) * up, self.p(pre + "mlp.down_proj.weight"))
        x = self._norm(x, self.p("model.norm.weight"))
        return F.linear(x, self.p("model.embed_tokens.weight"))


@torch.inference_mode()
def generate(model: TinyQwen2, prompts: list[list[int]], max_new: int, temperature: float, eos: int, pad: int,
             gen: torch.Generator | None = None) -> list[list[int]]:
    """Left-padded batched decoding with a KV cache; temperature 0 is greedy. Returns new tokens, eos included."""
    b, plen = len(prompts), max(len(p) for p in prompts)
    ids = torch.full((b, plen), pad, dtype=torch.long)
    keys = torch.zeros(b, plen + max_new, dtype=torch.bool)
    for i, p in enumerate(prompts):
        ids[i, plen - len(p) :] = torch.tensor(p)
        keys[i, plen - len(p) : plen] = True
    pos = (keys[:, :plen].long().cumsum(1) - 1).clamp(min=0)
    cache = [torch.zeros(b, model.n_kv, plen + max_new, model.hd) for _ in range(2 * model.n_layers)]
    causal = torch.ones(plen, plen, dtype=torch.bool).tril()
    mask = (causal.unsqueeze(0) & keys[:, None, :plen]).unsqueeze(1)
    mask |= torch.eye(plen, dtype=torch.bool)  # padded queries must see something; their output is unused
    logits = model(ids, pos, mask, cache, 0)[:, -1]
    next_pos = pos[:, -1] + 1
    out = torch.zeros(b, max_new, dtype=torch.long)
    done = torch.zeros(b, dtype=torch.bool)
    steps = 0
    for s in range(max_new):
        if temperature > 0:
            probs = torch.softmax(logits / temperature, dim=-1)
            tok = torch.multinomial(probs, 1, generator=gen).squeeze(1)
        else:
            tok = logits.argmax(-1)
        tok = torch.where(done, torch.full_like(tok, pad), tok)
        out[:, s] = tok
        steps = s + 1
        done |= tok == eos
        if bool(done.all()) or s == max_new - 1:
            break
        keys[:, plen + s] = True
        mask = keys[:, None, None, : plen + s + 1]
        logits = model(tok[:, None], next_pos[:, None], mask, cache, plen + s)[:, -1]
        next_pos = next_pos + 1
    result = []
    for row in out[:, :steps].tolist():
        result.append(row[: row.index(eos) + 1] if eos in row else row)
    return result


# ---------------------------------------------------------------- grading


def last_boxed(text: str) -> str | None:
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    i, depth = start + len("\\boxed{"), 1
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j].strip()
    return None


def reward(text: str, answer: str) -> float:
    got = last_boxed(text)
    return 1.0 if got is not None and got.replace(" ", "") == answer.replace(" ", "") else 0.0


def read_example(path: Path) -> tuple[str, str]:
    """(problem, answer) of an .rlvr.md file (front matter with `answer:`, problem as the body)."""
    _, front, body = path.read_text().split("---\n", 2)
    m = re.search(r"^answer:\s*'(.*)'\s*$", front, re.M)
    if not m:
        raise ValueError(f"{path} has no quoted `answer:` in its front matter.")
    return body.strip(), m.group(1).replace("''", "'")


# ---------------------------------------------------------------- evaluation and training


def evaluate(model: TinyQwen2, tok: Tokenizer, bench: list[dict], max_new: int, temperature: float = 0.0,
             samples: int = 1, batch: int = 160, gen: torch.Generator | None = None) -> dict:
    eos, pad = tok.token_to_id(EOS_TOKEN), tok.token_to_id(PAD_TOKEN)
    model.eval()
    hits: dict[str, list[float]] = {}
    boxed = 0
    any_hit = [0.0] * len(bench)
    wrong: dict[str, list[dict]] = {}
    for _ in range(samples):
        for s in range(0, len(bench), batch):
            rows = bench[s : s + batch]
            prompts = [tok.encode(prompt_text(r["problem"]), add_special_tokens=False).ids for r in rows]
            outs = generate(model, prompts, max_new, temperature, eos, pad, gen)
            for k, (r, o) in enumerate(zip(rows, outs, strict=True)):
                text = tok.decode(o, skip_special_tokens=True)
                rw = reward(text, r["answer"])
                hits.setdefault(r["skill"], []).append(rw)
                boxed += last_boxed(text) is not None
                any_hit[s + k] = max(any_hit[s + k], rw)
                if not rw and len(wrong.setdefault(r["skill"], [])) < 2:
                    wrong[r["skill"]].append({"problem": r["problem"], "answer": r["answer"], "output": text})
    per_skill = {k: round(sum(v) / len(v), 4) for k, v in sorted(hits.items())}
    total = [x for v in hits.values() for x in v]
    res = {"acc": round(sum(total) / len(total), 4), "per_skill": per_skill, "boxed_rate": round(boxed / len(total), 4)}
    if samples > 1:
        res[f"pass@{samples}"] = round(sum(any_hit) / len(any_hit), 4)
    res["wrong_samples"] = wrong
    return res


def _brief(e: dict) -> dict:
    return {k: v for k, v in e.items() if k != "wrong_samples"}


def grpo_step(model: TinyQwen2, opt: torch.optim.Optimizer, prompt: list[int], answer: str, tok: Tokenizer,
              a: argparse.Namespace, gen: torch.Generator) -> dict:
    eos, pad = tok.token_to_id(EOS_TOKEN), tok.token_to_id(PAD_TOKEN)
    n = a.copies * a.rollouts
    t0 = time.time()
    model.eval()
    outs = generate(model, [prompt] * n, a.max_new, a.temperature, eos, pad, gen)
    t1 = time.time()
    texts = [tok.decode(o, skip_special_tokens=True) for o in outs]
    r = torch.tensor([reward(t, answer) for t in texts])
    train_r = torch.zeros_like(r) if a.zero_reward else r
    grouped = train_r.view(a.copies, a.rollouts)
    adv = ((grouped - grouped.mean(1, keepdim=True)) / (grouped.std(1, keepdim=True) + 1e-6)).view(-1)
    # One forward over prompt + response, right-padded; the shared prompt needs no padding.
    plen, rlen = len(prompt), max(len(o) for o in outs)
    ids = torch.full((n, plen + rlen), pad, dtype=torch.long)
    resp_mask = torch.zeros(n, rlen)
    for i, o in enumerate(outs):
        ids[i, :plen] = torch.tensor(prompt)
        ids[i, plen : plen + len(o)] = torch.tensor(o)
        resp_mask[i, : len(o)] = 1.0
    model.train()
    width = plen + rlen
    pos = torch.arange(width).expand(n, width)
    causal = torch.ones(width, width, dtype=torch.bool).tril()[None, None]
    logits = model(ids[:, :-1], pos[:, :-1], causal[:, :, :-1, :-1])[:, plen - 1 :] / a.temperature
    logp_all = torch.log_softmax(logits, dim=-1)
    logp = logp_all.gather(-1, ids[:, plen:, None]).squeeze(-1)
    entropy = -(logp_all.exp() * logp_all).sum(-1)
    ntok = resp_mask.sum()
    pg = -(adv[:, None] * logp * resp_mask).sum() / ntok
    ent = (entropy * resp_mask).sum() / ntok
    loss = pg - a.ent_coef * ent
    opt.zero_grad(set_to_none=True)
    loss.backward()
    gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return {"reward": round(r.mean().item(), 4), "entropy": round(ent.item(), 4), "grad_norm": round(gnorm.item(), 4),
            "resp_len": round(resp_mask.sum(1).mean().item(), 1),
            "boxed": round(sum(last_boxed(t) is not None for t in texts) / n, 4),
            "t_rollout": round(t1 - t0, 2), "t_train": round(time.time() - t1, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--bench", type=Path, required=True)
    ap.add_argument("--example", type=Path, required=True, help="an .rlvr.md file")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--rollouts", type=int, default=8)
    ap.add_argument("--copies", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--max-new", type=int, default=128)
    ap.add_argument("--ent-coef", type=float, default=0.001)
    ap.add_argument("--zero-reward", action="store_true", help="control: entropy bonus alone")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=0)
    ap.add_argument("--base-samples", type=int, default=0, help="also measure sampled accuracy and pass@k of the base")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    t_start = time.time()
    tok = Tokenizer.from_file(str(a.model / "tokenizer.json"))
    model = TinyQwen2(a.model)
    bench = [json.loads(line) for line in a.bench.read_text().splitlines() if line.strip()]
    problem, answer = read_example(a.example)
    if any(b["problem"] == problem for b in bench):
        raise SystemExit(f"{a.example} is in the benchmark; pick an example outside it.")
    prompt = tok.encode(prompt_text(problem), add_special_tokens=False).ids

    t0 = time.time()
    initial = evaluate(model, tok, bench, a.max_new)
    t_eval = time.time() - t0
    print(f"initial {_brief(initial)} ({t_eval:.1f}s)", flush=True)
    base_sampled = None
    if a.base_samples:
        base_sampled = evaluate(model, tok, bench, a.max_new, temperature=1.0, samples=a.base_samples, gen=gen)
        print(f"base sampled T=1 {_brief(base_sampled)}", flush=True)

    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.01, betas=(0.9, 0.999))
    log, evals = [], []
    t_train = time.time()
    for step in range(1, a.steps + 1):
        m = grpo_step(model, opt, prompt, answer, tok, a, gen)
        m["step"] = step
        log.append(m)
        print(json.dumps(m), flush=True)
        if a.eval_every and step % a.eval_every == 0 and step < a.steps:
            e = evaluate(model, tok, bench, a.max_new)
            evals.append({"step": step, **e})
            print(f"eval {step} {_brief(e)}", flush=True)
    train_s = time.time() - t_train
    t0 = time.time()
    final = evaluate(model, tok, bench, a.max_new)
    print(f"final {_brief(final)}", flush=True)
    result = {
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(a).items()},
        "example": {"problem": problem, "answer": answer},
        "hardware": f"{platform.machine()} CPU, {a.threads} threads, torch {torch.__version__}",
        "initial": initial, "base_sampled": base_sampled, "final": final,
        "lift": round(final["acc"] - initial["acc"], 4),
        "evals": evals, "steps": log,
        "time_s": {"eval_initial": round(t_eval, 1), "train": round(train_s, 1),
                   "eval_final": round(time.time() - t0, 1), "total": round(time.time() - t_start, 1)},
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"lift {result['lift']:+.3f}  time {result['time_s']}", flush=True)


if __name__ == "__main__":
    main()
