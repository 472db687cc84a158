"""Writes fixed-seed inputs and numpy references for the peft-run tests.

usage: make_data.py MODEL OUTDIR [key=value ...]
  linear     batch=B seq=S          -> hidden gate w b lora_a lora_b, out
  mlp        rows=M                 -> x w1 b1 w2, result0 result1
  attention  batch=B m=M n=N k=K    -> q k, result0
  tiny_onnx  batch=B                -> tiny.onnx, x, y, and test_data_set_0/
References are computed in float64 and stored as float32.
"""
import os
import sys

import numpy as np


def linear(rng, batch, seq):
    x = rng.standard_normal((batch, seq, 48)).astype(np.float32)
    gate = rng.standard_normal((batch, 1, 40)).astype(np.float32)
    w = rng.standard_normal((40, 48)).astype(np.float32) / 7
    b = rng.standard_normal(40).astype(np.float32)
    a = rng.standard_normal((48, 4)).astype(np.float32) / 7
    bb = rng.standard_normal((4, 40)).astype(np.float32)
    d = lambda t: t.astype(np.float64)
    out = d(x) @ d(w).T + d(b) + (d(x) @ d(a) @ d(bb)) * d(gate)
    return {"hidden": x, "gate": gate, "w": w, "b": b, "lora_a": a,
            "lora_b": bb}, {"out": out}


def mlp(rng, rows):
    x = rng.standard_normal((rows, 64)).astype(np.float32)
    w1 = rng.standard_normal((64, 100)).astype(np.float32) / 8
    b1 = rng.standard_normal(100).astype(np.float32)
    w2 = rng.standard_normal((100, 24)).astype(np.float32) / 10
    h = np.maximum(x.astype(np.float64) @ w1 + b1, 0)
    y = h @ w2
    return {"x": x, "w1": w1, "b1": b1, "w2": w2}, {"result0": y,
                                                    "result1": y.sum(-1)}


def attention(rng, batch, m, n, k):
    q = rng.standard_normal((batch, m, k)).astype(np.float32)
    kt = rng.standard_normal((batch, k, n)).astype(np.float32)
    s = q.astype(np.float64) @ kt
    e = np.exp(s - s.max(-1, keepdims=True))
    return {"q": q, "k": kt}, {"result0": e / e.sum(-1, keepdims=True)}


def tiny_onnx(rng, batch, out):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    w = rng.standard_normal((8, 5)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["xw"], name="mm"),
             helper.make_node("Add", ["xw", "B"], ["xwb"], name="add"),
             helper.make_node("Relu", ["xwb"], ["y"], name="relu")]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 5])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, os.path.join(out, "tiny.onnx"))
    x = rng.standard_normal((batch, 8)).astype(np.float32)
    y = np.maximum(x.astype(np.float64) @ w + b, 0)
    data = os.path.join(out, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    for name, value in (("input_0", x), ("output_0", y.astype(np.float32))):
        tensor = numpy_helper.from_array(value, name.replace("put_0", ""))
        with open(os.path.join(data, name + ".pb"), "wb") as f:
            f.write(tensor.SerializeToString())
    return {"x": x}, {"y": y}


def main():
    model, out = sys.argv[1], sys.argv[2]
    args = {k: int(v) for k, v in (a.split("=") for a in sys.argv[3:])}
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(1234)
    if model == "tiny_onnx":
        args["out"] = out
    inputs, refs = globals()[model](rng, **args)
    for name, value in inputs.items():
        np.save(os.path.join(out, name + ".npy"), value)
    for name, value in refs.items():
        np.save(os.path.join(out, "ref_" + name + ".npy"),
                value.astype(np.float32))


if __name__ == "__main__":
    main()
