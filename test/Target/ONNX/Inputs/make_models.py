#!/usr/bin/env python3
"""Writes the small ONNX files the lit tests in test/Target/ONNX import.

  make_models.py ops OUT.onnx      one graph using every op the onnx dialect types
  make_models.py generic OUT.onnx  ops with no typed form (generic fallback), If
  make_models.py dtypes OUT.onnx   an initializer of every element type we map
  make_models.py bad DIR           a valid model plus one file per kind of bad input
  make_models.py sizes DIR         models whose shapes claim more data than they hold
  make_models.py npy-overflow OUT  a .npy header of shape (2**32, 2**32), no payload
  make_models.py external DIR      a model whose initializers live in model.data

Deterministic (fixed values); needs only the `onnx` and `numpy` packages.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def model(nodes, inputs, outputs, inits=(), opset=17, extra_opsets=(), name="g"):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(graph, opset_imports=opsets, producer_name="make_models.py")
    # The IR version that goes with the opset (8 for 17, 10 for 21), not
    # onnx's newest.
    m.ir_version = helper.find_min_ir_version_for(opsets, ignore_unknown=True)
    return m


def ops_model():
    n = helper.make_node
    nodes = [
        n("Add", ["x", "x"], ["add"], name="add"),
        n("Sub", ["add", "x"], ["sub"], name="sub"),
        n("Mul", ["sub", "x"], ["mul"], name="mul"),
        n("Div", ["mul", "two"], ["div"], name="div"),
        n("Pow", ["div", "two"], ["pow"], name="pow"),
        n("Sqrt", ["pow"], ["sqrt"], name="sqrt"),
        n("Reciprocal", ["two"], ["recip"], name="recip"),
        n("Neg", ["sqrt"], ["neg"], name="neg"),
        n("Abs", ["neg"], ["abs"], name="abs"),
        n("Exp", ["abs"], ["exp"], name="exp"),
        n("Log", ["exp"], ["log"], name="log"),
        n("Erf", ["log"], ["erf"], name="erf"),
        n("Tanh", ["erf"], ["tanh"], name="tanh"),
        n("Sigmoid", ["tanh"], ["sigmoid"], name="sigmoid"),
        n("Relu", ["sigmoid"], ["relu"], name="relu"),
        n("Cos", ["relu"], ["cos"], name="cos"),
        n("Sin", ["cos"], ["sin"], name="sin"),
        n("Equal", ["sin", "x"], ["eq"], name="equal"),
        n("Not", ["eq"], ["not"], name="not"),
        n("Less", ["sin", "x"], ["less"], name="less"),
        n("Greater", ["sin", "x"], ["greater"], name="greater"),
        n("Where", ["less", "sin", "x"], ["where"], name="where"),
        n("Cast", ["where"], ["cast"], to=TensorProto.FLOAT16, name="cast"),
        n("MatMul", ["x", "w"], ["matmul"], name="/model/layers.0/mlp/up_proj/MatMul"),
        n("Gemm", ["x2d", "w", "bias"], ["gemm"], transB=0, alpha=1.0, name="gemm"),
        n("Einsum", ["x2d", "w"], ["einsum"], equation="ij,jk->ik", name="einsum"),
        n("Softmax", ["matmul"], ["softmax"], axis=-1, name="softmax"),
        n("LayerNormalization", ["x", "ln_scale", "ln_bias"], ["ln"], axis=-1, epsilon=1e-5, name="ln"),
        n("ReduceMean", ["x"], ["rmean"], axes=[-1], keepdims=1, name="reduce_mean"),
        n("ReduceSum", ["x", "axes"], ["rsum"], keepdims=0, name="reduce_sum"),
        n("Gather", ["x2d", "idx"], ["gather"], axis=0, name="gather"),
        n("Reshape", ["x", "shape"], ["reshape"], name="reshape"),
        n("Transpose", ["x"], ["transpose"], perm=[1, 0, 2], name="transpose"),
        n("Unsqueeze", ["x2d", "axes0"], ["unsq"], name="unsqueeze"),
        n("Squeeze", ["unsq", "axes0"], ["sq"], name="squeeze"),
        n("Concat", ["x", "x"], ["concat"], axis=1, name="concat"),
        n("Slice", ["x", "starts", "ends", "axes", "steps"], ["slice"], name="slice"),
        n("Split", ["x", "split"], ["split0", "split1"], axis=-1, name="split"),
        n("Shape", ["x"], ["shape_of"], name="shape"),
        n("Range", ["r0", "r1", "r2"], ["range"], name="range"),
        n("ConstantOfShape", ["shape_of"], ["cos_"], value=numpy_helper.from_array(np.array([0.0], np.float32)), name="constant_of_shape"),
        n("Expand", ["bias", "shape_of"], ["expand"], name="expand"),
        n("Trilu", ["x2d"], ["trilu"], upper=1, name="trilu"),
        n("Identity", ["x"], ["identity"], name="identity"),
        n("Constant", [], ["c"], value=numpy_helper.from_array(np.array([1.5, 2.5], np.float32)), name="constant"),
        n("QuantizeLinear", ["x2d", "qscale", "qzp"], ["q"], name="quantize"),
        n("DequantizeLinear", ["q", "qscale", "qzp"], ["dq"], name="dequantize"),
        n("DynamicQuantizeLinear", ["x2d"], ["dq8", "dqs", "dqz"], name="dynamic_quantize"),
        n("MatMulInteger", ["dq8", "wq", "dqz"], ["mmi"], name="matmul_integer"),
        n("MatMulNBits", ["x2d", "nb_w", "nb_scales"], ["nbits"], domain="com.microsoft", K=4, N=4, bits=4, block_size=16, name="matmul_nbits"),
        n("Clip", ["x", "", "two"], ["clip"], name="clip"),
        n("Max", ["x", "x"], ["max"], name="max"),
        n("Min", ["x", "x"], ["min"], name="min"),
        n("ReduceL2", ["x"], ["rl2"], axes=[-1], name="reduce_l2"),
    ]
    inputs = [vi("x", F, ["batch", 3, 4]), vi("x2d", F, [3, 4])]
    outs = ["cast", "gemm", "einsum", "softmax", "ln", "rmean", "rsum", "gather", "reshape",
            "transpose", "sq", "concat", "slice", "split0", "split1", "range", "cos_", "expand",
            "trilu", "identity", "c", "dq", "mmi", "nbits", "not", "greater", "recip", "clip",
            "max", "min", "rl2"]
    inits = [
        const("two", np.array(2.0, np.float32)),
        const("w", np.arange(16, dtype=np.float32).reshape(4, 4) / 16),
        const("bias", np.ones(4, np.float32)),
        const("ln_scale", np.ones(4, np.float32)),
        const("ln_bias", np.zeros(4, np.float32)),
        const("axes", np.array([-1], np.int64)),
        const("axes0", np.array([0], np.int64)),
        const("idx", np.array([0, 2], np.int64)),
        const("shape", np.array([0, -1], np.int64)),
        const("starts", np.array([0], np.int64)),
        const("ends", np.array([2], np.int64)),
        const("steps", np.array([1], np.int64)),
        const("split", np.array([2, 2], np.int64)),
        const("r0", np.array(0, np.int64)),
        const("r1", np.array(5, np.int64)),
        const("r2", np.array(1, np.int64)),
        const("qscale", np.array(0.1, np.float32)),
        const("qzp", np.array(0, np.uint8)),
        const("wq", np.arange(16, dtype=np.uint8).reshape(4, 4)),
        const("nb_w", np.arange(4 * 1 * 8, dtype=np.uint8).reshape(4, 1, 8)),
        const("nb_scales", np.ones(4, np.float32)),
    ]
    m = model(nodes, inputs, [], inits, extra_opsets=[("com.microsoft", 1)])
    # Outputs take the types shape inference gives them (MatMulNBits, which
    # ONNX itself does not know, is declared by hand).
    inferred = {v.name: v for v in onnx.shape_inference.infer_shapes(m).graph.value_info}
    inferred["nbits"] = vi("nbits", F, [3, 4])
    m.graph.output.extend(inferred[o] for o in outs)
    return m


def generic_model():
    n = helper.make_node
    then_g = helper.make_graph([n("Identity", ["x"], ["t_out"], name="then_id")], "then",
                               [], [vi("t_out", F, [2])])
    else_g = helper.make_graph([n("Neg", ["x"], ["e_out"], name="else_neg")], "else",
                               [], [vi("e_out", F, [2])])
    nodes = [
        # No typed op: kept as onnx.node with its attributes.
        n("HardSigmoid", ["x"], ["hs"], alpha=0.3, beta=0.6, name="hard_sigmoid"),
        n("LeakyRelu", ["hs"], ["lr"], alpha=0.1, name="leaky"),
        n("ReduceSum", ["cond_f"], ["s"], keepdims=0, name="sum"),
        n("Greater", ["s", "zero"], ["cond"], name="greater"),
        n("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g, name="branch"),
    ]
    inputs = [vi("x", F, [2]), vi("cond_f", F, [1])]
    inits = [const("zero", np.array(0.0, np.float32))]
    return model(nodes, inputs, [vi("lr", F, [2]), vi("y", F, [2])], inits)


def tiny():
    n = helper.make_node
    w = np.arange(64, dtype=np.float32).reshape(8, 8) / 64
    nodes = [n("MatMul", ["x", "w"], ["y"], name="/model/proj/MatMul")]
    return model(nodes, [vi("x", F, ["batch", 8])], [vi("y", F, ["batch", 8])], [const("w", w)])


def dtypes_model():
    """One Identity per element type, fed by an initializer of that type; the
    large ones become blobs, the small ones dense attributes."""
    rng = np.random.default_rng(0)
    arrays = {
        "f32": rng.standard_normal(40).astype(np.float32),
        "f16": rng.standard_normal(40).astype(np.float16),
        "f64": rng.standard_normal(40),
        "i8": rng.integers(-128, 127, 80).astype(np.int8),
        "u8": rng.integers(0, 255, 80).astype(np.uint8),
        "i16": rng.integers(-999, 999, 40).astype(np.int16),
        "u16": rng.integers(0, 999, 40).astype(np.uint16),
        "i32": rng.integers(-999, 999, 40).astype(np.int32),
        "u32": rng.integers(0, 999, 40).astype(np.uint32),
        "i64": rng.integers(-999, 999, 40).astype(np.int64),
        "u64": rng.integers(0, 999, 40).astype(np.uint64),
        "bool": rng.integers(0, 2, 80).astype(bool),
        "bool_small": np.array([True, False, True]),
        "i64_small": np.array([3, -1], np.int64),
    }
    inits = [const(name, a) for name, a in arrays.items()]
    # bfloat16, int4 and uint4 have no numpy type: raw bytes with the data type number.
    for name, data_type, dims, raw in [
            ("bf16", TensorProto.BFLOAT16, [40], rng.integers(0, 65535, 40).astype(np.uint16).tobytes()),
            ("i4", 22, [9], bytes([0x21, 0x43, 0x65, 0x87, 0x0F])),
            ("u4", 21, [100], bytes(range(50)))]:
        t = TensorProto(name=name, data_type=data_type, dims=dims)
        t.raw_data = raw
        inits.append(t)
    names = [t.name for t in inits]
    nodes = [helper.make_node("Identity", [n], [n + "_out"], name="id_" + n) for n in names]
    outputs = [vi(n + "_out", t.data_type, list(t.dims)) for n, t in zip(names, inits)]
    return model(nodes, [], outputs, inits, opset=21)


def write_external(m, directory, location="model.data", mangle=None):
    """Saves `m` with every initializer in `location`; `mangle` edits the entries."""
    for init in m.graph.initializer:
        data = init.raw_data
        init.ClearField("raw_data")
        init.data_location = TensorProto.EXTERNAL
        entries = {"location": location, "offset": "0", "length": str(len(data))}
        if mangle:
            mangle(entries)
        for k, v in entries.items():
            e = init.external_data.add()
            e.key, e.value = k, v
        return data


def bad(directory):
    os.makedirs(directory, exist_ok=True)
    good = tiny()
    onnx.save(good, os.path.join(directory, "good.onnx"))
    raw = good.SerializeToString()
    with open(os.path.join(directory, "truncated.onnx"), "wb") as f:
        f.write(raw[: len(raw) // 2])
    with open(os.path.join(directory, "not_protobuf.onnx"), "wb") as f:
        f.write(b"\x08\x07 this is not a protobuf \xff\xff\xff\xff")

    m = tiny()
    m.graph.initializer[0].raw_data = m.graph.initializer[0].raw_data[:-4]
    onnx.save(m, os.path.join(directory, "raw_size.onnx"))

    m = tiny()
    m.opset_import[0].version = 99
    onnx.save(m, os.path.join(directory, "opset.onnx"))

    def ext(name, location="model.data", mangle=None):
        m = tiny()
        data = write_external(m, directory, location, mangle)
        onnx.save(m, os.path.join(directory, name + ".onnx"))
        return data

    data = ext("external_good")
    with open(os.path.join(directory, "model.data"), "wb") as f:
        f.write(data)
    ext("external_missing", location="missing.data")
    ext("external_absolute", location="/etc/passwd")
    ext("external_escape", location="../model.data")
    ext("external_short", location="short.data")
    with open(os.path.join(directory, "short.data"), "wb") as f:
        f.write(data[:100])
    ext("external_link", location="link.data")
    link = os.path.join(directory, "link.data")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink("model.data", link)
    ext("external_offset", mangle=lambda e: e.update(offset="64"))
    ext("external_length", mangle=lambda e: e.update(length="128"))


def sizes(directory):
    """Untrusted sizes: shapes whose products overflow int64 or claim far more
    data than the file holds. Every one must be a located error, never a crash
    or an invalid attribute. The initializers feed a Shape node, so the
    output's type is small and the models pass the ONNX checker (whose own
    product wraps around too) and go through shape inference."""
    os.makedirs(directory, exist_ok=True)

    def init_model(path, tensor):
        m = model([helper.make_node("Shape", [tensor.name], ["y"], name="shape")], [],
                  [vi("y", I64, [len(tensor.dims)])], [tensor])
        with open(os.path.join(directory, path), "wb") as f:  # no checker on save
            f.write(m.SerializeToString())

    # 65536^4 = 2^64 elements: the product wraps to 0, which "matches" no data.
    init_model("init_overflow.onnx", TensorProto(name="w", data_type=F, dims=[65536] * 4))
    # 2^62 elements fit in int64, their 2^65 bytes do not.
    init_model("init_bytes_overflow.onnx",
               TensorProto(name="w", data_type=TensorProto.DOUBLE, dims=[2**31, 2**31]))
    # Sizes that fit but are not backed by data: nothing may be allocated.
    init_model("init_no_data.onnx", TensorProto(name="w", data_type=F, dims=[2**40]))
    t = TensorProto(name="w", data_type=F, dims=[2**40])
    t.raw_data = b"\0" * 4
    init_model("init_short_raw.onnx", t)
    # Zero elements but non-zero sizes whose product overflows.
    init_model("init_empty_overflow.onnx",
               TensorProto(name="w", data_type=F, dims=[0, 2**62, 2**62]))
    # The same overflow in a Constant node's tensor attribute.
    c = TensorProto(name="c", data_type=F, dims=[65536] * 4)
    m = model([helper.make_node("Constant", [], ["c"], name="const", value=c),
               helper.make_node("Shape", ["c"], ["y"], name="shape")], [], [vi("y", I64, [4])])
    with open(os.path.join(directory, "attr_overflow.onnx"), "wb") as f:
        f.write(m.SerializeToString())
    # Graph input types: a negative size, sizes whose product overflows.
    for name, dims in [("input_negative", [2, -3]), ("input_overflow", [2**32, 2**32])]:
        m = tiny()
        m.graph.input[0].type.tensor_type.shape.Clear()
        for d in dims:
            m.graph.input[0].type.tensor_type.shape.dim.add().dim_value = d
        with open(os.path.join(directory, name + ".onnx"), "wb") as f:
            f.write(m.SerializeToString())
    # External data at an offset near 2^63: offset + length must not overflow.
    m = tiny()
    data = write_external(m, directory, mangle=lambda e: e.update(offset=str(2**63 - 1)))
    with open(os.path.join(directory, "model.data"), "wb") as f:
        f.write(data)
    onnx.save(m, os.path.join(directory, "external_offset_overflow.onnx"))


def npy_overflow(out):
    """A .npy file whose header claims (2**32, 2**32) float32 elements and that
    has no payload: the shape product wraps to 0 without a check."""
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(out, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())


def wide():
    """tiny() with a 64x64 weight (16 KiB, above the export's 1 KiB cut)."""
    n = helper.make_node
    w = np.arange(64 * 64, dtype=np.float32).reshape(64, 64) / 4096
    nodes = [n("MatMul", ["x", "w"], ["y"], name="/model/proj/MatMul")]
    return model(nodes, [vi("x", F, ["batch", 64])], [vi("y", F, ["batch", 64])], [const("w", w)])


def external(directory, make=tiny):
    os.makedirs(directory, exist_ok=True)
    m = make()
    data = write_external(m, directory)
    onnx.save(m, os.path.join(directory, "model.onnx"))
    with open(os.path.join(directory, "model.data"), "wb") as f:
        f.write(data)


def main():
    what, out = sys.argv[1], sys.argv[2]
    if what == "ops":
        onnx.save(ops_model(), out)
    elif what == "generic":
        onnx.save(generic_model(), out)
    elif what == "dtypes":
        onnx.save(dtypes_model(), out)
    elif what == "bad":
        bad(out)
    elif what == "sizes":
        sizes(out)
    elif what == "npy-overflow":
        npy_overflow(out)
    elif what == "external":
        external(out)
    elif what == "external-wide":
        external(out, wide)
    else:
        sys.exit(f"unknown fixture '{what}'")


if __name__ == "__main__":
    main()
