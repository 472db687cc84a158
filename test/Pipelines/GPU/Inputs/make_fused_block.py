"""Writes a static-shape opset-23 attention block as ONNX: RMSNormalization,
q/k/v projections, RotaryEmbedding, grouped-query causal Attention with a KV
cache, o projection.

Usage: make_fused_block.py OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    rng = np.random.default_rng(0)
    hidden, heads, kv_heads, head, seq, past = 32, 4, 2, 8, 5, 3
    weights = {name: rng.standard_normal(shape).astype(np.float32) * 0.1 for name, shape in
               [("wq", (hidden, heads * head)), ("wk", (hidden, kv_heads * head)),
                ("wv", (hidden, kv_heads * head)), ("wo", (heads * head, hidden)),
                ("norm", (hidden,)), ("cos", (16, head // 2)), ("sin", (16, head // 2))]}
    n = helper.make_node
    nodes = [
        n("RMSNormalization", ["x", "norm"], ["h"], name="/norm"),
        n("MatMul", ["h", "wq"], ["q"], name="/q"),
        n("MatMul", ["h", "wk"], ["k"], name="/k"),
        n("MatMul", ["h", "wv"], ["v"], name="/v"),
        n("RotaryEmbedding", ["q", "cos", "sin", "pos"], ["qr"], num_heads=heads, name="/rope_q"),
        n("RotaryEmbedding", ["k", "cos", "sin", "pos"], ["kr"], num_heads=kv_heads,
          name="/rope_k"),
        n("Attention", ["qr", "kr", "v", "", "past_key", "past_value"],
          ["a", "present_key", "present_value"], is_causal=1, q_num_heads=heads,
          kv_num_heads=kv_heads, name="/attn"),
        n("MatMul", ["a", "wo"], ["y"], name="/o"),
    ]
    f32 = TensorProto.FLOAT
    graph = helper.make_graph(
        nodes, "block",
        [helper.make_tensor_value_info("x", f32, [1, seq, hidden]),
         helper.make_tensor_value_info("pos", TensorProto.INT64, [1, seq]),
         helper.make_tensor_value_info("past_key", f32, [1, kv_heads, past, head]),
         helper.make_tensor_value_info("past_value", f32, [1, kv_heads, past, head])],
        [helper.make_tensor_value_info("y", f32, [1, seq, hidden]),
         helper.make_tensor_value_info("present_key", f32, [1, kv_heads, past + seq, head]),
         helper.make_tensor_value_info("present_value", f32, [1, kv_heads, past + seq, head])],
        [numpy_helper.from_array(a, name) for name, a in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])
    model.ir_version = 11
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, sys.argv[1])


if __name__ == "__main__":
    main()
