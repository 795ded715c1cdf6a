"""Chat templates render as transformers' apply_chat_template does; prompt tokens match its ids."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tokenizers import Tokenizer, processors

from oneshot_engine.tokenizer import TextTokenizer, format_prompt

transformers = pytest.importorskip("transformers")

LLAMA_LIKE = (
    "{{- bos_token }}"
    "{%- for message in messages %}"
    "{%- if message['role'] not in ['system', 'user', 'assistant'] %}{{ raise_exception('bad role') }}{% endif %}\n"
    "    {{- '<|im_start|>' + message['role'] + '\\n' + message['content'] | trim + '<|im_end|>\\n' }}\n"
    "{%- if loop.last and message['role'] == 'assistant' %}{% break %}{% endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
    "{{- '' if not tools else tools | tojson }}"
)
MESSAGES = [
    {"role": "system", "content": "Please reason step by step, and put your final answer within \\boxed{}."},
    {"role": "user", "content": "  What is $\\frac{1}{2} + \\frac{1}{3}$? Ünïcode too.  "},
]


@pytest.fixture()
def bos_dir(qwen2_dir: Path, tmp_path: Path) -> Path:
    """The tiny tokenizer with a BOS token, a post-processor that adds it, and a Llama-like template."""
    shutil.copy(qwen2_dir / "config.json", tmp_path / "config.json")
    tok = Tokenizer.from_file(str(qwen2_dir / "tokenizer.json"))
    bos = tok.token_to_id("<|endoftext|>")
    tok.post_processor = processors.TemplateProcessing(single="<|endoftext|> $A", special_tokens=[("<|endoftext|>", bos)])
    tok.save(str(tmp_path / "tokenizer.json"))
    cfg = json.loads((qwen2_dir / "tokenizer_config.json").read_text())
    cfg.update(bos_token="<|endoftext|>", chat_template=LLAMA_LIKE)
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(cfg))
    return tmp_path


@pytest.mark.parametrize("which", ["qwen_like", "llama_like"])
def test_chat_template_matches_transformers(which, qwen2_dir, bos_dir):
    d = qwen2_dir if which == "qwen_like" else bos_dir
    ours = TextTokenizer(d)
    hf = transformers.AutoTokenizer.from_pretrained(d)
    for messages in (MESSAGES, MESSAGES[1:]):
        text = ours.render_chat(messages)
        assert text == hf.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        hf_ids = hf.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
        hf_ids = hf_ids["input_ids"] if isinstance(hf_ids, dict) or hasattr(hf_ids, "keys") else hf_ids
        assert ours.encode(text) == list(hf_ids)  # one BOS, not two


def test_template_errors_are_bad_config(bos_dir):
    from oneshot_engine.errors import BAD_CONFIG, EngineError

    with pytest.raises(EngineError) as e:
        TextTokenizer(bos_dir).render_chat([{"role": "tool", "content": "x"}])
    assert e.value.code == BAD_CONFIG and "bad role" in e.value.message


def test_explicit_template_and_plain_text(qwen2_dir):
    tok = TextTokenizer(qwen2_dir)
    text = format_prompt(tok, MESSAGES, "{system}\n\nProblem: {problem}\nAnswer:")
    assert text == f"{MESSAGES[0]['content']}\n\nProblem: {MESSAGES[1]['content']}\nAnswer:"
    tok.chat_template = None
    assert format_prompt(tok, MESSAGES, None) == MESSAGES[0]["content"] + "\n\n" + MESSAGES[1]["content"]


def test_eos_ids_come_from_generation_config_and_tokenizer(qwen2_dir):
    tok = TextTokenizer(qwen2_dir)
    assert tok.eos_ids == sorted({tok.tok.token_to_id("<|im_end|>"), tok.tok.token_to_id("<|endoftext|>")})


# Qwen2.5-Math's chat template, its tools branch cut short: without a system message it writes its
# own default system prompt, which is the paper's evaluation system prompt.
QWEN25_MATH = (
    "{%- if tools %}{{- '<|im_start|>system\\n' }}"
    "{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] }}"
    "{%- else %}{{- 'Please reason step by step, and put your final answer within \\\\boxed{}.' }}{%- endif %}"
    "{{- '<|im_end|>\\n' }}"
    "{%- else %}"
    "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}{{- '<|im_start|>system\\nPlease reason step by step, and put your final answer within \\\\boxed{}.<|im_end|>\\n' }}"
    "{%- endif %}{%- endif %}\n"
    "{%- for message in messages %}\n"
    '    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant") %}\n'
    "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n"
    "    {%- endif %}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}\n"
)
PAPER_SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."
PAPER_SUFFIX = " Let's think step by step and output the final answer within \\boxed{}."
PI1 = (
    "The pressure \\( P \\) exerted by wind on a sail varies jointly as the area \\( A \\) of the sail and the cube"
    " of the wind's velocity \\( V \\). When the velocity is \\( 8 \\) miles per hour, the pressure on a sail of"
    " \\( 2 \\) square feet is \\( 4 \\) pounds. Find the wind velocity when the pressure on \\( 4 \\) square feet"
    " of sail is \\( 32 \\) pounds."
)


@pytest.fixture()
def qwen_math_dir(qwen2_dir: Path, tmp_path: Path) -> Path:
    for f in ("config.json", "tokenizer.json"):
        shutil.copy(qwen2_dir / f, tmp_path / f)
    cfg = json.loads((qwen2_dir / "tokenizer_config.json").read_text())
    cfg["chat_template"] = QWEN25_MATH
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(cfg))
    return tmp_path


def test_paper_training_prompt_under_a_qwen25_math_template(qwen_math_dir):
    """The paper preset's training prompt (the controller sends the system prompt and problem +
    prompt_suffix) renders as verl rendered the paper's training file (a user turn alone, the
    template's default system prompt): the same text, and transformers agrees."""
    tok = TextTokenizer(qwen_math_dir)
    ours = [{"role": "system", "content": PAPER_SYSTEM}, {"role": "user", "content": PI1 + PAPER_SUFFIX}]
    verl = [{"role": "user", "content": PI1 + PAPER_SUFFIX}]
    expected = (
        f"<|im_start|>system\n{PAPER_SYSTEM}<|im_end|>\n"
        f"<|im_start|>user\n{PI1} Let's think step by step and output the final answer within \\boxed{{}}.<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert format_prompt(tok, ours, None) == expected
    assert format_prompt(tok, verl, None) == expected
    hf = transformers.AutoTokenizer.from_pretrained(qwen_math_dir)
    assert hf.apply_chat_template(verl, tokenize=False, add_generation_prompt=True) == expected
    # evaluation's prompt: the same system turn, the bare problem
    evaluation = format_prompt(tok, [{"role": "system", "content": PAPER_SYSTEM}, {"role": "user", "content": PI1}], None)
    assert evaluation == expected.replace(PAPER_SUFFIX, "")
