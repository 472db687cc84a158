#!/usr/bin/env python3
"""Rewrites a GPT-2 export so that each Split of a fused qkv (c_attn) becomes
one Slice per part on the last axis: the form of exports that cut a fused
qkv with `qkv[..., a:b]`. The last part's end is INT64_MAX, as torch writes
`qkv[..., a:]`.

  sliced_qkv.py IN.onnx OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def sliced_qkv(src, dst):
    """GPT-2's export with each c_attn Split replaced by one Slice per part
    (the form of exports that cut a fused qkv with `qkv[..., a:b]`); the
    last part's end is INT64_MAX, as torch writes `qkv[..., a:]`."""
    model = onnx.load(str(src))
    consts = {n.output[0]: n for n in model.graph.node if n.op_type == "Constant"}
    nodes = []
    for node in model.graph.node:
        if node.op_type != "Split":
            nodes.append(node)
            continue
        sizes = numpy_helper.to_array(consts[node.input[1]].attribute[0].t)
        begin = 0
        for i, (out, size) in enumerate(zip(node.output, sizes)):
            end = np.iinfo(np.int64).max if i == len(sizes) - 1 else begin + int(size)
            names = [f"{node.name}_{k}{i}" for k in ("starts", "ends", "axes")]
            for n, v in zip(names, (begin, end, -1)):
                model.graph.initializer.append(numpy_helper.from_array(np.array([v], np.int64), n))
            nodes.append(onnx.helper.make_node("Slice", [node.input[0], *names], [out],
                                               name=f"{node.name}_{i}"))
            begin += int(size)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sliced_qkv(sys.argv[1], sys.argv[2])
