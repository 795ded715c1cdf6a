"""The synthetic task family: splits, answer forms, solutions, chat template, tokenizer and model."""

import json
import random
import re
from fractions import Fraction
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from oneshot_tools.synthetic import build_assets
from oneshot_tools.synthetic.chat import CHAT_TEMPLATE, prompt_text, render
from oneshot_tools.synthetic.feasibility import last_boxed, read_example, reward
from oneshot_tools.synthetic.generator import (
    SKILLS,
    SYSTEM_PROMPT,
    boxed_solution,
    corpus,
    split_of,
    styled_solution,
    unique_problems,
)

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "examples" / "models" / "tiny-math"
BENCH = ROOT / "examples" / "bench" / "synthetic.jsonl"
ANSWER_FORM = re.compile(r"^(\d+|\d+\.\d*[1-9]|\\frac\{\d+\}\{\d+\})$")


def bench_rows():
    return [json.loads(line) for line in BENCH.read_text().splitlines()]


def test_shipped_benchmark_is_what_the_generator_makes():
    assert bench_rows() == build_assets.benchmark()


def test_benchmark_size_fields_and_answer_forms():
    rows = bench_rows()
    assert len(rows) >= 300
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["skill"] for r in rows} == set(SKILLS)
    for skill in SKILLS:
        assert sum(r["skill"] == skill for r in rows) >= 75
    for r in rows:
        assert set(r) == {"id", "problem", "answer", "skill"}
        assert ANSWER_FORM.match(r["answer"]), r["answer"]
        if r["answer"].startswith("\\frac"):
            num, den = map(int, re.findall(r"\d+", r["answer"]))
            assert Fraction(num, den).denominator == den > 1, "fractions are reduced and not integers"


def test_splits_are_disjoint_by_construction():
    bench = unique_problems(build_assets.BENCH_SEED, "bench", build_assets.BENCH_PER_SKILL)
    assert all(split_of(p.key) == "bench" for p in bench)
    examples = [p for ps in build_assets.example_candidates().values() for p in ps]
    assert all(split_of(p.key) == "example" for p in examples)
    gen = corpus(123)
    train_keys = {next(gen)[0].key for _ in range(3000)}
    assert all(split_of(k) == "train" for k in train_keys)
    assert not train_keys & {p.key for p in bench}
    assert not {p.key for p in examples} & {p.key for p in bench}


def test_shipped_examples_are_outside_the_benchmark_and_parse():
    problems = {r["problem"] for r in bench_rows()}
    for skill in SKILLS:
        path = ROOT / "examples" / f"{skill}.rlvr.md"
        problem, answer = read_example(path)
        assert problem not in problems
        assert ANSWER_FORM.match(answer)
        assert "preset: cpu-demo" in path.read_text()


def _value(answer: str) -> Fraction:
    m = re.fullmatch(r"\\frac\{(\d+)\}\{(\d+)\}", answer)
    return Fraction(int(m.group(1)), int(m.group(2))) if m else Fraction(answer)


def _check_math(key: str, answer: str) -> None:
    kind, *nums = key.split(":")
    q = _value(answer)
    if kind == "arith-bags":
        a, b, c = map(int, nums)
        assert q == a + b * c
    elif kind == "arith-give":
        a, b, c = map(int, nums)
        assert q == a - b + c
    elif kind == "arith-boxes":
        a, b, c = map(int, nums)
        assert q == b * c - a
    elif kind == "frac-add":
        assert q == Fraction(nums[0]) + Fraction(nums[1])
    elif kind == "frac-sub":
        assert q == Fraction(nums[0]) - Fraction(nums[1]) > 0
    elif kind == "frac-of":
        assert q == Fraction(nums[0]) * int(nums[1])
    elif kind in ("eq-plus", "eq-word"):
        a, b, c = map(int, nums)
        assert a * q + b == c
    elif kind == "eq-minus":
        a, b, c = map(int, nums)
        assert a * q - b == c
    elif kind == "eq-frac":
        a, c = map(int, nums)
        assert a * q == c
    elif kind in ("rate-speed", "rate-work"):
        d, t, t2 = map(int, nums)
        assert q == Fraction(d, t) * t2
    elif kind == "rate-price":
        n, total = map(int, nums)
        assert q == Fraction(total, n)
    else:
        raise AssertionError(f"unchecked template {kind}")


def test_answers_are_mathematically_right_and_the_grader_accepts_the_reference():
    for p in unique_problems(5, "train", 150):
        _check_math(p.key, p.answer)
        assert reward(boxed_solution(p), p.answer) == 1.0


def test_solution_styles_only_boxed_closes_score():
    r = random.Random(0)
    seen = set()
    for p in unique_problems(9, "train", 40):
        s = styled_solution(p, r)
        closes_boxed = s.endswith(f"\\boxed{{{p.answer}}}.")
        assert reward(s, p.answer) == float(closes_boxed)
        seen.add("boxed" if closes_boxed else "plain")
    assert seen == {"boxed", "plain"}


def test_last_boxed_handles_nesting_and_absence():
    assert last_boxed("a \\boxed{1} then \\boxed{\\frac{3}{4}}.") == "\\frac{3}{4}"
    assert last_boxed("The answer is 7.") is None
    assert last_boxed("\\boxed{\\frac{1}{2}") is None
    assert reward("\\boxed{ 7 }", "7") == 1.0
    assert reward("\\boxed{7.0}", "7") == 0.0


def test_chat_template_defaults_the_system_prompt_and_adds_the_generation_prompt():
    user = [{"role": "user", "content": "Q?"}]
    assert prompt_text("Q?") == (f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n"
                                 "<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n")
    explicit = [{"role": "system", "content": SYSTEM_PROMPT}, *user]
    assert render(explicit, add_generation_prompt=True) == prompt_text("Q?")
    assert render(user, add_generation_prompt=False).endswith("Q?<|im_end|>\n")


def test_shipped_tokenizer_round_trips_latex_and_keeps_specials_whole():
    tok = Tokenizer.from_file(str(MODEL / "tokenizer.json"))
    assert 300 <= tok.get_vocab_size() <= 2048
    for text in ["\\boxed{\\frac{26}{7}}", "x = 95 - 18 \\div 7", "$7x + 18 = 95$", "0.25 {}\\ ünï"]:
        assert tok.decode(tok.encode(text).ids, skip_special_tokens=False) == text
    ids = tok.encode(prompt_text("1 + 1?")).ids
    assert ids[0] == tok.token_to_id("<|im_start|>")
    assert tok.encode("12").tokens == ["1", "2"], "digits are single tokens"
    config = json.loads((MODEL / "tokenizer_config.json").read_text())
    assert config["eos_token"] == "<|im_end|>" and config["pad_token"] == "<|endoftext|>"
    assert config["chat_template"] == CHAT_TEMPLATE


def test_shipped_model_folder_is_a_small_qwen2():
    config = json.loads((MODEL / "config.json").read_text())
    assert config["model_type"] == "qwen2" and config["tie_word_embeddings"]
    assert config["eos_token_id"] == Tokenizer.from_file(str(MODEL / "tokenizer.json")).token_to_id("<|im_end|>")
    assert (MODEL / "model.safetensors").stat().st_size < 16 * 2**20
    assert (MODEL / "generation_config.json").exists()


def test_transformers_loads_the_shipped_model_and_agrees_with_the_feasibility_forward():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from oneshot_tools.synthetic.feasibility import TinyQwen2, generate

    hf_tok = transformers.AutoTokenizer.from_pretrained(MODEL)
    msgs = [{"role": "user", "content": "Solve for $x$: $3x + 4 = 19$."}]
    text = hf_tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False)
    assert text == prompt_text(msgs[0]["content"])
    hf = transformers.AutoModelForCausalLM.from_pretrained(MODEL).eval()
    ours = TinyQwen2(MODEL).eval()
    ids = torch.tensor([Tokenizer.from_file(str(MODEL / "tokenizer.json")).encode(text).ids])
    assert hf_tok(text, add_special_tokens=False).input_ids == ids[0].tolist()
    n = ids.shape[1]
    with torch.no_grad():
        ref = hf(ids).logits
        got = ours(ids, torch.arange(n)[None], torch.ones(n, n, dtype=torch.bool).tril()[None, None])
    assert torch.allclose(ref, got, atol=1e-4)
    out = generate(ours, [ids[0].tolist()], 96, 0.0, hf_tok.eos_token_id, hf_tok.pad_token_id)[0]
    assert out[-1] == hf_tok.eos_token_id
    assert "\\div 3 = 5. The answer is" in hf_tok.decode(out)
