"""Prints an ONNX model for FileCheck after checking it: inputs, outputs,
initializers (values of the small ones), then one line per node.

  list_nodes.py model.onnx
"""

import sys

import onnx
from onnx import numpy_helper


def dims(t):
    return "[" + ", ".join(d.dim_param or (str(d.dim_value) if d.HasField("dim_value") else "?")
                           for d in t.tensor_type.shape.dim) + "]"


def attribute(a):
    value = onnx.helper.get_attribute_value(a)
    if isinstance(value, bytes):
        value = value.decode()
    return f"{a.name}={list(value) if isinstance(value, (list, tuple)) else value}"


def main(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    print("checker: ok")
    dtype = onnx.helper.tensor_dtype_to_np_dtype
    for vi in model.graph.input:
        print(f"input {vi.name} {dtype(vi.type.tensor_type.elem_type)} {dims(vi.type)}")
    for vi in model.graph.output:
        print(f"output {vi.name} {dtype(vi.type.tensor_type.elem_type)} {dims(vi.type)}")
    for t in model.graph.initializer:
        a = numpy_helper.to_array(t)
        shown = f" = {a.tolist()}" if a.size <= 8 else ""
        print(f"initializer {t.name} {a.dtype} {list(a.shape)}{shown}")
    for n in model.graph.node:
        attrs = "".join(" " + attribute(a) for a in n.attribute)
        print(f"{n.op_type} {n.name}({', '.join(n.input)}){attrs}")


if __name__ == "__main__":
    main(sys.argv[1])
