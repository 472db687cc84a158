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
    assert listed == list(gen_models.MODELS)
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
