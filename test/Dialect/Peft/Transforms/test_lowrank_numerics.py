"""Numeric contracts of peft-lowrank-svd (docs/modegpt.md, "SVD baselines"),
on the generated models, executed on the CPU JIT and under onnxruntime,
against references computed here with numpy:

- at full rank the factored model equals the original (≤ 1e-4 relative);
- at a lower rank our JIT and onnxruntime on the exported model agree
  (≤ 1e-4, the JIT-vs-onnxruntime bound of every model comparison);
- the plain SVD error of a layer, ‖W − U'V'‖², equals numpy's Σ dropped σ²;
- with activation whitening from a statistics file built here from the
  layer's actual inputs (exposed from onnxruntime), the whitened error
  tr((W − Ŵ)·C·(W − Ŵ)ᵀ) equals numpy's Σ dropped σ of W·chol(C), and the
  output error on those inputs is below plain SVD's at the same rank;
- the calibration statistics writer's files load with safetensors.numpy.
"""

import json
import re
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import peft_mlir
import pytest
from onnx import numpy_helper
from safetensors import safe_open
from safetensors.numpy import load_file

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "test/models"))
import gen_models  # noqa: E402
from model_tests import load, rel_err, run  # noqa: E402

MODELS = ["llama_opset17", "minilm_opset14"]
ALL_ROLES = ["q", "k", "v", "o", "qkv", "gate", "up", "down", "other"]


def run_ort(path, inputs, extra_outputs=()):
    model = onnx.load(str(path))
    for name in extra_outputs:
        model.graph.output.append(onnx.helper.make_tensor_value_info(
            name, onnx.TensorProto.FLOAT, None))
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = {i.name: inputs[i.name] for i in sess.get_inputs()}
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feed)))


def resources(module):
    """The dense_resource blobs of the printed module: name -> bytes."""
    blobs = {}
    for name, hexdata in re.findall(r'^\s+([^\s:]+): "0x([0-9A-F]*)"', str(module), re.M):
        blobs[name] = bytes.fromhex(hexdata)[4:]  # skip the alignment word
    return blobs


def raised(path, tmp_path):
    """The raised float model exported to ONNX, its layers and their
    weights as [out, in] float64."""
    m = peft_mlir.import_onnx(str(path))
    m.raise_linear()
    rows = m.linears()
    out = tmp_path / "raised.onnx"
    m.export_onnx(str(out))
    model = onnx.load(str(out))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    weights = {}
    for row in rows:
        w = inits[row.weight].astype(np.float64)
        weights[row.path] = w if row.layout == "out_in" else w.T
    return out, model, rows, weights


def factors(module, path, out, k, n_in):
    blobs = resources(module)
    u = np.frombuffer(blobs[path + ".lowrank_u"], np.float32).reshape(out, k)
    v = np.frombuffer(blobs[path + ".lowrank_v"], np.float32).reshape(k, n_in)
    return u.astype(np.float64), v.astype(np.float64)


@pytest.mark.parametrize("name", MODELS)
def test_full_rank_is_exact(onnx_models, name, tmp_path):
    path, inputs = load(onnx_models, name)
    original = run(peft_mlir.import_onnx(str(path)), inputs)
    m = peft_mlir.import_onnx(str(path))
    m.lowrank_svd(energy=1.0, roles=ALL_ROLES, report="none")
    rows = m.linears()
    assert rows and {r.op for r in rows} == {"lowrank"}
    got = run(m, inputs)
    for key, ref in original.items():
        assert rel_err(got[key], ref.astype(np.float64)) <= 1e-4, key
    out = tmp_path / "full.onnx"
    m.export_onnx(str(out))
    ours = run_ort(out, inputs)
    for key, ref in original.items():
        assert rel_err(ours[key], ref.astype(np.float64)) <= 1e-4, key


@pytest.mark.parametrize("name", MODELS)
def test_lower_rank_jit_matches_onnxruntime(onnx_models, name, tmp_path):
    path, inputs = load(onnx_models, name)
    m = peft_mlir.import_onnx(str(path))
    m.lowrank_svd(ratio=0.5, roles=ALL_ROLES, report="none")
    rows = m.linears()
    got = run(m, inputs)
    out = tmp_path / "half.onnx"
    m.export_onnx(str(out))
    model = onnx.load(str(out))
    inits = {i.name: i for i in model.graph.initializer}
    for row in rows:
        # x·V'ᵀ·U'ᵀ as two MatMuls on the transposed factors [in, k], [k, out].
        vt, ut = inits[row.path + ".lowrank_v_t"], inits[row.path + ".lowrank_u_t"]
        k = int(np.floor(0.5 * row.in_features * row.out_features
                         / (row.in_features + row.out_features)))
        assert list(vt.dims) == [row.in_features, k], row.path
        assert list(ut.dims) == [k, row.out_features], row.path
    ours = run_ort(out, inputs)
    for key, value in got.items():
        assert rel_err(value, ours[key].astype(np.float64)) <= 1e-4, key
    # Compression changed the outputs (the test is not vacuous).
    original = run(peft_mlir.import_onnx(str(path)), inputs)
    key = next(iter(original))
    assert rel_err(got[key], original[key].astype(np.float64)) > 1e-3


def pick_layer(rows, role):
    return next(r for r in rows if r.role == role)


def test_plain_error_matches_numpy(onnx_models, tmp_path):
    path, _ = load(onnx_models, "llama_opset17")
    _, _, rows, weights = raised(path, tmp_path)
    row = pick_layer(rows, "up")
    w = weights[row.path]
    sigma = np.linalg.svd(w, compute_uv=False)
    for k in (1, 4, min(w.shape) // 2):
        m = peft_mlir.import_onnx(str(path))
        m.lowrank_svd(rank=k, targets=[row.path], report="none")
        u, v = factors(m, row.path, w.shape[0], k, w.shape[1])
        measured = float(np.sum((w - u @ v) ** 2))
        expected = float(np.sum(sigma[k:] ** 2))
        assert abs(measured - expected) <= 1e-4 * expected + 1e-6 * float(np.sum(sigma ** 2)), k


def layer_inputs(raised_path, model, row, inputs):
    """The rows of the input of `row` on the model's inputs, from onnxruntime
    (the first input of its MatMul/Gemm node, which the export names by the
    layer's location)."""
    nodes = [n for n in model.graph.node
             if n.op_type in ("MatMul", "Gemm") and n.name == row.location]
    assert len(nodes) == 1, (row.path, row.location)
    name = nodes[0].input[0]
    x = run_ort(raised_path, inputs, extra_outputs=[name])[name]
    return x.reshape(-1, row.in_features).astype(np.float64)


@pytest.mark.parametrize("name,role", [("llama_opset17", "down"), ("minilm_opset14", "up")])
def test_whitened_error_matches_numpy(onnx_models, name, role, tmp_path):
    path, inputs = load(onnx_models, name)
    raised_path, model, rows, weights = raised(path, tmp_path)
    row = pick_layer(rows, role)
    w = weights[row.path]
    x = layer_inputs(raised_path, model, row, inputs)
    c = x.T @ x
    stats = tmp_path / "stats.safetensors"
    peft_mlir.lowrank.write_calibration_stats(
        str(stats), {row.path + ".input_xtx": c,
                     row.path + ".input_tokens": np.array([x.shape[0]], np.int64)},
        json.dumps({"samples": 1, "tokens": int(x.shape[0])}))
    # The writer's file is plain safetensors with our metadata.
    loaded = load_file(str(stats))
    assert np.array_equal(loaded[row.path + ".input_xtx"], c)
    assert loaded[row.path + ".input_tokens"].tolist() == [x.shape[0]]
    with safe_open(str(stats), "np") as f:
        meta = f.metadata()
    assert meta["format"] == "peft-calibration" and meta["version"] == "1"

    lam = 1e-3
    c_reg = c + lam * np.mean(np.diag(c)) * np.eye(c.shape[0])
    s = np.linalg.cholesky(c_reg)
    sigma = np.linalg.svd(w @ s, compute_uv=False)
    for k in (2, min(w.shape) // 4):
        m = peft_mlir.import_onnx(str(path))
        m.lowrank_svd(rank=k, whitening="activation", stats=stats, lambda_=lam,
                      targets=[row.path], report="none")
        u, v = factors(m, row.path, w.shape[0], k, w.shape[1])
        d = w - u @ v
        measured = float(np.trace(d @ c_reg @ d.T))
        expected = float(np.sum(sigma[k:] ** 2))
        assert abs(measured - expected) <= 1e-3 * expected, (k, measured, expected)

        plain = peft_mlir.import_onnx(str(path))
        plain.lowrank_svd(rank=k, targets=[row.path], report="none")
        pu, pv = factors(plain, row.path, w.shape[0], k, w.shape[1])
        whitened_out = float(np.sum((x @ d.T) ** 2))
        plain_out = float(np.sum((x @ (w - pu @ pv).T) ** 2))
        assert whitened_out < plain_out, (k, whitened_out, plain_out)
