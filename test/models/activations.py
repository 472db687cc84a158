"""Intermediate tensors of an ONNX model as onnxruntime computes them: the
independent reference of the calibration and compression tests."""

import numpy as np
import onnx
import onnxruntime as ort


def ort_tensors(path, names, feeds_list):
    """[{name: array} per feeds] for the tensors `names` of the model at
    `path` (made graph outputs), one CPU thread, graph optimizations off."""
    model = onnx.load(str(path))
    inferred = onnx.shape_inference.infer_shapes(model)
    infos = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.input)
             + list(inferred.graph.output)}
    outputs = {o.name for o in model.graph.output}
    names = list(dict.fromkeys(names))
    for name in names:
        if name not in outputs:
            model.graph.output.append(infos[name])
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    return [dict(zip(names, session.run(names, feeds))) for feeds in feeds_list]


def node_output(path, node_name):
    """The first output of the node called `node_name`."""
    for node in onnx.load(str(path), load_external_data=False).graph.node:
        if node.name == node_name:
            return node.output[0]
    raise KeyError(f"{path}: no node '{node_name}'")


def node_input(path, node_name, index=0):
    for node in onnx.load(str(path), load_external_data=False).graph.node:
        if node.name == node_name:
            return node.input[index]
    raise KeyError(f"{path}: no node '{node_name}'")


def rows(x):
    """[rows, features] in float64."""
    return np.asarray(x, dtype=np.float64).reshape(-1, x.shape[-1])
