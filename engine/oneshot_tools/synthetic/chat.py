"""The chat format the tiny model is pretrained on and its tokenizer ships as `chat_template`.

The engine formats prompts with the model's own template, so pretraining must see exactly what
this template renders: a prompt is the templated problem with the generation prompt, a
completion is the solution followed by the end-of-turn token.
"""

from __future__ import annotations

import jinja2

from .generator import SYSTEM_PROMPT

BOS_FREE_SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
EOS_TOKEN = "<|im_end|>"
PAD_TOKEN = "<|endoftext|>"

# Qwen2-style turns; without a system message the default one is used, as in pretraining.
CHAT_TEMPLATE = (
    "{%- if messages and messages[0]['role'] == 'system' -%}"
    "{%- set system = messages[0]['content'] -%}{%- set turns = messages[1:] -%}"
    "{%- else -%}"
    "{%- set system = '" + SYSTEM_PROMPT.replace("\\", "\\\\") + "' -%}{%- set turns = messages -%}"
    "{%- endif -%}"
    "{{ '<|im_start|>system\\n' + system + '<|im_end|>\\n' }}"
    "{%- for m in turns -%}"
    "{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}"
)

_template = jinja2.Environment(trim_blocks=True, lstrip_blocks=True).from_string(CHAT_TEMPLATE)


def render(messages: list[dict[str, str]], add_generation_prompt: bool) -> str:
    return _template.render(messages=messages, add_generation_prompt=add_generation_prompt)


def prompt_text(problem: str) -> str:
    """The prompt the engine builds for a bare user turn."""
    return render([{"role": "user", "content": problem}], add_generation_prompt=True)


def completion_text(solution: str) -> str:
    return solution + EOS_TOKEN
