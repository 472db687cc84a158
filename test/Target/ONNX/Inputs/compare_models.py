#!/usr/bin/env python3
"""Compares two ONNX models structurally; prints a summary, exits 1 on any difference.

  compare_models.py A.onnx B.onnx

Nodes must match in order (op type, domain, name, inputs, outputs, attributes,
subgraphs included); initializers by name with equal type, shape and bytes
(however each file stores them); graph inputs, outputs (names, types, symbolic
dims), opsets, producer and IR version likewise.
"""

import sys

import onnx
from onnx import numpy_helper


def attr_value(a):
    if a.type == onnx.AttributeProto.TENSOR:
        arr = numpy_helper.to_array(a.t)
        return ("tensor", arr.dtype.str, arr.shape, arr.tobytes())
    if a.type == onnx.AttributeProto.GRAPH:
        return ("graph", graph_key(a.g))
    return onnx.helper.get_attribute_value(a)


def node_key(n):
    return (n.op_type, n.domain, n.name, list(n.input), list(n.output),
            sorted((a.name, repr(attr_value(a))) for a in n.attribute))


def graph_key(g):
    return [node_key(n) for n in g.node], [o.name for o in g.output]


def tensor_bytes(t):
    return t.raw_data or numpy_helper.to_array(t).tobytes()


def value_info_key(v):
    t = v.type.tensor_type
    return (v.name, t.elem_type, [d.dim_param or d.dim_value for d in t.shape.dim])


def main():
    a, b = (onnx.load(p) for p in sys.argv[1:3])
    ok = True
    if [node_key(n) for n in a.graph.node] == [node_key(n) for n in b.graph.node]:
        print(f"nodes: {len(a.graph.node)} same op types, names, inputs, outputs and attributes")
    else:
        ok = False
        for x, y in zip(a.graph.node, b.graph.node):
            if node_key(x) != node_key(y):
                print(f"nodes differ:\n  {node_key(x)}\n  {node_key(y)}")
                break
        else:
            print(f"node counts differ: {len(a.graph.node)} vs {len(b.graph.node)}")
    inits = lambda m: {t.name: (t.data_type, list(t.dims), tensor_bytes(t))
                       for t in m.graph.initializer}
    if inits(a) == inits(b):
        print(f"initializers: {len(a.graph.initializer)} same names, types and bytes")
    else:
        ok = False
        print(f"initializers differ: {sorted(set(inits(a)) ^ set(inits(b)))}")
    same_io = ([value_info_key(v) for v in a.graph.input] == [value_info_key(v) for v in b.graph.input]
               and [value_info_key(v) for v in a.graph.output] == [value_info_key(v) for v in b.graph.output]
               and sorted((o.domain, o.version) for o in a.opset_import) == sorted((o.domain, o.version) for o in b.opset_import)
               and (a.producer_name, a.producer_version, a.ir_version) == (b.producer_name, b.producer_version, b.ir_version))
    print("inputs/outputs/opsets/producer: " + ("same" if same_io else "differ"))
    ok &= same_io
    onnx.checker.check_model(b)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
