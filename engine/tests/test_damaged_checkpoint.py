"""A checkpoint folder with missing, truncated or corrupt files is error -32006 (BAD_CHECKPOINT) with one
sentence naming the folder and the damage, so the controller can fall back to an earlier checkpoint."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from rpc_client import EngineProcess
from test_server import load_params

from oneshot_engine import checkpoint, protocol
from oneshot_engine.engine import STATE_FILE, Engine
from oneshot_engine.errors import BAD_CHECKPOINT, EngineError


def _engine() -> Engine:
    return Engine(lambda method, params: None)


def _save(model_dir: Path, out: Path) -> Path:
    engine = _engine()
    engine.load(protocol.parse(protocol.LoadParams, load_params(model_dir)))
    engine.save(protocol.parse(protocol.SaveParams, {"path": str(out), "include_state": True}))
    return out


@pytest.fixture(scope="module")
def saved(qwen2_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _save(qwen2_dir, tmp_path_factory.mktemp("saved") / "step-1")


@pytest.fixture(scope="module")
def saved_sharded(qwen2_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(checkpoint, "MAX_SHARD_BYTES", 64 * 1024)
        return _save(qwen2_dir, tmp_path_factory.mktemp("sharded") / "step-1")


def _resume(folder: Path, **over: str) -> None:
    params = load_params(folder, resume_state=str(folder), **over)
    _engine().load(protocol.parse(protocol.LoadParams, params))


def _truncate(name: str, keep: float | int = 0.5) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: int(len(data) * keep) if isinstance(keep, float) else keep])

    return damage


def _scramble(name: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        data = bytearray((folder / name).read_bytes())
        for i in range(0, len(data), 97):
            data[i] ^= 0xFF
        (folder / name).write_bytes(bytes(data))

    return damage


def _delete(name: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).unlink()


CASES = {
    "weights truncated": (_truncate("model.safetensors"), "model.safetensors is truncated or corrupt (incomplete metadata"),
    "weights empty": (_truncate("model.safetensors", 0), "model.safetensors is truncated or corrupt (header too small)"),
    "weights corrupt": (_scramble("model.safetensors"), "model.safetensors is truncated or corrupt"),
    "weights deleted": (_delete("model.safetensors"), "the folder has no *.safetensors weights"),
    "config deleted": (_delete("config.json"), "the folder has no config.json"),
    "config truncated": (_truncate("config.json"), "config.json cannot be read"),
    "tokenizer deleted": (_delete("tokenizer.json"), "the folder has no tokenizer.json"),
    "state truncated": (_truncate(STATE_FILE), f"{STATE_FILE} is truncated or corrupt (it cannot be unpickled)"),
    "state empty": (_truncate(STATE_FILE, 0), f"{STATE_FILE} is truncated or corrupt"),
    "state corrupt": (_scramble(STATE_FILE), f"{STATE_FILE} is truncated or corrupt"),
    "state deleted": (_delete(STATE_FILE), f"{STATE_FILE} is missing"),
    "state incomplete": (lambda f: torch.save({"version": 1}, f / STATE_FILE), f"{STATE_FILE} is not a complete engine state"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_damaged_checkpoint_is_bad_checkpoint_naming_the_folder(saved, tmp_path, case):
    damage, what = CASES[case]
    folder = tmp_path / "step-1"
    shutil.copytree(saved, folder)
    _resume(folder)  # intact: loads
    damage(folder)
    with pytest.raises(EngineError) as e:
        _resume(folder)
    assert e.value.code == BAD_CHECKPOINT
    assert e.value.message.startswith(f"checkpoint {folder} is damaged: {what}"), e.value.message
    assert e.value.message.count(". ") == 0 and "weights_only" not in e.value.message


def test_a_missing_or_truncated_shard_of_a_sharded_checkpoint(saved_sharded, tmp_path):
    shards = sorted(p.name for p in saved_sharded.glob("model-*.safetensors"))
    assert len(shards) > 2
    for damage, what in (
        (_delete(shards[1]), f"{shards[1]}, listed in model.safetensors.index.json, is missing"),
        (_truncate(shards[2]), f"{shards[2]} is truncated or corrupt"),
        (_truncate("model.safetensors.index.json"), "model.safetensors.index.json cannot be read"),
    ):
        folder = tmp_path / what.split()[0].strip(",")
        shutil.copytree(saved_sharded, folder)
        damage(folder)
        with pytest.raises(EngineError) as e:
            _resume(folder)
        assert e.value.code == BAD_CHECKPOINT and e.value.message.startswith(f"checkpoint {folder} is damaged: {what}")


def test_a_missing_checkpoint_folder(tmp_path):
    with pytest.raises(EngineError) as e:
        _resume(tmp_path / "step-9")
    assert e.value.code == BAD_CHECKPOINT and e.value.message == f"checkpoint {tmp_path / 'step-9'} is damaged: the folder does not exist."


def test_the_error_over_json_rpc(saved, tmp_path):
    folder = tmp_path / "step-1"
    shutil.copytree(saved, folder)
    _scramble(STATE_FILE)(folder)
    proc = EngineProcess()
    try:
        error = proc.call("load", load_params(folder, resume_state=str(folder)), timeout_s=120)["error"]
    finally:
        proc.close()
    assert error["code"] == -32006
    assert error["message"] == f"checkpoint {folder} is damaged: {STATE_FILE} is truncated or corrupt (it cannot be unpickled)."
    assert error["data"] == {"exception": "EngineError"}  # advice is the controller's (src/core/engine/errors.ts)
