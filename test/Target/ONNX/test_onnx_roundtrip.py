"""ONNX import -> export round trips, checked by running both models in onnxruntime.

For every model that test/models/gen_models.py exports with torch (LLaMA-, GPT-2-
and BERT-style at opsets 14 and 17, real all-MiniLM-L6-v2 weights, external data),
the model re-exported by peft-mlir must give outputs bit-identical to the original
under onnxruntime, pass onnx.checker, and keep node names, tensor names, opsets and
producer metadata.
"""

import subprocess
import sys

import numpy as np
import onnx
import pytest

import peft_mlir

MODELS = ["llama_opset14", "llama_opset17", "llama_opset17_nofold", "gpt2_conv1d_opset14",
          "gpt2_conv1d_opset17", "gpt2_matmul_opset14", "gpt2_matmul_opset17", "bert_opset14",
          "bert_opset17", "minilm_opset14", "tiny_external"]



def test_all_generated_models_are_covered(manifest):
    # Half-precision variants (entries with a "base") are executed by
    # test/Conversion/ONNXToLinalg/test_half_precision.py.
    bases = [m["name"] for m in manifest["models"] if "base" not in m]
    assert sorted(bases) == sorted(MODELS)
    assert {m["base"] for m in manifest["models"] if "base" in m} <= set(MODELS)
    assert not manifest.get("skipped"), manifest.get("skipped")


@pytest.mark.parametrize("name", MODELS)
def test_round_trip_bit_identical(run_ort, onnx_models, tmp_path, name):
    original = onnx_models / f"{name}.onnx"
    exported = tmp_path / f"{name}.onnx"
    module = peft_mlir.import_onnx(str(original))
    module.verify()
    module.export_onnx(str(exported))
    onnx.checker.check_model(str(exported))

    inputs = dict(np.load(onnx_models / f"{name}.inputs.npz"))
    want = run_ort(original, inputs)
    got = run_ort(exported, inputs)
    assert want.keys() == got.keys()
    for key in want:
        assert want[key].dtype == got[key].dtype and want[key].shape == got[key].shape, key
        assert np.array_equal(want[key], got[key]), f"{name}: output {key} differs"
    # The saved reference (computed when the model was generated) agrees too.
    saved = dict(np.load(onnx_models / f"{name}.outputs.npz"))
    for key in saved:
        assert np.array_equal(saved[key], got[key]), f"{name}: output {key} differs from reference"

    a, b = onnx.load(str(original), load_external_data=False), onnx.load(str(exported), load_external_data=False)
    assert [n.name for n in a.graph.node] == [n.name for n in b.graph.node]
    assert [n.op_type for n in a.graph.node] == [n.op_type for n in b.graph.node]
    assert [list(n.output) for n in a.graph.node] == [list(n.output) for n in b.graph.node]
    assert sorted(i.name for i in a.graph.initializer) == sorted(i.name for i in b.graph.initializer)
    assert [i.name for i in a.graph.input] == [i.name for i in b.graph.input]
    assert [o.name for o in a.graph.output] == [o.name for o in b.graph.output]
    assert {(o.domain, o.version) for o in a.opset_import} == {(o.domain, o.version) for o in b.opset_import}
    assert (a.producer_name, a.producer_version, a.ir_version) == (b.producer_name, b.producer_version, b.ir_version)
    # Dynamic dimensions keep their symbolic names.
    dims = lambda vi: [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]
    assert [dims(i) for i in a.graph.input] == [dims(i) for i in b.graph.input]


def test_external_data_export(run_ort, onnx_models, tmp_path):
    """A threshold sends initializers to a side file; the result still runs identically."""
    name = "bert_opset14"
    exported = tmp_path / "bert_ext.onnx"
    peft_mlir.import_onnx(str(onnx_models / f"{name}.onnx")).export_onnx(
        str(exported), external_data_threshold=1024)
    data = tmp_path / "bert_ext.onnx.data"
    assert data.exists() and data.stat().st_size > 0
    m = onnx.load(str(exported), load_external_data=False)
    external = [t for t in m.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    assert external and all(len(t.raw_data) == 0 for t in external)
    assert all(len(t.raw_data) < 1024 for t in m.graph.initializer if t.data_location != onnx.TensorProto.EXTERNAL)
    inputs = dict(np.load(onnx_models / f"{name}.inputs.npz"))
    want, got = run_ort(onnx_models / f"{name}.onnx", inputs), run_ort(exported, inputs)
    for key in want:
        assert np.array_equal(want[key], got[key])


RSS_PROBE = r"""
import sys
import peft_mlir

def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmRSS:"))

before = rss()
m = peft_mlir.import_onnx(sys.argv[1])
m.verify()
print(rss() - before)
"""


def test_external_data_is_mapped_not_read(run_ort, tmp_path):
    """Importing 192 MiB of external weights grows the peak RSS by far less than that."""
    from onnx import TensorProto, helper
    n = 4096
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((n, n), dtype=np.float32) for _ in range(3)]
    with open(tmp_path / "big.data", "wb") as f:
        inits, offset = [], 0
        for i, w in enumerate(weights):
            t = TensorProto(name=f"w{i}", data_type=TensorProto.FLOAT, dims=w.shape)
            t.data_location = TensorProto.EXTERNAL
            for k, v in (("location", "big.data"), ("offset", str(offset)), ("length", str(w.nbytes))):
                e = t.external_data.add()
                e.key, e.value = k, v
            f.write(w.tobytes())
            offset += w.nbytes
            inits.append(t)
    nodes = [helper.make_node("MatMul", ["x", "w0"], ["y0"], name="mm0"),
             helper.make_node("MatMul", ["y0", "w1"], ["y1"], name="mm1"),
             helper.make_node("MatMul", ["y1", "w2"], ["y2"], name="mm2")]
    graph = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", n])],
                              [helper.make_tensor_value_info("y2", TensorProto.FLOAT, ["batch", n])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "big.onnx"))
    weight_bytes = sum(w.nbytes for w in weights)

    r = subprocess.run([sys.executable, "-c", RSS_PROBE, str(tmp_path / "big.onnx")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    growth = int(r.stdout.strip().splitlines()[-1])
    print(f"RSS growth on import: {growth / 2**20:.1f} MiB for {weight_bytes / 2**20:.0f} MiB of weights")
    assert growth < weight_bytes / 4, f"import grew RSS by {growth} bytes for {weight_bytes} of weights"

    # And the mapped weights round-trip to a file ONNX Runtime runs identically.
    out = tmp_path / "big_out.onnx"
    peft_mlir.import_onnx(str(tmp_path / "big.onnx")).export_onnx(str(out), external_data_threshold=1 << 20)
    x = {"x": rng.standard_normal((1, n), dtype=np.float32)}
    want, got = run_ort(tmp_path / "big.onnx", x), run_ort(out, x)
    assert np.array_equal(want["y2"], got["y2"])


def test_export_failure_leaves_no_file(tmp_path):
    m = peft_mlir.Module.parse("""
      func.func @g(%x: tensor<2xf32>) -> tensor<2xf32> {
        %y = arith.addf %x, %x : tensor<2xf32>
        return %y : tensor<2xf32>
      }""")
    with pytest.raises(peft_mlir.PeftError, match="cannot export 'arith.addf'"):
        m.export_onnx(str(tmp_path / "out.onnx"))
    assert list(tmp_path.iterdir()) == []


def test_import_error_names_the_tensor(tmp_path):
    from onnx import TensorProto, helper
    t = helper.make_tensor("weights", TensorProto.FLOAT, [4], [1.0, 2.0, 3.0, 4.0])
    t.raw_data = b"\0" * 12
    t.ClearField("float_data")
    g = helper.make_graph([helper.make_node("Identity", ["weights"], ["y"])], "g", [],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], [t])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / "bad.onnx"
    path.write_bytes(m.SerializeToString())
    with pytest.raises(peft_mlir.PeftError, match="tensor 'weights': raw_data has 12 bytes"):
        peft_mlir.import_onnx(str(path))
