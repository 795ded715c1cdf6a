"""Our decoder's logits against transformers' implementation, per family (fp32, CPU).

Tolerance: max |logit difference| < 1e-4 with logits of order 1 (random init std 0.2 below makes
logits that large, so the test is not trivially met by near-zero outputs).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from families import FAMILIES

from oneshot_engine.config import parse_config
from oneshot_engine.loading import load_model

transformers = pytest.importorskip("transformers")


def _hf_model(cfg: dict, seed: int) -> torch.nn.Module:
    config = transformers.AutoConfig.for_model(**cfg)
    torch.manual_seed(seed)
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.add_(torch.randn_like(p) * 0.1)  # norms not all ones, so a missed norm fails
            else:
                p.normal_(0, 0.2)
    return model.eval()


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_logits_match_transformers(family: str, tmp_path: Path):
    hf = _hf_model(FAMILIES[family], seed=3)
    hf.save_pretrained(tmp_path)
    ours, _ = load_model(tmp_path, torch.float32, torch.device("cpu"))
    ours.eval()
    ids = torch.randint(0, FAMILIES[family]["vocab_size"], (2, 40), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = hf(ids).logits
        got = ours(ids)
    assert expected.abs().max() > 1.0
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


def test_tied_embeddings_share_storage(family_dirs: dict[str, Path]):
    model, _ = load_model(family_dirs["qwen2"], torch.float32, torch.device("cpu"))
    assert model.lm_head.weight is model.model.embed_tokens.weight
    untied, _ = load_model(family_dirs["llama"], torch.float32, torch.device("cpu"))
    assert untied.lm_head.weight is not untied.model.embed_tokens.weight


def test_classic_hub_config_keys_parse():
    # The form hub checkpoints carry (rope_theta + rope_scaling with "type"), not transformers-5's.
    raw = {**FAMILIES["llama"], "rope_scaling": {**FAMILIES["llama"]["rope_scaling"]}, "torch_dtype": "bfloat16"}
    cfg = parse_config(raw)
    assert cfg.rope_type == "llama3" and cfg.rope_theta == 500000.0 and cfg.head_dim == 16
    assert parse_config(FAMILIES["qwen3"]).head_dim == 24
    assert parse_config(FAMILIES["qwen2"]).qkv_bias and not parse_config(FAMILIES["qwen2"]).o_bias


@pytest.mark.parametrize(
    "change, message",
    [
        ({"model_type": "gpt2"}, "not supported"),
        ({"rope_scaling": {"rope_type": "yarn", "factor": 4.0}}, "RoPE type 'yarn'"),
        ({"hidden_act": "gelu"}, "activation"),
    ],
)
def test_unsupported_configs_say_why(change: dict, message: str):
    from oneshot_engine.errors import BAD_CONFIG, EngineError

    with pytest.raises(EngineError) as e:
        parse_config({**FAMILIES["qwen2"], **change})
    assert e.value.code == BAD_CONFIG and message in e.value.message
