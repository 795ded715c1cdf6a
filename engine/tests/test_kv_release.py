"""The trainer frees the rollout's decode cache when that saves enough recomputed layers (kv_release)."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from oneshot_engine import kv_release
from oneshot_engine.config import parse_config
from oneshot_engine.model import Transformer

# config.json values of Qwen/Qwen2.5-1.5B.
QWEN15B = {
    "model_type": "qwen2", "hidden_size": 1536, "intermediate_size": 8960, "num_hidden_layers": 28,
    "num_attention_heads": 12, "num_key_value_heads": 2, "vocab_size": 151936, "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-6, "tie_word_embeddings": True, "max_position_embeddings": 131072,
}


def meta_model(gradient_checkpointing: bool = False) -> Transformer:
    with torch.device("meta"):
        m = Transformer(parse_config(dict(QWEN15B)))
    m.gradient_checkpointing = gradient_checkpointing
    return m


class FakeRuntime:
    """What release_decoder_if_it_pays reads of a ModelRuntime, on a pretend GPU."""

    def __init__(self, model: Transformer, held: bool = True) -> None:
        self.model = model
        self.device = torch.device("cuda")
        t = torch.zeros(4, dtype=torch.bfloat16)
        self.decoder = SimpleNamespace(k=[t], v=[t], tok=t, pos=t, col=t, cols=t, pad_bias=t, out=t, noise=t) if held else None
        self.released = 0

    def release_decoder(self) -> None:
        self.decoder = None
        self.released += 1


# The paper step: 1,024 rows x (90 + 3,072) columns.
PAPER_TOKENS = 1024 * 3162


def test_a_qwen_1_5b_layer_multiplies_its_matmul_weights() -> None:
    # q 1536x1536, k and v 256x1536, o 1536x1536, gate and up 8960x1536, down 1536x8960.
    assert kv_release.layer_matmul_params(meta_model()) == 1536 * (1536 + 2 * 256 + 1536 + 3 * 8960)


def test_freed_when_the_layers_it_saves_outweigh_a_new_cache() -> None:
    rt = FakeRuntime(meta_model())
    # Held: 28 layers checkpointed; freed: 2. 26 layers x 2 x 46.8M x 3.2M tokens ~ 7.9e15 FLOPs.
    assert kv_release.release_decoder_if_it_pays(rt, PAPER_TOKENS, lambda extra: 2 if extra else 28)  # type: ignore[arg-type]
    assert rt.released == 1 and rt.decoder is None


def test_kept_when_nothing_or_too_little_is_saved() -> None:
    asked: list[int] = []

    def rule(extra: int) -> int:
        asked.append(extra)
        return 0

    rt = FakeRuntime(meta_model())
    # The micro-batch fits beside the cache: it is kept, and the rule is asked once.
    assert not kv_release.release_decoder_if_it_pays(rt, PAPER_TOKENS, rule)  # type: ignore[arg-type]
    assert asked == [0] and rt.released == 0
    # One layer saved over the `local` preset's 64 x 2,112 tokens: ~1.3e13 FLOPs, not worth new graphs.
    assert not kv_release.release_decoder_if_it_pays(rt, 64 * 2112, lambda extra: 3 if extra else 4)  # type: ignore[arg-type]
    # Blanket checkpointing (gradient_checkpointing true) is the user's choice: the cache stays.
    rt_all = FakeRuntime(meta_model(gradient_checkpointing=True))
    assert not kv_release.release_decoder_if_it_pays(rt_all, PAPER_TOKENS, lambda extra: 0 if extra else 28)  # type: ignore[arg-type]
    assert rt_all.released == 0


def test_the_rule_is_asked_with_the_runners_bytes() -> None:
    rt = FakeRuntime(meta_model())
    asked: list[int] = []
    kv_release.release_decoder_if_it_pays(rt, PAPER_TOKENS, lambda extra: asked.append(extra) or 28)  # type: ignore[arg-type, func-returns-value]
    assert asked == [0, 9 * 4 * 2]
    assert rt.released == 0  # 28 either way: nothing saved


def test_cpu_never_frees() -> None:
    rt = FakeRuntime(meta_model())
    rt.device = torch.device("cpu")
    assert not kv_release.release_decoder_if_it_pays(rt, PAPER_TOKENS, lambda extra: 0 if extra else 28)  # type: ignore[arg-type]


def test_a_runner_rebuilt_after_a_release_is_not_a_first_build() -> None:
    """The engine announces "compile" before the first fast generate after a load only: a runner
    rebuilt after the training pass freed the cache compiles nothing new."""
    from oneshot_engine.loading import build_model
    from oneshot_engine.runtime import ModelRuntime

    tiny = {**QWEN15B, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
            "num_key_value_heads": 2, "vocab_size": 128}  # fmt: skip
    rt = ModelRuntime(build_model(tiny, torch.float32, torch.device("cpu")))
    assert not rt.decoder_built
    rt.decode_runner(2, 16)
    assert rt.decoder_built and rt.decoder is not None
    rt.release_decoder()
    assert rt.decoder is None and rt.decoder_built
