"""Checkpoints we write load unchanged in transformers, sharded or not, for every family."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from oneshot_engine import checkpoint
from oneshot_engine.checkpoint import save_checkpoint
from oneshot_engine.loading import load_model

transformers = pytest.importorskip("transformers")


def _ids(vocab: int) -> torch.Tensor:
    return torch.randint(0, vocab, (2, 24), generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("family", ["qwen2", "llama", "qwen3"])
def test_saved_checkpoint_loads_in_transformers(family, family_dirs, tmp_path):
    ours, raw = load_model(family_dirs[family], torch.float32, torch.device("cpu"))
    files = save_checkpoint(ours, raw, family_dirs[family], tmp_path)
    assert {"config.json", "model.safetensors", "tokenizer.json", "generation_config.json"} <= set(files)
    hf = transformers.AutoModelForCausalLM.from_pretrained(tmp_path, dtype=torch.float32).eval()
    ids = _ids(raw["vocab_size"])
    with torch.no_grad():
        torch.testing.assert_close(ours(ids), hf(ids).logits, atol=1e-4, rtol=1e-4)


def test_sharded_checkpoint_round_trip(family_dirs, tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint, "MAX_SHARD_BYTES", 64 * 1024)
    ours, raw = load_model(family_dirs["llama"], torch.bfloat16, torch.device("cpu"))
    files = save_checkpoint(ours, raw, family_dirs["llama"], tmp_path)
    shards = [f for f in files if f.endswith(".safetensors")]
    assert len(shards) > 2 and "model.safetensors.index.json" in files
    index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
    assert set(index["weight_map"].values()) == set(shards)
    assert json.loads((tmp_path / "config.json").read_text())["dtype"] == "bfloat16"
    again, _ = load_model(tmp_path, torch.bfloat16, torch.device("cpu"))
    for (name, a), b in zip(ours.state_dict().items(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    hf = transformers.AutoModelForCausalLM.from_pretrained(tmp_path, dtype=torch.bfloat16)
    assert torch.equal(hf.lm_head.weight, ours.lm_head.weight)


def test_missing_weights_and_files_are_reported(family_dirs, tmp_path):
    from oneshot_engine.errors import BAD_CONFIG, MODEL_NOT_FOUND, EngineError

    (tmp_path / "config.json").write_text((Path(family_dirs["qwen2"]) / "config.json").read_text())
    with pytest.raises(EngineError) as e:
        load_model(tmp_path, torch.float32, torch.device("cpu"))
    assert e.value.code == MODEL_NOT_FOUND and "safetensors" in e.value.message
    from safetensors.torch import save_file

    save_file({"model.norm.weight": torch.ones(64)}, str(tmp_path / "model.safetensors"))
    with pytest.raises(EngineError) as e:
        load_model(tmp_path, torch.float32, torch.device("cpu"))
    assert e.value.code == BAD_CONFIG and "lacks" in e.value.message
