"""Writes a small static-shape MLP as ONNX: y = relu(x·W1 + b1)·W2 + b2.

Usage: make_mlp.py OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    rng = np.random.default_rng(0)
    w1 = rng.standard_normal((64, 128)).astype(np.float32) * 0.1
    b1 = rng.standard_normal(128).astype(np.float32) * 0.1
    w2 = rng.standard_normal((128, 32)).astype(np.float32) * 0.1
    b2 = rng.standard_normal(32).astype(np.float32) * 0.1
    n = helper.make_node
    nodes = [
        n("MatMul", ["x", "w1"], ["h"], name="/mlp/up/MatMul"),
        n("Add", ["h", "b1"], ["hb"], name="/mlp/up/Add"),
        n("Relu", ["hb"], ["a"], name="/mlp/act/Relu"),
        n("MatMul", ["a", "w2"], ["o"], name="/mlp/down/MatMul"),
        n("Add", ["o", "b2"], ["y"], name="/mlp/down/Add"),
    ]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [16, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [16, 32])],
        [numpy_helper.from_array(a, name) for a, name in
         [(w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2")]])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, sys.argv[1])


if __name__ == "__main__":
    main()
