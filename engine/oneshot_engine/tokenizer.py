"""Tokenizer (tokenizers' tokenizer.json) and prompt formatting (the model's jinja2 chat template)."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from .errors import bad_config, invalid_params


def _token_text(value: Any) -> str | None:
    """tokenizer_config.json holds special tokens as strings or as AddedToken dicts."""
    if isinstance(value, dict):
        return value.get("content")
    return value if isinstance(value, str) else None


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise bad_config(f"{path} is not valid JSON: {e}.") from None


def _ids(value: Any) -> list[int]:
    if isinstance(value, int):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, int)]
    return []


class TextTokenizer:
    def __init__(self, model_dir: Path) -> None:
        from tokenizers import Tokenizer

        path = model_dir / "tokenizer.json"
        if not path.is_file():
            raise bad_config(
                f"{model_dir} has no tokenizer.json.",
                "no_tokenizer",
            )
        self.tok = Tokenizer.from_file(str(path))
        cfg = _read_json(model_dir / "tokenizer_config.json")
        self.special = {
            k: _token_text(cfg.get(k)) for k in ("bos_token", "eos_token", "pad_token", "unk_token")
        }
        self.chat_template = self._find_template(model_dir, cfg)
        self.bos_id = self._id(self.special["bos_token"])
        self.pad_id = self._id(self.special["pad_token"])
        eos: list[int] = []
        eos += _ids(_read_json(model_dir / "generation_config.json").get("eos_token_id"))
        eos += _ids(_read_json(model_dir / "config.json").get("eos_token_id"))
        eos_tok = self._id(self.special["eos_token"])
        if eos_tok is not None:
            eos.append(eos_tok)
        self.eos_ids = sorted(set(eos))

    def _id(self, text: str | None) -> int | None:
        return None if text is None else self.tok.token_to_id(text)

    @staticmethod
    def _find_template(model_dir: Path, cfg: dict[str, Any]) -> str | None:
        template = cfg.get("chat_template")
        if isinstance(template, list):  # named templates: use the default one
            named = {t.get("name"): t.get("template") for t in template if isinstance(t, dict)}
            template = named.get("default") or next(iter(named.values()), None)
        if template:
            return template
        jinja = model_dir / "chat_template.jinja"
        if jinja.is_file():
            return jinja.read_text(encoding="utf-8")
        return _read_json(model_dir / "chat_template.json").get("chat_template")

    @property
    def vocab_size(self) -> int:
        return self.tok.get_vocab_size()

    def encode(self, text: str) -> list[int]:
        ids = self.tok.encode(text, add_special_tokens=True).ids
        # A chat template that writes bos_token plus a post-processor that adds it gives two: keep one.
        if self.bos_id is not None and len(ids) > 1 and ids[0] == ids[1] == self.bos_id:
            ids = ids[1:]
        return ids

    @cached_property
    def max_token_chars(self) -> int:
        """Characters of the vocabulary's longest entry: no token covers more of a text (byte-level
        entries count bytes, which is at least the characters they stand for)."""
        return max((len(t) for t in self.tok.get_vocab(with_added_tokens=True)), default=1) or 1

    def encode_within(self, text: str, limit: int, what: str, limit_text: str) -> list[int]:
        """Token ids of `text`, refused (invalid params) when over `limit` tokens. Tokenising takes
        hundreds of bytes per character, so a text longer than `limit` tokens could cover is refused
        by its length alone."""
        if len(text) > limit * self.max_token_chars:
            raise invalid_params(
                f"{what} is too long for {limit_text}: {len(text):,} characters, more than {limit:,} tokens can hold."
            )
        ids = self.encode(text)
        if len(ids) > limit:
            raise invalid_params(f"{what} is too long for {limit_text}: {len(ids):,} tokens, at most {limit:,} fit.")
        return ids

    def decode(self, ids: list[int]) -> str:
        return self.tok.decode(ids, skip_special_tokens=True)

    def render_chat(self, messages: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        """Renders the chat template the way transformers' apply_chat_template does."""
        if not self.chat_template:
            raise bad_config("the model has no chat template.")
        import jinja2
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        def raise_exception(message: str) -> None:
            raise jinja2.exceptions.TemplateError(message)

        def tojson(
            x: Any, ensure_ascii: bool = False, indent: int | None = None, separators: Any = None, sort_keys: bool = False
        ) -> str:
            return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
        env.filters["tojson"] = tojson
        env.globals["raise_exception"] = raise_exception
        env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
        try:
            return env.from_string(self.chat_template).render(
                messages=messages,
                add_generation_prompt=add_generation_prompt,
                tools=None,
                documents=None,
                **{k: v for k, v in self.special.items() if v is not None},
            )
        except jinja2.exceptions.TemplateError as e:
            raise bad_config(f"the model's chat template failed: {e}.") from None


def format_prompt(tok: TextTokenizer, messages: list[dict[str, str]], template: str | None) -> str:
    """An explicit preset template, else the model's chat template, else the plain message texts."""
    if template is not None:
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        problem = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        # str.replace, not str.format: problems are LaTeX full of braces.
        return template.replace("{system}", system).replace("{problem}", problem)
    if tok.chat_template:
        return tok.render_chat(messages)
    return "\n\n".join(m["content"] for m in messages)
