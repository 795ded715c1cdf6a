"""ONNX export: ONNX Runtime's logits match the engine's for every family, with and without a cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from oneshot_engine import export_onnx as ex
from oneshot_engine.errors import EngineError
from oneshot_engine.loading import load_model

ort = pytest.importorskip("onnxruntime")

# fp32 on both sides; only the kernels differ (matmul order, softmax), so differences are rounding.
ATOL = 1e-4
# int8 weights change the logits visibly; the greedy token of a random model may flip, so the
# check is only that the quantised graph runs with the same interface and stays close.
INT8_ATOL = 0.5


@pytest.fixture(scope="module")
def exports(family_dirs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for name, d in family_dirs.items():
        out[name] = tmp_path_factory.mktemp(f"onnx-{name}") / "export"
        ex.export_onnx(str(d), out[name])
    return out


def _feeds(cfg, ids: np.ndarray, mask: np.ndarray, pos: np.ndarray, past: list[np.ndarray] | None):
    feeds = {"input_ids": ids, "attention_mask": mask, "position_ids": pos}
    names = ex.io_names(cfg.num_layers)[0][3:]
    for i, name in enumerate(names):
        feeds[name] = (
            past[i] if past is not None else np.zeros((ids.shape[0], cfg.num_kv_heads, 0, cfg.head_dim), np.float32)
        )
    return feeds


@pytest.mark.parametrize("family", ["qwen2", "llama", "qwen3"])
def test_logits_match_with_and_without_past(family, family_dirs, exports):
    model, _ = load_model(family_dirs[family], torch.float32, torch.device("cpu"))
    cfg = model.cfg
    sess = ort.InferenceSession(str(exports[family] / "onnx" / "model.onnx"), providers=["CPUExecutionProvider"])
    ids = [3, 77, 12, 400, 9, 250, 31, 8]
    with torch.no_grad():
        ref = model(torch.tensor([ids])).numpy()
    n = len(ids)
    # Whole prompt from an empty cache.
    full = sess.run(None, _feeds(cfg, np.array([ids]), np.ones((1, n), np.int64), np.arange(n)[None], None))
    assert full[0].shape == (1, n, cfg.vocab_size)
    np.testing.assert_allclose(full[0], ref, atol=ATOL, rtol=0)
    assert full[1].shape == (1, cfg.num_kv_heads, n, cfg.head_dim)
    # First 5 tokens, then the last 3 on top of their cache (present.* fed back as past_key_values.*).
    k = 5
    first = sess.run(None, _feeds(cfg, np.array([ids[:k]]), np.ones((1, k), np.int64), np.arange(k)[None], None))
    rest = sess.run(
        None,
        _feeds(cfg, np.array([ids[k:]]), np.ones((1, n), np.int64), np.arange(k, n)[None], first[1:]),
    )
    np.testing.assert_allclose(rest[0], ref[:, k:], atol=ATOL, rtol=0)
    # One token at a time, as a decode loop runs it.
    past = first[1:]
    for j in range(k, n):
        step = sess.run(
            None, _feeds(cfg, np.array([[ids[j]]]), np.ones((1, j + 1), np.int64), np.array([[j]]), past)
        )
        np.testing.assert_allclose(step[0][:, 0], ref[:, j], atol=ATOL, rtol=0)
        past = step[1:]


def test_left_padding_is_masked(family_dirs, exports):
    model, _ = load_model(family_dirs["qwen3"], torch.float32, torch.device("cpu"))
    cfg = model.cfg
    sess = ort.InferenceSession(str(exports["qwen3"] / "onnx" / "model.onnx"), providers=["CPUExecutionProvider"])
    ids = [5, 6, 7, 8]
    with torch.no_grad():
        ref = model(torch.tensor([ids])).numpy()
    padded = np.array([[0, 0, *ids]])
    mask = np.array([[0, 0, 1, 1, 1, 1]])
    pos = np.array([[0, 0, 0, 1, 2, 3]])
    got = sess.run(["logits"], _feeds(cfg, padded, mask, pos, None))[0]
    np.testing.assert_allclose(got[:, 2:], ref, atol=ATOL, rtol=0)


def test_folder_layout_and_manifest(family_dirs, exports):
    out = exports["llama"]
    manifest = json.loads((out / ex.MANIFEST).read_text())
    assert manifest["model_file"] == "onnx/model.onnx"
    assert manifest["num_layers"] == 2 and manifest["head_dim"] == 16
    assert manifest["max_logit_diff"] < ex.VERIFY_ATOL
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        assert (out / name).is_file()
    sess = ort.InferenceSession(str(out / "onnx" / "model.onnx"), providers=["CPUExecutionProvider"])
    ins = [i.name for i in sess.get_inputs()]
    outs = [o.name for o in sess.get_outputs()]
    assert ins[:3] == ["input_ids", "attention_mask", "position_ids"]
    assert ins[3:5] == ["past_key_values.0.key", "past_key_values.0.value"]
    assert outs[:3] == ["logits", "present.0.key", "present.0.value"]
    # No leftovers of the temporary folder beside the export.
    assert [p.name for p in out.parent.iterdir()] == ["export"]


def test_int8_quantisation(family_dirs, tmp_path):
    out = tmp_path / "q"
    manifest = ex.export_onnx(str(family_dirs["qwen2"]), out, quantize="int8")
    assert manifest["model_file"] == "onnx/model_quantized.onnx"
    assert not (out / "onnx" / "model.onnx").exists()
    model, _ = load_model(family_dirs["qwen2"], torch.float32, torch.device("cpu"))
    ids = [4, 5, 6]
    with torch.no_grad():
        ref = model(torch.tensor([ids])).numpy()
    got = ex.run_onnx(out / manifest["model_file"], ids, 2, 2, 16)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, atol=INT8_ATOL, rtol=0)


def test_bad_inputs_are_one_sentence(family_dirs, tmp_path, monkeypatch):
    no_tok = tmp_path / "no-tok"
    shutil.copytree(family_dirs["qwen2"], no_tok)
    (no_tok / "tokenizer.json").unlink()
    with pytest.raises(EngineError, match="has no tokenizer.json"):
        ex.export_onnx(str(no_tok), tmp_path / "o1")
    gemma = tmp_path / "gemma"
    shutil.copytree(family_dirs["qwen2"], gemma)
    raw = json.loads((gemma / "config.json").read_text())
    (gemma / "config.json").write_text(json.dumps({**raw, "model_type": "gemma2"}))
    with pytest.raises(EngineError, match="model type 'gemma2' is not supported"):
        ex.export_onnx(str(gemma), tmp_path / "o2")
    monkeypatch.setattr(ex, "available_memory_bytes", lambda: 1024)
    with pytest.raises(EngineError, match=r"needs about .* GiB of memory but only"):
        ex.export_onnx(str(family_dirs["qwen2"]), tmp_path / "o3")
    assert not any(p.name.startswith(("o1", "o2", "o3", ".o")) for p in tmp_path.iterdir())


def test_interrupted_export_leaves_no_folder(family_dirs, tmp_path, monkeypatch):
    def boom(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(ex, "_verify", boom)
    with pytest.raises(KeyboardInterrupt):
        ex.export_onnx(str(family_dirs["qwen2"]), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_param_count_matches_the_model(family_dirs):
    for d in family_dirs.values():
        model, raw = load_model(d, torch.float32, torch.device("cpu"))
        assert ex.param_count(raw) == sum(p.numel() for p in model.parameters())


def test_big_models_keep_their_weights_in_one_data_file(family_dirs, tmp_path, monkeypatch):
    # The threshold of a >2 GB model, lowered so the tiny model takes the same path.
    monkeypatch.setattr(ex, "SINGLE_FILE_BYTES", 0)
    out = tmp_path / "big"
    ex.export_onnx(str(family_dirs["llama"]), out)
    assert sorted(p.name for p in (out / "onnx").iterdir()) == ["model.onnx", "model.onnx_data"]
    assert (out / "onnx" / "model.onnx").stat().st_size < 100_000, "the weights are in model.onnx_data"
    model, _ = load_model(family_dirs["llama"], torch.float32, torch.device("cpu"))
    ids = [4, 5, 6, 7]
    with torch.no_grad():
        ref = model(torch.tensor([ids])).numpy()
    np.testing.assert_allclose(ex.run_onnx(out / "onnx" / "model.onnx", ids, 2, 2, 16), ref, atol=ATOL, rtol=0)
    q = tmp_path / "big-q"
    ex.export_onnx(str(family_dirs["llama"]), q, quantize="int8")
    assert sorted(p.name for p in (q / "onnx").iterdir()) == ["model_quantized.onnx", "model_quantized.onnx_data"]
    assert ex.run_onnx(q / "onnx" / "model_quantized.onnx", ids, 2, 2, 16).shape == ref.shape


def test_export_of_a_missing_model_answers_facts_for_the_controller_to_word(tmp_path, capsys):
    assert ex.main([str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 1
    error = json.loads(capsys.readouterr().out)["error"]
    # The code and the case (reason); the advice is src/core/engine/errors.ts's, in settings' words.
    assert error == {"code": -32002, "message": error["message"], "reason": "not_a_model"}
    assert "neither a local directory nor a Hugging Face hub id" in error["message"]


def _q4_error(model_dir: Path, out: Path) -> tuple[float, dict]:
    """The q4 export's logit error relative to the engine's logits (RMS), and its manifest."""
    manifest = ex.export_onnx(str(model_dir), out, quantize="q4")
    model, _ = load_model(model_dir, torch.float32, torch.device("cpu"))
    cfg = model.cfg
    ids = [3, 77, 12, 400, 9, 250, 31, 8]
    with torch.no_grad():
        ref = model(torch.tensor([ids])).numpy()
    got = ex.run_onnx(out / manifest["model_file"], ids, cfg.num_layers, cfg.num_kv_heads, cfg.head_dim)
    return float(np.linalg.norm(got - ref) / np.linalg.norm(ref)), manifest


# 4-bit weights move a random model's logits by 10-18% (RMS, measured on these models); 2-bit
# weights, standing in for a broken quantisation, by 47-65%.
Q4_REL_TOL = 0.3


@pytest.mark.parametrize("family", ["qwen2", "llama", "qwen3"])
def test_q4_quantises_every_matrix(family, family_dirs, tmp_path):
    import onnx

    err, manifest = _q4_error(family_dirs[family], tmp_path / "q4")
    assert manifest["model_file"] == "onnx/model_q4.onnx" and manifest["quantize"] == "q4"
    assert sorted(p.name for p in (tmp_path / "q4" / "onnx").iterdir()) == ["model_q4.onnx"], "no fp32 graph left"
    assert manifest["max_logit_diff"] < ex.VERIFY_ATOL, "the fp32 graph was checked before quantising"
    assert manifest["quantized_logit_diff"] > manifest["max_logit_diff"]
    graph = onnx.load(str(tmp_path / "q4" / manifest["model_file"])).graph
    ops = [n.op_type for n in graph.node]
    # q, k, v, o, gate, up, down per layer, and the lm_head.
    assert ops.count("MatMulNBits") == 7 * manifest["num_layers"] + 1
    types = {t.name: t.data_type for t in graph.initializer}
    assert types.get("model.model.embed_tokens.weight_quantized") in (onnx.TensorProto.INT8, onnx.TensorProto.UINT8), "the embedding table is 8-bit"
    assert "model.model.embed_tokens.weight" not in types, "no fp32 embedding table left"
    assert ex._constant_matmul_weights(graph) == [], "no fp32 weight matrix left"
    assert err < Q4_REL_TOL
    # Smaller than the int8 export of the same model.
    q8 = ex.export_onnx(str(family_dirs[family]), tmp_path / "q8", quantize="int8")
    assert manifest["bytes"] < q8["bytes"]


def test_q4_pads_a_hidden_size_that_is_not_a_multiple_of_the_block(tmp_path):
    # hidden 40 and intermediate 72 are not multiples of Q4_BLOCK: the quantiser zero-pads each
    # weight's input dimension to whole blocks and MatMulNBits ignores the padding.
    from families import BASE

    from oneshot_tools.randmodel import write_random_checkpoint

    cfg = {**BASE, "model_type": "qwen2", "hidden_size": 40, "intermediate_size": 72, "tie_word_embeddings": True}
    assert cfg["hidden_size"] % ex.Q4_BLOCK and cfg["intermediate_size"] % ex.Q4_BLOCK
    write_random_checkpoint(tmp_path / "m", cfg, seed=2)
    err, _ = _q4_error(tmp_path / "m", tmp_path / "q4")
    assert err < Q4_REL_TOL


def test_q4_refuses_weights_it_cannot_quantise_in_one_sentence(tmp_path):
    # A batched weight ([2, K, N]) is one ONNX Runtime's 4-bit quantiser leaves in fp32: the export
    # says so instead of writing a "q4" folder that is not.
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.ones((2, 64, 8), np.float32), "W")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"], name="batched")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 8])],
        [w],
    )
    src = tmp_path / "m.onnx"
    onnx.save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", ex.OPSET)], ir_version=8), str(src))
    with pytest.raises(EngineError) as e:
        ex.quantize_q4(src, tmp_path / "q.onnx")
    assert e.value.reason == "not_quantisable"
    assert e.value.message == "4-bit quantisation cannot handle 1 of this model's 1 weight matrices (the first: batched's, of shape [2, 64, 8])."
    assert not (tmp_path / "q.onnx").exists()
