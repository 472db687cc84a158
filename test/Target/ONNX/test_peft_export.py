"""Export of the peft dialect to ONNX, checked by running both sides.

Small modules of peft.linear / peft.lora / peft.ia3 (weights as arith.constant
or onnx.initializer) are exported with `peft-translate --export-onnx`, run by
onnxruntime, and compared with the same MLIR run by `peft-run` (CPU JIT) and
with numpy's float64 formula, all within 1e-5. The graphs are checked for the
operators and node names the exporter promises (`/<module scope>/lora_A/MatMul`,
Gemm(transB=1) on 2-D inputs, weights referenced and never rewritten), and
unmerged DoRA for both weight layouts at opsets 17 and 18 (ReduceL2's `axes`
an attribute, then an input).
"""

import subprocess

import numpy as np
import onnx
from onnx import numpy_helper
import pytest

TOL = dict(rtol=1e-5, atol=1e-5)


def dense(a):
    """An MLIR dense literal of a float32 array (shortest exact repr)."""
    def rec(x):
        if x.ndim == 0:
            return repr(float(x))
        return "[" + ", ".join(rec(v) for v in x) + "]"
    return f"dense<{rec(np.asarray(a, np.float32))}>"


def ttype(a):
    return "tensor<" + "x".join(str(d) for d in a.shape) + "xf32>"


def const(name, a):
    return f"%{name} = arith.constant {dense(a)} : {ttype(a)}"


def init(name, onnx_name, a):
    return f'%{name} = onnx.initializer "{onnx_name}" {dense(a)} : {ttype(a)}'


def module(body, args="%x: tensor<?x?x16xf32> {onnx.name = \"x\"}",
           result="tensor<?x?x24xf32>"):
    return (f"func.func @main({args}) -> ({result} {{onnx.name = \"y\"}}) {{\n"
            + "\n".join("  " + line for line in body) + "\n}\n")


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.fixture
def export_and_run(peft_bin, tmp_path, run_ort):
    """export_and_run(mlir_text, inputs) -> (onnx model, ort y, peft-run y)."""
    counter = [0]

    def go(text, inputs, pipeline=None):
        counter[0] += 1
        d = tmp_path / f"m{counter[0]}"
        d.mkdir()
        src = d / "model.mlir"
        src.write_text(text)
        if pipeline:
            r = subprocess.run([str(peft_bin / "peft-opt"), str(src), pipeline,
                                "-o", str(d / "lowered.mlir")],
                               capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
            src = d / "lowered.mlir"
        out = d / "model.onnx"
        r = subprocess.run([str(peft_bin / "peft-translate"), "--export-onnx",
                            str(src), "-o", str(out)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        model = onnx.load(str(out))
        onnx.checker.check_model(model)
        ort_y = run_ort(out, inputs)["y"]

        cmd = [str(peft_bin / "peft-run"), str(src), "--output-dir", str(d / "out")]
        for name, value in inputs.items():
            np.save(d / f"{name}.npy", value)
            cmd += ["--input", f"{name}={d / (name + '.npy')}"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr + r.stdout
        jit_y = np.load(d / "out" / "y.npy")
        return model, ort_y, jit_y

    return go


def node_names(model):
    return [(n.op_type, n.name) for n in model.graph.node]


def f32(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def d(a):
    return a.astype(np.float64)


@pytest.mark.parametrize("layout", ["out_in", "in_out"])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_3d(export_and_run, rng, layout, bias):
    w = f32(rng, 24, 16, scale=0.3)
    b = f32(rng, 24)
    stored = w if layout == "out_in" else np.ascontiguousarray(w.T)
    wt = ttype(stored)
    body = [init("w", "model.fc.weight", stored)]
    if bias:
        body.append(init("b", "model.fc.bias", b))
    operands = "%x, %w, %b" if bias else "%x, %w"
    types = f"tensor<?x?x16xf32>, {wt}" + (", tensor<24xf32>" if bias else "")
    body += [f'%y = peft.linear {operands} layout {layout} role other path "model.fc" '
             f": {types} -> tensor<?x?x24xf32>",
             "return %y : tensor<?x?x24xf32>"]
    x = f32(rng, 2, 5, 16)
    model, ort_y, jit_y = export_and_run(module(body), {"x": x})
    want = d(x) @ d(w).T + (d(b) if bias else 0)
    np.testing.assert_allclose(ort_y, want, **TOL)
    np.testing.assert_allclose(jit_y, ort_y, **TOL)

    nodes = node_names(model)
    expected = ([("Transpose", "/model/fc/Transpose")] if layout == "out_in" else []) + \
        [("MatMul", "/model/fc/MatMul")] + ([("Add", "/model/fc/Add")] if bias else [])
    assert nodes == expected
    # The weight is referenced as it is stored, not rewritten.
    weights = {t.name: t for t in model.graph.initializer}
    assert list(weights["model.fc.weight"].dims) == list(stored.shape)
    assert numpy_helper.to_array(weights["model.fc.weight"]).tobytes() == stored.tobytes()


@pytest.mark.parametrize("bias", [True, False])
def test_linear_2d_gemm(export_and_run, rng, bias):
    w, b = f32(rng, 24, 16, scale=0.3), f32(rng, 24)
    body = [const("w", w)] + ([const("b", b)] if bias else [])
    operands = "%x, %w, %b" if bias else "%x, %w"
    types = "tensor<?x16xf32>, tensor<24x16xf32>" + (", tensor<24xf32>" if bias else "")
    body += [f"%y = peft.linear {operands} layout out_in role q path \"model.layers.0.attn.q_proj\" "
             f": {types} -> tensor<?x24xf32>", "return %y : tensor<?x24xf32>"]
    x = f32(rng, 7, 16)
    model, ort_y, jit_y = export_and_run(
        module(body, args='%x: tensor<?x16xf32> {onnx.name = "x"}', result="tensor<?x24xf32>"),
        {"x": x})
    np.testing.assert_allclose(ort_y, d(x) @ d(w).T + (d(b) if bias else 0), **TOL)
    np.testing.assert_allclose(jit_y, ort_y, **TOL)
    (gemm,) = model.graph.node
    assert (gemm.op_type, gemm.name) == ("Gemm", "/model/layers.0/attn/q_proj/Gemm")
    assert [(a.name, a.i) for a in gemm.attribute] == [("transB", 1)]
    assert len(gemm.input) == (3 if bias else 2)


def lora_layer(rng, scale=0.5, merged=False, adapter=None):
    w, b = f32(rng, 24, 16, scale=0.3), f32(rng, 24)
    a, bb = f32(rng, 4, 16, scale=0.3), f32(rng, 24, 4)
    attrs = f"scale {scale}" + (f' adapter "{adapter}"' if adapter else "") + \
        (" merged" if merged else "")
    body = [init("w", "q.weight", w), init("b", "q.bias", b),
            init("a", "q.lora_A", a), init("bb", "q.lora_B", bb),
            '%y = peft.linear %x, %w, %b layout out_in role q path "model.layers.0.self_attn.q_proj" '
            ": tensor<?x?x16xf32>, tensor<24x16xf32>, tensor<24xf32> -> tensor<?x?x24xf32>",
            f"%z = peft.lora %x, %y, %a, %bb {attrs} : tensor<?x?x16xf32>, tensor<?x?x24xf32>, "
            "tensor<4x16xf32>, tensor<24x4xf32>",
            "return %z : tensor<?x?x24xf32>"]
    return body, (w, b, a, bb)


def test_lora_unmerged(export_and_run, rng):
    body, (w, b, a, bb) = lora_layer(rng)
    x = f32(rng, 3, 4, 16)
    model, ort_y, jit_y = export_and_run(module(body), {"x": x})
    want = d(x) @ d(w).T + d(b) + 0.5 * (d(x) @ d(a).T) @ d(bb).T
    np.testing.assert_allclose(ort_y, want, **TOL)
    np.testing.assert_allclose(jit_y, ort_y, **TOL)
    scope = "/model/layers.0/self_attn/q_proj"
    assert node_names(model) == [
        ("Transpose", scope + "/Transpose"), ("MatMul", scope + "/MatMul"),
        ("Add", scope + "/Add"),
        ("Transpose", scope + "/lora_A/Transpose"), ("MatMul", scope + "/lora_A/MatMul"),
        ("Transpose", scope + "/lora_B/Transpose"), ("MatMul", scope + "/lora_B/MatMul"),
        ("Mul", scope + "/lora_B/Mul"), ("Add", scope + "/lora/Add")]
    # No [out, in] tensor besides the base weight: B·A is never formed.
    assert sorted(tuple(t.dims) for t in model.graph.initializer) == \
        sorted([(24, 16), (24,), (4, 16), (24, 4), ()])


def test_lora_merged_exports_only_the_base(export_and_run, rng):
    body, (w, b, _, _) = lora_layer(rng, merged=True)
    x = f32(rng, 2, 3, 16)
    model, ort_y, jit_y = export_and_run(module(body), {"x": x})
    np.testing.assert_allclose(ort_y, d(x) @ d(w).T + d(b), **TOL)
    np.testing.assert_allclose(jit_y, ort_y, **TOL)
    assert [n.op_type for n in model.graph.node] == ["Transpose", "MatMul", "Add"]
    # A and B stay in the IR for an unmerge but are not written to the model.
    assert sorted(t.name for t in model.graph.initializer) == ["q.bias", "q.weight"]


def test_lora_named_adapter_scopes(export_and_run, rng):
    body, _ = lora_layer(rng, adapter="sst2", scale=1.0)
    model, ort_y, jit_y = export_and_run(module(body), {"x": f32(rng, 1, 2, 16)})
    np.testing.assert_allclose(jit_y, ort_y, **TOL)
    names = [n.name for n in model.graph.node]
    assert "/model/layers.0/self_attn/q_proj/lora_A/sst2/MatMul" in names
    assert not any(n.op_type == "Mul" for n in model.graph.node)  # scale 1


@pytest.mark.parametrize("feedforward", [False, True])
def test_ia3(export_and_run, rng, feedforward):
    w, b = f32(rng, 24, 16, scale=0.3), f32(rng, 24)
    l = f32(rng, 16 if feedforward else 24)
    body = [const("w", np.ascontiguousarray(w.T)), const("b", b), const("l", l),
            '%y = peft.linear %x, %w, %b layout in_out role down path "mlp.down_proj" '
            ": tensor<?x?x16xf32>, tensor<16x24xf32>, tensor<24xf32> -> tensor<?x?x24xf32>",
            f"%z = peft.ia3 %y, %l{' feedforward' if feedforward else ''} : "
            f"tensor<?x?x24xf32>, {ttype(l)}", "return %z : tensor<?x?x24xf32>"]
    x = f32(rng, 2, 3, 16)
    model, ort_y, jit_y = export_and_run(module(body), {"x": x})
    if feedforward:
        want = (d(x) * d(l)) @ d(w).T + d(b)
        # The layer's own product is not exported: it is computed on x ⊙ l.
        assert node_names(model) == [("Mul", "/mlp/down_proj/ia3/Mul"),
                                     ("MatMul", "/mlp/down_proj/MatMul"),
                                     ("Add", "/mlp/down_proj/Add")]
    else:
        want = (d(x) @ d(w).T + d(b)) * d(l)
        assert [n.op_type for n in model.graph.node] == ["MatMul", "Add", "Mul"]
    np.testing.assert_allclose(ort_y, want, **TOL)
    np.testing.assert_allclose(jit_y, ort_y, **TOL)


def test_runtime_adapter_inputs(export_and_run, rng):
    """peft-lora-as-inputs: A, B zero-padded to max-rank and the scale are
    graph inputs; ORT and the JIT agree with the unpadded adapter."""
    body, (w, b, a, bb) = lora_layer(rng)
    x = f32(rng, 2, 3, 16)
    a2, b2 = f32(rng, 3, 16, scale=0.3), f32(rng, 24, 3)   # another adapter, rank 3
    pa = np.zeros((8, 16), np.float32)
    pa[:3] = a2
    pb = np.zeros((24, 8), np.float32)
    pb[:, :3] = b2
    key = "model.layers.0.self_attn.q_proj"
    inputs = {"x": x, key + ".lora_A.weight": pa, key + ".lora_B.weight": pb,
              key + ".lora_scale": np.array([2.0], np.float32)}
    model, ort_y, jit_y = export_and_run(module(body), inputs,
                                         pipeline="--peft-lora-as-inputs=max-rank=8")
    assert [i.name for i in model.graph.input] == list(inputs)
    want = d(x) @ d(w).T + d(b) + 2.0 * (d(x) @ d(a2).T) @ d(b2).T
    np.testing.assert_allclose(ort_y, want, **TOL)
    np.testing.assert_allclose(jit_y, ort_y, **TOL)
    # The constant adapter is gone from the graph.
    assert sorted(t.name for t in model.graph.initializer) == ["q.bias", "q.weight"]


def with_opset(text, opset):
    return (f'module attributes {{onnx.opset_import = [["", {opset} : i64]]}} {{\n'
            + text + "}\n")


@pytest.mark.parametrize("layout", ["out_in", "in_out"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("rank", [2, 3])
@pytest.mark.parametrize("opset,scale", [(17, 0.5), (18, 2.0)])
def test_dora_unmerged(export_and_run, rng, layout, bias, rank, opset, scale):
    """Unmerged DoRA: g = m / ‖W0 + s·B·A‖_row rescales the output rows
    without the bias; the norms are a ReduceL2 over the stored weight plus
    B·A (Aᵀ·Bᵀ for in_out), the weight referenced, never copied."""
    w, b = f32(rng, 24, 16, scale=0.3), f32(rng, 24)
    a, bb = f32(rng, 4, 16, scale=0.3), f32(rng, 24, 4, scale=0.3)
    m = (np.linalg.norm(d(w), axis=1) * (1 + 0.3 * rng.standard_normal(24))).astype(np.float32)
    stored = w if layout == "out_in" else np.ascontiguousarray(w.T)
    xt = "tensor<?x16xf32>" if rank == 2 else "tensor<?x?x16xf32>"
    yt = "tensor<?x24xf32>" if rank == 2 else "tensor<?x?x24xf32>"
    body = [init("w", "fc.weight", stored), init("a", "fc.lora_A", a),
            init("bb", "fc.lora_B", bb), init("m", "fc.lora_magnitude", m)]
    if bias:
        body.append(init("b", "fc.bias", b))
    operands = "%x, %w, %b" if bias else "%x, %w"
    types = f"{xt}, {ttype(stored)}" + (", tensor<24xf32>" if bias else "")
    body += [f'%y = peft.linear {operands} layout {layout} role q path "model.fc" '
             f": {types} -> {yt}",
             f"%z = peft.lora %x, %y, %a, %bb magnitude %m scale {scale} : {xt}, {yt}, "
             "tensor<4x16xf32>, tensor<24x4xf32>, tensor<24xf32>",
             f"return %z : {yt}"]
    x = f32(rng, 7, 16) if rank == 2 else f32(rng, 2, 5, 16)
    text = with_opset(module(body, args=f'%x: {xt} {{onnx.name = "x"}}', result=yt), opset)
    model, ort_y, jit_y = export_and_run(text, {"x": x})

    adapted = d(w) + scale * d(bb) @ d(a)
    g = d(m) / np.linalg.norm(adapted, axis=1)
    lora = scale * (d(x) @ d(a).T) @ d(bb).T
    want = g * (d(x) @ d(w).T + lora) + (d(b) if bias else 0)
    np.testing.assert_allclose(ort_y, want, **TOL)
    np.testing.assert_allclose(jit_y, ort_y, **TOL)

    assert [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] == [opset]
    scope = "/model/fc"
    nodes = {name: n for n, name in zip(model.graph.node, [n.name for n in model.graph.node])}
    for op, name in [("MatMul", "/lora_A/MatMul"), ("MatMul", "/lora_B/MatMul"),
                     ("MatMul", "/lora/weight_norm/MatMul"), ("Add", "/lora/weight_norm/Add"),
                     ("ReduceL2", "/lora/weight_norm/ReduceL2"), ("Div", "/lora/Div"),
                     ("Add", "/lora/Add"), ("Mul", "/lora/Mul")]:
        assert nodes[scope + name].op_type == op, name
    assert (scope + "/lora/Sub" in nodes) == bias
    last = model.graph.node[-1]
    assert (last.name, last.output[0]) == (scope + ("/lora/Add_1" if bias else "/lora/Mul"), "y")
    # The stored weight is what the norm's Add reads.
    assert nodes[scope + "/lora/weight_norm/Add"].input[0] == "fc.weight"
    reduce = nodes[scope + "/lora/weight_norm/ReduceL2"]
    axis = 1 if layout == "out_in" else 0
    attrs = {x.name: x for x in reduce.attribute}
    assert attrs["keepdims"].i == 0
    weights = {t.name: t for t in model.graph.initializer}
    if opset >= 18:
        assert "axes" not in attrs and len(reduce.input) == 2
        assert numpy_helper.to_array(weights[reduce.input[1]]).tolist() == [axis]
    else:
        assert list(attrs["axes"].ints) == [axis] and len(reduce.input) == 1
    # The weight is referenced as stored; nothing of its size is added.
    assert numpy_helper.to_array(weights["fc.weight"]).tobytes() == stored.tobytes()
    assert [t.name for t in model.graph.initializer
            if int(np.prod(t.dims)) >= 24 * 16] == ["fc.weight"]


def test_dora_named_adapter_scopes(export_and_run, rng):
    w, a, bb = f32(rng, 24, 16, scale=0.3), f32(rng, 2, 16), f32(rng, 24, 2)
    m = np.linalg.norm(w, axis=1).astype(np.float32)
    body = [const("w", w), const("a", a), const("bb", bb), const("m", m),
            '%y = peft.linear %x, %w layout out_in role q path "q" '
            ": tensor<?x?x16xf32>, tensor<24x16xf32> -> tensor<?x?x24xf32>",
            '%z = peft.lora %x, %y, %a, %bb magnitude %m scale 1.0 adapter "sst2" : '
            "tensor<?x?x16xf32>, tensor<?x?x24xf32>, tensor<2x16xf32>, tensor<24x2xf32>, "
            "tensor<24xf32>",
            "return %z : tensor<?x?x24xf32>"]
    x = f32(rng, 2, 3, 16)
    model, ort_y, jit_y = export_and_run(module(body), {"x": x})
    adapted = d(w) + d(bb) @ d(a)
    want = d(m) / np.linalg.norm(adapted, axis=1) * (d(x) @ adapted.T)
    np.testing.assert_allclose(ort_y, want, **TOL)
    np.testing.assert_allclose(jit_y, ort_y, **TOL)
    names = [n.name for n in model.graph.node]
    assert "/q/lora/sst2/weight_norm/ReduceL2" in names and "/q/lora/sst2/Mul" in names
    assert not any(n.op_type == "Mul" and "weight_norm" in n.name for n in model.graph.node)
    # No opset attribute on the module: the default opset 17 takes axes
    # as an attribute.
    (reduce,) = [n for n in model.graph.node if n.op_type == "ReduceL2"]
    assert [x.name for x in reduce.attribute] == ["axes", "keepdims"]


def test_imported_model_with_inserted_lora(peft_bin, tmp_path, run_ort):
    """An exporter-style ONNX MLP through peft-raise-linear and peft-insert-lora
    (PiSSA: nonzero adapters, same function) exported back: onnxruntime gives
    the original model's outputs, and the JIT agrees; with
    peft-lora-as-inputs, a random adapter fed to onnxruntime matches numpy."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(3)
    w1, b1 = f32(rng, 16, 32, scale=0.25), f32(rng, 32)
    w2 = f32(rng, 32, 8, scale=0.25)
    nodes = [helper.make_node("MatMul", ["x", "onnx::MatMul_1"], ["h0"], name="/model/fc1/MatMul"),
             helper.make_node("Add", ["model.fc1.bias", "h0"], ["h1"], name="/model/fc1/Add"),
             helper.make_node("Relu", ["h1"], ["h2"], name="/model/act/Relu"),
             helper.make_node("MatMul", ["h2", "onnx::MatMul_2"], ["y"], name="/model/fc2/MatMul")]
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq", 8])],
        [numpy_helper.from_array(w1, "onnx::MatMul_1"), numpy_helper.from_array(b1, "model.fc1.bias"),
         numpy_helper.from_array(w2, "onnx::MatMul_2")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "mlp.onnx"))
    x = f32(rng, 2, 3, 16)
    want = run_ort(tmp_path / "mlp.onnx", {"x": x})["y"]

    def tool(*args):
        r = subprocess.run([str(peft_bin / args[0]), *map(str, args[1:])],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return r

    insert = "--peft-insert-lora=targets=fc1,fc2 rank=4 init=pissa"
    tool("peft-opt", tmp_path / "mlp.onnx", "--peft-raise-linear", insert,
         "-o", tmp_path / "lora.mlir")
    tool("peft-translate", "--export-onnx", tmp_path / "lora.mlir", "-o", tmp_path / "lora.onnx")
    exported = onnx.load(str(tmp_path / "lora.onnx"))
    onnx.checker.check_model(exported)
    assert "/model/fc2/lora_B/MatMul" in [n.name for n in exported.graph.node]
    np.testing.assert_allclose(run_ort(tmp_path / "lora.onnx", {"x": x})["y"], want, **TOL)
    np.save(tmp_path / "x.npy", x)
    tool("peft-run", tmp_path / "lora.mlir", "--input", f"x={tmp_path / 'x.npy'}",
         "--output-dir", tmp_path / "out")
    np.testing.assert_allclose(np.load(tmp_path / "out" / "y.npy"), want, **TOL)

    # Runtime adapters on the unmodified base (B = 0 init keeps W0).
    tool("peft-opt", tmp_path / "mlp.onnx", "--peft-raise-linear",
         "--peft-insert-lora=targets=fc1,fc2 rank=4 init=gaussian",
         "--peft-lora-as-inputs=max-rank=8", "-o", tmp_path / "rt.mlir")
    tool("peft-translate", "--export-onnx", tmp_path / "rt.mlir", "-o", tmp_path / "rt.onnx")
    a1, bb1 = f32(rng, 5, 16, scale=0.25), f32(rng, 32, 5)
    feeds = {"x": x,
             "model.fc1.lora_A.weight": np.pad(a1, ((0, 3), (0, 0))),
             "model.fc1.lora_B.weight": np.pad(bb1, ((0, 0), (0, 3))),
             "model.fc1.lora_scale": np.array([0.75], np.float32),
             "model.fc2.lora_A.weight": np.zeros((8, 32), np.float32),
             "model.fc2.lora_B.weight": np.zeros((8, 8), np.float32),
             "model.fc2.lora_scale": np.zeros(1, np.float32)}
    h = np.maximum(d(x) @ d(w1) + d(b1) + 0.75 * (d(x) @ d(a1).T) @ d(bb1).T, 0)
    np.testing.assert_allclose(run_ort(tmp_path / "rt.onnx", feeds)["y"], h @ d(w2), **TOL)


def bank_reference(x, base, a, b, offsets, scales, ids):
    """A routed adapter bank in float64: the rows of x, split into len(ids)
    equal groups, add s_t·(x·A_tᵀ)·B_tᵀ at task t's own rank (none for -1 or
    an id outside the bank)."""
    rows, y = d(x).reshape(-1, x.shape[-1]), d(base).reshape(-1, base.shape[-1])
    n = rows.shape[0] // len(ids)
    for g, t in enumerate(ids):
        if 0 <= t < len(scales):
            o, r = offsets[t], offsets[t + 1] - offsets[t]
            group = slice(g * n, (g + 1) * n)
            y[group] += scales[t] * (rows[group] @ d(a[o:o + r]).T) @ d(b[:, o:o + r]).T
    return y.reshape(base.shape)


BANK_LAYER = ('%y = peft.linear %x, %w, %bias layout out_in role q '
              'path "model.layers.0.self_attn.q_proj" '
              ": tensor<?x?x16xf32>, tensor<24x16xf32>, tensor<24xf32> -> tensor<?x?x24xf32>")


@pytest.mark.parametrize("ids,shape", [
    ([2, 0, -1, 7, 1, 2], (6, 4, 16)),   # one sequence a group; rank-0 task; out of range
    ([2, 0], (6, 4, 16)),                # three sequences a group
    ([-1, -1, -1], (3, 2, 16)),          # no task at all: the largest rank is still gathered
])
def test_lora_bank_static(export_and_run, rng, ids, shape):
    """A static routed bank (ragged ranks 3, 0, 5) in onnxruntime equals the
    JIT and the per-group formula; the stack is referenced, not rewritten."""
    w, bias = f32(rng, 24, 16, scale=0.3), f32(rng, 24)
    a, b = f32(rng, 8, 16, scale=0.3), f32(rng, 24, 8)
    ranks, scales = [3, 0, 5], [2.0, 1.0, 0.5]
    body = [init("w", "q.weight", w), init("bias", "q.bias", bias),
            init("a", "q.bank_A", a), init("b", "q.bank_B", b), BANK_LAYER,
            '%z = peft.lora_bank %x, %y, %a, %b task_ids %ids tasks ["a", "b", "c"] '
            f"ranks {ranks} scales {scales} : tensor<?x?x16xf32>, tensor<?x?x24xf32>, "
            "tensor<8x16xf32>, tensor<24x8xf32>, tensor<?xi64>",
            "return %z : tensor<?x?x24xf32>"]
    args = '%x: tensor<?x?x16xf32> {onnx.name = "x"}, %ids: tensor<?xi64> {onnx.name = "task_ids"}'
    x, ids = f32(rng, *shape), np.array(ids, np.int64)
    model, ort_y, jit_y = export_and_run(module(body, args=args), {"x": x, "task_ids": ids})
    base = d(x) @ d(w).T + d(bias)
    want = bank_reference(x, base, a, b, np.cumsum([0] + ranks), scales, ids)
    np.testing.assert_allclose(ort_y, want, **TOL)
    np.testing.assert_allclose(jit_y, ort_y, **TOL)
    assert [i.name for i in model.graph.input] == ["x", "task_ids"]
    weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    assert weights["q.bank_A"].tobytes() == a.tobytes()
    assert weights["q.bank_B"].tobytes() == b.tobytes()
    scope = "/model/layers.0/self_attn/q_proj/lora_bank"
    assert ("Add", scope + "/Add") in node_names(model)
    # No full-stack copy and no dense update: only gathered [G, ...] slices.
    assert not any(n.op_type in ("Transpose", "MatMul") and n.input[0] in ("q.bank_A", "q.bank_B")
                   for n in model.graph.node)


@pytest.mark.parametrize("offsets", [[0, 3, 3, 7], [0, 8, 8, 8], [0, 0, 0, 0]])
def test_lora_bank_runtime(export_and_run, rng, offsets):
    """A runtime bank (3 slots, capacity 8) exports its stack, offsets and
    scales as inputs: any layout the inputs carry runs in onnxruntime, padding
    rows past the last task included."""
    w, bias = f32(rng, 24, 16, scale=0.3), f32(rng, 24)
    path = "model.layers.0.self_attn.q_proj"
    args = ('%x: tensor<?x?x16xf32> {onnx.name = "x"}, '
            f'%a: tensor<8x16xf32> {{onnx.name = "{path}.bank_A"}}, '
            f'%b: tensor<24x8xf32> {{onnx.name = "{path}.bank_B"}}, '
            f'%o: tensor<4xi64> {{onnx.name = "{path}.bank_offsets"}}, '
            f'%s: tensor<3xf32> {{onnx.name = "{path}.bank_scales"}}, '
            '%ids: tensor<?xi64> {onnx.name = "task_ids"}')
    body = [init("w", "q.weight", w), init("bias", "q.bias", bias), BANK_LAYER,
            "%z = peft.lora_bank %x, %y, %a, %b task_ids %ids "
            "runtime(%o : tensor<4xi64>, %s : tensor<3xf32>) : tensor<?x?x16xf32>, "
            "tensor<?x?x24xf32>, tensor<8x16xf32>, tensor<24x8xf32>, tensor<?xi64>",
            "return %z : tensor<?x?x24xf32>"]
    x, ids = f32(rng, 5, 3, 16), np.array([1, 0, -1, 2, 3], np.int64)
    a, b = f32(rng, 8, 16, scale=0.3), f32(rng, 24, 8)
    scales = np.array([2.0, 0.5, 1.5], np.float32)
    inputs = {"x": x, f"{path}.bank_A": a, f"{path}.bank_B": b,
              f"{path}.bank_offsets": np.array(offsets, np.int64),
              f"{path}.bank_scales": scales, "task_ids": ids}
    model, ort_y, jit_y = export_and_run(module(body, args=args), inputs)
    assert [i.name for i in model.graph.input] == list(inputs)
    base = d(x) @ d(w).T + d(bias)
    want = bank_reference(x, base, a, b, offsets, scales, ids)
    np.testing.assert_allclose(ort_y, want, **TOL)
    np.testing.assert_allclose(jit_y, ort_y, **TOL)


def test_f16_bank_in_onnxruntime(export_and_run):
    """An f16 routed bank (ranks 2 and 3, one row group without a task):
    onnxruntime on the export and our JIT both give the float64 formula
    within f16 rounding (2 ulps of the largest output)."""
    text = '''func.func @main(%x: tensor<?x3x8xf16> {onnx.name = "x"}, %ids: tensor<?xi64> {onnx.name = "task_ids"}) -> (tensor<?x3x8xf16> {onnx.name = "y"}) {
  %w = arith.constant dense<0.125> : tensor<8x8xf16>
  %a = arith.constant dense<0.25> : tensor<5x8xf16>
  %b = arith.constant dense<0.5> : tensor<8x5xf16>
  %y = peft.linear %x, %w layout out_in role q path "m.q" : tensor<?x3x8xf16>, tensor<8x8xf16> -> tensor<?x3x8xf16>
  %z = peft.lora_bank %x, %y, %a, %b task_ids %ids tasks ["a", "b"] ranks [2, 3] scales [2.0, 0.5]
         : tensor<?x3x8xf16>, tensor<?x3x8xf16>, tensor<5x8xf16>, tensor<8x5xf16>, tensor<?xi64>
  return %z : tensor<?x3x8xf16>
}
'''
    x = np.random.default_rng(0).standard_normal((3, 3, 8)).astype(np.float16)
    ids = np.array([1, -1, 0], np.int64)
    _, ort_y, jit_y = export_and_run(text, {"x": x, "task_ids": ids})
    xd = x.astype(np.float64)
    want = xd @ np.full((8, 8), 0.125).T
    for g, (rank, scale) in ((0, (3, 0.5)), (2, (2, 2.0))):
        want[g] += scale * (xd[g] @ np.full((rank, 8), 0.25).T) @ np.full((8, rank), 0.5).T
    tol = 2 * 2.0 ** -10 * float(np.max(np.abs(want)))
    for got in (ort_y, jit_y):
        assert got.dtype == np.float16
        assert float(np.max(np.abs(got.astype(np.float64) - want))) <= tol
