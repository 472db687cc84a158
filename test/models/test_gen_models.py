"""Tests for test/models/gen_models.py.

Runs the generator (as a CLI, in a subprocess) into a temporary directory for
two small models and checks the manifest and that onnxruntime reproduces the
saved reference outputs bit-exactly.

  ~/.cache/peft-mlir/venv/bin/python -m pytest test/models/test_gen_models.py
"""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnx.numpy_helper
import onnx.shape_inference
import onnxruntime  # noqa: F401  (scripts/setup installs it; a missing one is a failure, not a skip)
import pytest
import torch  # noqa: F401

HERE = Path(__file__).resolve().parent
GEN = HERE / "gen_models.py"
sys.path.insert(0, str(HERE))
import gen_models  # noqa: E402

MODELS = ["bert_opset14", "tiny_external"]


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    r = subprocess.run([sys.executable, str(GEN), "--out", str(d), "--only", *MODELS],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-4000:]
    return d


@pytest.fixture(scope="module")
def manifest(out_dir):
    return json.loads((out_dir / "manifest.json").read_text())


def test_list():
    r = subprocess.run([sys.executable, str(GEN), "--list"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr[-4000:]
    listed = [line.split()[0] for line in r.stdout.splitlines() if line.strip()]
    assert listed == list(gen_models.MODELS) + list(gen_models.VARIANTS)
    for name in ["llama_opset14", "llama_opset17", "llama_opset17_nofold", "gpt2_conv1d_opset14",
                 "gpt2_matmul_opset17", "bert_opset17", "minilm_opset14", "tiny_external"]:
        assert name in listed


def test_unknown_model_rejected(tmp_path):
    r = subprocess.run([sys.executable, str(GEN), "--out", str(tmp_path), "--only", "nope"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert not (tmp_path / "manifest.json").exists()


def test_manifest_lists_exactly_requested(manifest):
    assert [m["name"] for m in manifest["models"]] == MODELS
    assert manifest["skipped"] == {}


@pytest.mark.parametrize("name", MODELS)
def test_manifest_entry(out_dir, manifest, name):
    e = next(m for m in manifest["models"] if m["name"] == name)
    assert e["opset"] == 14 and e["do_constant_folding"] is True
    assert [i["name"] for i in e["inputs"]] == ["input_ids", "attention_mask", "token_type_ids"]
    for i in e["inputs"]:
        assert i["dtype"] == "int64"
        assert i["shape"] == ["batch", "sequence"]
    assert [o["name"] for o in e["outputs"]] == ["last_hidden_state"]
    assert e["outputs"][0]["dtype"] == "float32"
    assert e["outputs"][0]["shape"] == ["batch", "sequence", 32]
    assert e["op_histogram"]["MatMul"] > 0 and e["op_histogram"]["Erf"] == 2
    for f, info in e["files"].items():
        data = (out_dir / f).read_bytes()
        assert len(data) == info["bytes"]
        assert hashlib.sha256(data).hexdigest() == info["sha256"]
    if name == "tiny_external":
        assert e["external_data"] == "tiny_external.weights"
        proto = onnx.load(str(out_dir / e["file"]), load_external_data=False)
        assert proto.graph.initializer
        for init in proto.graph.initializer:
            assert init.data_location == onnx.TensorProto.EXTERNAL, init.name
            assert not init.raw_data
    else:
        assert e["external_data"] is None


@pytest.mark.parametrize("name", MODELS)
def test_onnxruntime_reproduces_reference(out_dir, manifest, name):
    e = next(m for m in manifest["models"] if m["name"] == name)
    path = out_dir / e["file"]
    onnx.checker.check_model(str(path))
    proto = onnx.load(str(path), load_external_data=False)
    assert [i.name for i in proto.graph.input] == [i["name"] for i in e["inputs"]]
    assert [o.name for o in proto.graph.output] == [o["name"] for o in e["outputs"]]

    feeds = gen_models.load_npz(out_dir / e["inputs_file"])
    expected = gen_models.load_npz(out_dir / e["outputs_file"])
    assert list(feeds) == [i["name"] for i in e["inputs"]]
    for i in e["inputs"]:
        assert str(feeds[i["name"]].dtype) == i["dtype"]
        assert list(feeds[i["name"]].shape) == i["reference_shape"]

    got = gen_models.ort_run(path, feeds)
    assert list(got) == list(expected)
    for k, v in expected.items():
        assert got[k].dtype == v.dtype and got[k].shape == v.shape, k
        assert np.all(np.isfinite(v)), k
        assert np.array_equal(got[k], v), (k, float(np.max(np.abs(got[k] - v))))


def test_external_matches_inline(out_dir):
    """tiny_external is bert_opset14 with external weights: identical results."""
    a = gen_models.load_npz(out_dir / "bert_opset14.outputs.npz")
    b = gen_models.load_npz(out_dir / "tiny_external.outputs.npz")
    assert np.array_equal(a["last_hidden_state"], b["last_hidden_state"])


# ----------------------------------------------------------------------------
# Half-precision variants
# ----------------------------------------------------------------------------

VARIANTS = ["bert_opset14_f16", "llama_opset14_bf16"]


@pytest.fixture(scope="module")
def variant_dir(tmp_path_factory):
    """The variants alone: their base models are exported to a temporary
    directory and dropped."""
    d = tmp_path_factory.mktemp("variants")
    r = subprocess.run([sys.executable, str(GEN), "--out", str(d), "--only", *VARIANTS],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-4000:]
    return d


@pytest.fixture(scope="module")
def variant_manifest(variant_dir):
    return json.loads((variant_dir / "manifest.json").read_text())


def test_variant_registry():
    for base, spec in gen_models.MODELS.items():
        for dtype in ("f16", "bf16"):
            name = f"{base}_{dtype}"
            # tiny_external is bert_opset14 with external weights.
            assert (name in gen_models.VARIANTS) == (not spec.external)
            if name in gen_models.VARIANTS:
                assert gen_models.VARIANTS[name] == gen_models.Variant(base, dtype)


def test_bf16_rounding():
    values = np.array([1.0, 1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, 1.0 + 2.0**-9 + 2.0**-20,
                       -2.5, np.finfo(np.float32).max], np.float32)
    # Nearest, ties to even: 1 + 2^-8 -> 1, 1 + 3·2^-8 -> 1 + 2^-6; beyond the
    # largest bf16 (f32 max) -> inf.
    expected = np.array([0x3F80, 0x3F80, 0x3F82, 0x3F80, 0xC020, 0x7F80], np.uint16)
    np.testing.assert_array_equal(gen_models.round_to_bf16_bits(values), expected)
    # Every finite bf16 value is a fixed point of the round trip.
    bits = np.arange(0, 0x7F80, 7, dtype=np.uint16)
    np.testing.assert_array_equal(
        gen_models.round_to_bf16_bits(gen_models.bf16_bits_to_f32(bits)), bits)
    np.testing.assert_array_equal(gen_models.round_to_half(values[:5], "bf16"),
                                  gen_models.bf16_bits_to_f32(expected[:5]))


def test_variant_manifest(variant_dir, variant_manifest):
    # In registry order.
    assert [m["name"] for m in variant_manifest["models"]] == \
        sorted(VARIANTS, key=list(gen_models.VARIANTS).index)
    assert variant_manifest["skipped"] == {}
    for e in variant_manifest["models"]:
        var = gen_models.VARIANTS[e["name"]]
        assert (e["base"], e["dtype"]) == (var.base, var.dtype)
        for f, info in e["files"].items():
            data = (variant_dir / f).read_bytes()
            assert len(data) == info["bytes"]
            assert hashlib.sha256(data).hexdigest() == info["sha256"]
        assert not (variant_dir / f"{var.base}.onnx").exists()


def test_f16_variant(variant_dir, variant_manifest):
    e = next(m for m in variant_manifest["models"] if m["name"] == "bert_opset14_f16")
    model = onnx.load(str(variant_dir / e["file"]))
    onnx.checker.check_model(model)
    types = {i.data_type for i in model.graph.initializer}
    assert onnx.TensorProto.FLOAT not in types and onnx.TensorProto.FLOAT16 in types
    assert all(o.type.tensor_type.elem_type == onnx.TensorProto.FLOAT16 for o in model.graph.output)
    assert e["fp32"] == []  # every op admits f16 in its schema
    # What onnxruntime runs in fp32 by itself (no CPU f16 kernel; MatMul, Add,
    # ... with onnxruntime 1.32) is listed, not changed in the model.
    ops = e["onnxruntime_fp32_ops"]
    assert ops == sorted(ops) and all(isinstance(op, str) for op in ops)
    # The reference model holds the same rounded weights, in fp32.
    ref = onnx.load(str(variant_dir / e["reference_file"]))
    half = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    for init in ref.graph.initializer:
        if init.data_type == onnx.TensorProto.FLOAT:
            np.testing.assert_array_equal(onnx.numpy_helper.to_array(init),
                                          half[init.name].astype(np.float32))
    # onnxruntime reproduces the saved f16 outputs bit for bit.
    feeds = gen_models.load_npz(variant_dir / e["inputs_file"])
    expected = gen_models.load_npz(variant_dir / e["outputs_file"])
    got = gen_models.ort_run(variant_dir / e["file"], feeds)
    for k, v in expected.items():
        assert v.dtype == np.float16 and np.array_equal(got[k], v), k


def test_bf16_variant(variant_dir, variant_manifest):
    e = next(m for m in variant_manifest["models"] if m["name"] == "llama_opset14_bf16")
    model = onnx.load(str(variant_dir / e["file"]))
    onnx.checker.check_model(model)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    assert {i.data_type for i in model.graph.initializer} >= {onnx.TensorProto.BFLOAT16}
    assert onnx.TensorProto.FLOAT not in {i.data_type for i in model.graph.initializer}
    # Outputs come back as float32 (numpy has no bf16).
    assert all(o.type.tensor_type.elem_type == onnx.TensorProto.FLOAT for o in model.graph.output)
    # Kept in fp32 only where opset 14's schemas admit no bf16.
    assert e["fp32"] == ["Cos", "Pow input 1", "Sin", "Where"]
    ref = onnx.load(str(variant_dir / e["reference_file"]))
    half = {i.name: i for i in model.graph.initializer}
    for init in ref.graph.initializer:
        if init.data_type == onnx.TensorProto.FLOAT:
            bits = np.frombuffer(half[init.name].raw_data, np.uint16)
            np.testing.assert_array_equal(onnx.numpy_helper.to_array(init).ravel(),
                                          gen_models.bf16_bits_to_f32(bits))
    # The saved outputs are onnxruntime's on the fp32 reference.
    feeds = gen_models.load_npz(variant_dir / e["inputs_file"])
    expected = gen_models.load_npz(variant_dir / e["outputs_file"])
    got = gen_models.ort_run(variant_dir / e["reference_file"], feeds)
    for k, v in expected.items():
        assert v.dtype == np.float32 and np.array_equal(got[k], v), k
