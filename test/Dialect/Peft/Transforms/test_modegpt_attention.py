"""peft-modegpt Type III (value-output) on attention modules, against numpy.

The reference: the value projection's input X on the calibration data comes
from onnxruntime (the tensor made a graph output of the original ONNX model);
the old and new W_v, W_o are read from the original and the exported
compressed ONNX models; numpy measures the module error
Σ_j ‖X·W_v,j·[W_o,h…] − X·Ŵ_v,j·[Ŵ_o,h…]‖² over the key/value heads j and the
query heads h that read them, and computes the singular values of
C^{1/2}·W_v,j·[W_o,h…] itself.

Type II (key-query): numpy scores the head dims from onnxruntime's score
product inputs on the calibration data (√(Σ_h C_q,h,ii · C_k,ii) per key/value
group, rotate_half pairs summed), keeps the top ones, and checks that the
compressed model's first score product reads exactly those dims of the
original post-rotary Q and K (on new inputs), scaled by the original 1/√d,
and that the reported CR bound of every block is numpy's.
"""

import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

import peft_mlir

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "test" / "models"))
from activations import ort_tensors  # noqa: E402
from sliced_qkv import sliced_qkv  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]

# name -> (heads, kv heads, head dim, v path, o path, vocabulary)
MODELS = {
    "llama_opset17": (4, 2, 16, "model.layers.{}.self_attn.v_proj",
                      "model.layers.{}.self_attn.o_proj", 100),
    "bert_opset17": (4, 4, 8, "encoder.layer.{}.attention.self.value",
                     "encoder.layer.{}.attention.output.dense", 60),
    "minilm_opset14": (12, 12, 32, "encoder.layer.{}.attention.self.value",
                       "encoder.layer.{}.attention.output.dense", 30000),
    # Fused qkv (c_attn, cut by a Split); the scale is computed from Shape(v).
    "gpt2_matmul_opset17": (4, 4, 16, "transformer.h.{}.attn.c_attn",
                            "transformer.h.{}.attn.c_proj", 100),
}


def samples(name, inputs, count, seq=24):
    vocab = MODELS[name][5]
    rng = np.random.default_rng(11)
    out = []
    for _ in range(count):
        feeds = {}
        for k, v in inputs.items():
            if k == "input_ids":
                feeds[k] = rng.integers(0, vocab, size=(2, seq)).astype(v.dtype)
            elif k == "attention_mask":
                feeds[k] = np.ones((2, seq), v.dtype)
            else:
                feeds[k] = np.zeros((2, seq), v.dtype)
        out.append(feeds)
    return out


def module_path(node_name):
    return ".".join(node_name.strip("/").split("/")[:-1])


def linear_weights(model):
    """{module path: (weight [in, out], name of the input tensor)} of MatMuls
    with an initializer (possibly through a Transpose) as B."""
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    transposed = {n.output[0]: n.input[0] for n in model.graph.node if n.op_type == "Transpose"}
    layers = {}
    for node in model.graph.node:
        if node.op_type != "MatMul":
            continue
        w = node.input[1]
        if w in inits:
            layers[module_path(node.name)] = (inits[w].astype(np.float64), node.input[0])
        elif w in transposed and transposed[w] in inits:
            layers[module_path(node.name)] = (inits[transposed[w]].T.astype(np.float64),
                                              node.input[0])
    return layers


def ort_outputs(path, feeds):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, feeds)))


def calibrate(name, onnx_models, tmp_path, count):
    path = onnx_models / f"{name}.onnx"
    inputs = dict(np.load(onnx_models / f"{name}.inputs.npz"))
    cal_samples = samples(name, inputs, count)
    m = peft_mlir.import_onnx(str(path))
    m.raise_linear()
    stats = tmp_path / "stats.safetensors"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rank-deficient MLP statistics
        m.calibrate(cal_samples, out=stats, progress=False)
    return path, inputs, cal_samples, m, stats


def relative(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.abs(a - b).max() / np.abs(b).max()


def read_report(path):
    rows = []
    for line in Path(path).read_text().splitlines():
        cols = line.split()
        if len(cols) >= 9 and cols[1] == "vo":
            rows.append({"block": int(cols[0]), "dim": (int(cols[3]), int(cols[5])),
                         "params": int(cols[6]), "after": int(cols[7]), "error": float(cols[8])})
    return rows


@pytest.mark.parametrize("name", list(MODELS))
def test_full_dim_is_exact(onnx_models, tmp_path, name):
    """ratio=0 keeps k = d: Ŵ_v·Ŵ_o = W_v·W_o and the outputs stay."""
    path, inputs, _, m, stats = calibrate(name, onnx_models, tmp_path, 2)
    before = m.run(inputs)
    m.run_pipeline(f"peft-modegpt{{ratio=0 stats={stats} types=vo allocation=uniform "
                   f"report=none}}")
    after = m.run(inputs)
    for k in before:
        assert relative(after[k], before[k]) <= 1e-4, k


@pytest.mark.parametrize("name,count,lam", [("llama_opset17", 8, 0.0),
                                            ("bert_opset17", 8, 0.0),
                                            ("minilm_opset14", 12, 0.0)])
def test_value_output_error_is_the_formula(onnx_models, tmp_path, name, count, lam):
    heads, kv, d, vfmt, ofmt, _ = MODELS[name]
    path, inputs, cal_samples, m, stats = calibrate(name, onnx_models, tmp_path, count)
    report = tmp_path / "report.txt"
    m.run_pipeline(f"peft-modegpt{{ratio=0.25 stats={stats} types=vo allocation=uniform "
                   f"lambda={lam} report={report}}}")
    out = tmp_path / "compressed.onnx"
    m.export_onnx(str(out))

    # (c) onnxruntime on the export matches our CPU JIT.
    ours = m.run(inputs)
    theirs = ort_outputs(out, inputs)
    for k in ours:
        assert relative(ours[k], theirs[k]) <= 1e-4, k

    old = linear_weights(onnx.load(str(path)))
    new = linear_weights(onnx.load(str(out)))
    rows = read_report(report)
    blocks = sorted({int(re.search(r"\.(\d+)\.", p).group(1)) for p in old if p.startswith(vfmt.split("{")[0])})
    assert [r["block"] for r in rows] == blocks
    k = round(0.75 * d)
    acts = ort_tensors(path, sorted({old[vfmt.format(b)][1] for b in blocks}), cal_samples)
    g = heads // kv
    for b, row in zip(blocks, rows):
        wv, x_name = old[vfmt.format(b)]
        wo = old[ofmt.format(b)][0]
        nv, no = new[vfmt.format(b)][0], new[ofmt.format(b)][0]
        assert nv.shape == (wv.shape[0], kv * k) and no.shape == (heads * k, wo.shape[1])
        assert row["dim"] == (d, k)
        x = np.concatenate([a[x_name].reshape(-1, wv.shape[0]) for a in acts]).astype(np.float64)
        c = x.T @ x
        evals, evecs = np.linalg.eigh(c)
        assert evals.min() > 0, "calibration data must make C full rank for lambda=0"
        root = (evecs * np.sqrt(evals)) @ evecs.T
        measured, predicted, baseline = 0.0, 0.0, 0.0
        # Separate truncated SVDs of W_v and W_o at the same parameter count.
        rv = (wv.shape[0] * kv * k) // (wv.shape[0] + kv * d)
        ro = (heads * k * wo.shape[1]) // (heads * d + wo.shape[1])
        def truncate(w, r):
            u, s, vt = np.linalg.svd(w, full_matrices=False)
            return (u[:, :r] * s[:r]) @ vt[:r]
        tv, to = truncate(wv, rv), truncate(wo, ro)
        for j in range(kv):
            cols = slice(j * d, (j + 1) * d)
            ncols = slice(j * k, (j + 1) * k)
            ref = np.concatenate([wo[h * d:(h + 1) * d] for h in range(j * g, (j + 1) * g)], 1)
            got = np.concatenate([no[h * k:(h + 1) * k] for h in range(j * g, (j + 1) * g)], 1)
            low = np.concatenate([to[h * d:(h + 1) * d] for h in range(j * g, (j + 1) * g)], 1)
            target = x @ (wv[:, cols] @ ref)
            measured += ((target - x @ (nv[:, ncols] @ got)) ** 2).sum()
            baseline += ((target - x @ (tv[:, cols] @ low)) ** 2).sum()
            s = np.linalg.svd(root @ wv[:, cols] @ ref, compute_uv=False)
            predicted += (s[k:] ** 2).sum()
        assert abs(measured - predicted) <= 1e-3 * predicted, (b, measured, predicted)
        assert abs(row["error"] - predicted) <= 1e-3 * predicted, (b, row, predicted)
        assert measured <= baseline, (b, measured, baseline)
        params = wv.size + wo.size + (wo.shape[1] if name != "llama_opset17" else 0) \
            + (wv.shape[1] if name != "llama_opset17" else 0)
        assert row["params"] == params


def test_value_bias_is_folded(onnx_models, tmp_path):
    """BERT's v bias: the exported model's v bias is 0 and its o bias holds
    b_vᵀ·W_o; at ratio=0 the outputs stay (test_full_dim_is_exact)."""
    name = "bert_opset17"
    path, inputs, _, m, stats = calibrate(name, onnx_models, tmp_path, 4)
    m.run_pipeline(f"peft-modegpt{{ratio=0.5 stats={stats} types=vo allocation=uniform "
                   f"report=none}}")
    out = tmp_path / "c.onnx"
    m.export_onnx(str(out))
    model = onnx.load(str(out))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    adds = [n for n in model.graph.node if n.op_type == "Add" and "value" in n.name
            and any(i in inits for i in n.input)]
    assert len(adds) == 2
    for node in adds:
        bias = next(inits[i] for i in node.input if i in inits)
        assert bias.shape == (4 * 4,) and not bias.any()  # 4 heads of k = 4


def score_product(model):
    """[(A, B, scaled output)] of each attention's score product A·B in
    program order: the MatMul a Softmax reads through Where/Add/Div/Mul/Cast,
    with the output of the Div/Mul that reads it (the scaled scores)."""
    producer = {o: n for n in model.graph.node for o in n.output}
    found = []
    for node in model.graph.node:
        if node.op_type != "Softmax":
            continue
        chain, frontier = [], [node.input[0]]
        while frontier:
            name = frontier.pop(0)
            n = producer.get(name)
            if n is None:
                continue
            if n.op_type == "MatMul":
                scaled = next((c.output[0] for c in chain if c.op_type in ("Div", "Mul")
                               and n.output[0] in c.input), n.output[0])
                found.append((n.input[0], n.input[1], scaled))
                break
            if n.op_type in ("Where", "Add", "Div", "Mul", "Cast"):
                chain.append(n)
                frontier.extend(n.input)
    return found


def read_qk_report(path):
    rows = []
    for line in Path(path).read_text().splitlines():
        cols = line.split()
        if len(cols) >= 9 and cols[1] == "qk":
            rows.append({"block": int(cols[0]), "dim": (int(cols[3]), int(cols[5])),
                         "params": int(cols[6]), "after": int(cols[7]),
                         "error": float(cols[8])})
    return rows


# name -> (rotate_half pairs, ratio, expected k)
KEY_QUERY = {"llama_opset17": (True, 0.25, 12), "bert_opset17": (False, 0.25, 6),
             "minilm_opset14": (False, 0.25, 24), "gpt2_matmul_opset17": (False, 0.25, 12)}


@pytest.mark.parametrize("name", list(KEY_QUERY))
def test_key_query_keeps_the_top_cr_dims(onnx_models, tmp_path, name):
    heads, kv, d, _, _, _ = MODELS[name]
    pairs, ratio, k = KEY_QUERY[name]
    g = heads // kv
    path, inputs, cal_samples, m, stats = calibrate(name, onnx_models, tmp_path, 6)
    report = tmp_path / "report.txt"
    m.run_pipeline(f"peft-modegpt{{ratio={ratio} stats={stats} types=qk "
                   f"allocation=uniform report={report}}}")
    out = tmp_path / "compressed.onnx"
    m.export_onnx(str(out))

    # onnxruntime on the export matches our CPU JIT.
    ours = m.run(inputs)
    theirs = ort_outputs(out, inputs)
    for key in ours:
        assert relative(ours[key], theirs[key]) <= 1e-4, key

    old_model, new_model = onnx.load(str(path)), onnx.load(str(out))
    old_products, new_products = score_product(old_model), score_product(new_model)
    assert len(old_products) == len(new_products) > 0
    rows = read_qk_report(report)
    assert len(rows) == len(old_products)
    cal = ort_tensors(path, [t for p in old_products for t in p[:2]], cal_samples)
    test_feeds = samples(name, inputs, 2, seq=9)
    old_test = ort_tensors(path, [t for p in old_products for t in p], test_feeds)
    new_test = ort_tensors(out, [t for p in new_products for t in p], test_feeds)
    for block, ((qa, kb, _), (nqa, nkb, nscaled), row) in enumerate(
            zip(old_products, new_products, rows)):
        # Q [b, heads, s, d]; Kᵀ [b, heads, d, s] (after repeat_kv).
        q = np.concatenate([a[qa].astype(np.float64).transpose(1, 0, 2, 3).reshape(heads, -1, d)
                            for a in cal], 1)
        kt = np.concatenate([a[kb].astype(np.float64).transpose(1, 2, 0, 3).reshape(heads, d, -1)
                             for a in cal], 2)
        cq = (q ** 2).sum(1)             # [heads, d]: diag Σ QᵀQ
        ck = (kt ** 2).sum(2)[::g]       # [kv, d]: diag Σ KᵀK
        kept, bound, total = [], 0.0, 0.0
        for j in range(kv):
            score = np.sqrt(cq[j * g:(j + 1) * g].sum(0) * ck[j])
            if pairs:
                half = score[:d // 2] + score[d // 2:]
                top = np.sort(np.argsort(-half, kind="stable")[:k // 2])
                idx = np.concatenate([top, top + d // 2])
            else:
                idx = np.sort(np.argsort(-score, kind="stable")[:k])
            kept.append(idx)
            per = np.sqrt(cq[j * g:(j + 1) * g] * ck[j])
            total += per.sum()
            bound += per.sum() - per[:, idx].sum()
        assert row["dim"] == (d, k)
        assert abs(row["error"] - bound) <= 1e-3 * bound, (row, bound)
        if block > 0:
            continue  # later blocks read a residual stream block 0 changed
        for old, new in zip(old_test, new_test):
            oq, okt, nq, nkt = old[qa], old[kb], new[nqa], new[nkb]
            assert nq.shape[-1] == k and nkt.shape[-2] == k
            for h in range(heads):
                idx = kept[h // g]
                assert relative(nq[:, h], oq[:, h][..., idx]) <= 1e-5, (block, h)
                assert relative(nkt[:, h], okt[:, h][:, idx, :]) <= 1e-5, (block, h)
            # The scores are Q_S·K_Sᵀ with the original softmax scale 1/√d.
            want = np.stack([oq[:, h][..., kept[h // g]] @ okt[:, h][:, kept[h // g], :]
                             for h in range(heads)], 1) / np.sqrt(d)
            assert relative(new[nscaled], want) <= 1e-5, block


@pytest.mark.parametrize("name", list(KEY_QUERY))
def test_key_query_full_dim_is_exact(onnx_models, tmp_path, name):
    path, inputs, _, m, stats = calibrate(name, onnx_models, tmp_path, 2)
    before = m.run(inputs)
    m.run_pipeline(f"peft-modegpt{{ratio=0 stats={stats} types=qk,vo allocation=uniform "
                   f"report=none}}")
    after = m.run(inputs)
    for key in before:
        assert relative(after[key], before[key]) <= 1e-5, key


def test_key_query_and_value_output_together(onnx_models, tmp_path):
    """types=qk,vo shrinks q/k and v/o of the same attention to their own
    widths (rotate_half keeps k even); onnxruntime runs the export."""
    name = "llama_opset17"
    path, inputs, _, m, stats = calibrate(name, onnx_models, tmp_path, 6)
    m.run_pipeline(f"peft-modegpt{{ratio=0.4 stats={stats} types=qk,vo allocation=uniform "
                   f"report=none}}")
    out = tmp_path / "c.onnx"
    m.export_onnx(str(out))
    new = linear_weights(onnx.load(str(out)))
    # d = 16: qk keeps 2·round(0.6·8) = 10, vo round(0.6·16) = 10.
    assert new["model.layers.0.self_attn.q_proj"][0].shape == (64, 4 * 10)
    assert new["model.layers.0.self_attn.k_proj"][0].shape == (64, 2 * 10)
    assert new["model.layers.0.self_attn.v_proj"][0].shape == (64, 2 * 10)
    ours = m.run(inputs)
    theirs = ort_outputs(out, inputs)
    for key in ours:
        assert relative(ours[key], theirs[key]) <= 1e-4, key


def test_fused_qkv_value_output(onnx_models, tmp_path):
    """GPT-2's c_attn computes q, k and v, cut apart by a Split: Type III
    rewrites v's columns of the fused weight (q and k's stay bit for bit),
    narrows v's part of the Split, folds v's bias into c_proj's, and pins
    the scale GPT-2 computes from Shape(v) at 1/√16; the error numpy measures
    is the reported Σ dropped σ²."""
    name = "gpt2_matmul_opset17"
    heads, kv, d, vfmt, ofmt, _ = MODELS[name]
    k = 12
    path, inputs, cal_samples, m, stats = calibrate(name, onnx_models, tmp_path, 8)
    report = tmp_path / "report.txt"
    m.run_pipeline(f"peft-modegpt{{ratio=0.25 stats={stats} types=vo allocation=uniform "
                   f"lambda=0 report={report}}}")
    out = tmp_path / "c.onnx"
    m.export_onnx(str(out))
    ours = m.run(inputs)
    theirs = ort_outputs(out, inputs)
    for key in ours:
        assert relative(ours[key], theirs[key]) <= 1e-4, key
    old = linear_weights(onnx.load(str(path)))
    new = linear_weights(onnx.load(str(out)))
    rows = read_report(report)
    assert [r["block"] for r in rows] == [0, 1]
    acts = ort_tensors(path, [old[vfmt.format(b)][1] for b in (0, 1)], cal_samples)
    for b, row in zip((0, 1), rows):
        wqkv, x_name = old[vfmt.format(b)]
        nqkv = new[vfmt.format(b)][0]
        wo, no = old[ofmt.format(b)][0], new[ofmt.format(b)][0]
        hidden = heads * d
        assert nqkv.shape == (hidden, 2 * hidden + kv * k) and no.shape == (heads * k, hidden)
        assert np.array_equal(nqkv[:, :2 * hidden], wqkv[:, :2 * hidden])
        wv, nv = wqkv[:, 2 * hidden:], nqkv[:, 2 * hidden:]
        x = np.concatenate([a[x_name].reshape(-1, hidden) for a in acts]).astype(np.float64)
        evals, evecs = np.linalg.eigh(x.T @ x)
        root = (evecs * np.sqrt(evals)) @ evecs.T
        measured = predicted = 0.0
        for j in range(kv):
            ref, got = wv[:, j * d:(j + 1) * d] @ wo[j * d:(j + 1) * d], \
                nv[:, j * k:(j + 1) * k] @ no[j * k:(j + 1) * k]
            measured += ((x @ ref - x @ got) ** 2).sum()
            predicted += (np.linalg.svd(root @ ref, compute_uv=False)[k:] ** 2).sum()
        assert abs(measured - predicted) <= 1e-3 * predicted, (b, measured, predicted)
        assert abs(row["error"] - predicted) <= 1e-3 * predicted, (b, row, predicted)


def test_fused_qkv_cut_by_slices(onnx_models, tmp_path):
    """A fused qkv cut by Slices compresses as the Split form does (the same
    weights, bit for bit, and the same outputs); the Slices get the new
    part ranges, and onnxruntime runs the export."""
    name = "gpt2_matmul_opset17"
    heads, kv, d, vfmt, _, _ = MODELS[name]
    src = onnx_models / f"{name}.onnx"
    sliced = tmp_path / "sliced.onnx"
    sliced_qkv(src, sliced)
    inputs = dict(np.load(onnx_models / f"{name}.inputs.npz"))
    cal_samples = samples(name, inputs, 8)
    results = []
    for path in (src, sliced):
        m = peft_mlir.import_onnx(str(path))
        m.raise_linear()
        stats = tmp_path / f"{path.stem}.safetensors"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.calibrate(cal_samples, out=stats, progress=False)
        m.run_pipeline(f"peft-modegpt{{ratio=0.25 stats={stats} types=qk,vo "
                       f"allocation=uniform report=none}}")
        out = tmp_path / f"{path.stem}.c.onnx"
        m.export_onnx(str(out))
        ours = m.run(inputs)
        theirs = ort_outputs(out, inputs)
        for key in ours:
            assert relative(ours[key], theirs[key]) <= 1e-4, key
        results.append((ours, onnx.load(str(out))))
    (split_out, split_model), (slice_out, slice_model) = results
    for key in split_out:
        assert relative(slice_out[key], split_out[key]) <= 1e-6, key
    split_w, slice_w = linear_weights(split_model), linear_weights(slice_model)
    assert sorted(split_w) == sorted(slice_w)
    for path in split_w:
        assert np.array_equal(split_w[path][0], slice_w[path][0]), path
    # d = 16: qk keeps 2·round(0.75·8) = 12 per head, vo round(0.75·16) = 12.
    k = 12
    hidden = heads * d
    assert split_w[vfmt.format(0)][0].shape == (hidden, heads * k + kv * k + kv * k)
    inits = {i.name: numpy_helper.to_array(i) for i in slice_model.graph.initializer}
    consts = {n.output[0]: numpy_helper.to_array(n.attribute[0].t)
              for n in slice_model.graph.node if n.op_type == "Constant"}
    values = {**inits, **consts}
    ranges = sorted((int(values[n.input[1]][0]), int(values[n.input[2]][0]))
                    for n in slice_model.graph.node
                    if n.op_type == "Slice" and n.name.startswith("/transformer/h.0/attn/Split_"))
    assert ranges == [(0, heads * k), (heads * k, heads * k + kv * k),
                      (heads * k + kv * k, heads * k + 2 * kv * k)]


def test_compressed_model_lowers_to_ptx(peft_bin, tmp_path):
    """The GPU pipeline needs static shapes: the LLaMA of
    test/Pipelines/GPU/Inputs/export_static.py (batch 1, sequence 8)."""
    pytest.importorskip("torch")
    static = tmp_path / "llama.onnx"
    r = subprocess.run([sys.executable, str(ROOT / "test/Pipelines/GPU/Inputs/export_static.py"),
                        "llama", str(static)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    m = peft_mlir.import_onnx(str(static))
    m.raise_linear()
    rng = np.random.default_rng(3)
    stats = tmp_path / "s.safetensors"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.calibrate([{"input_ids": rng.integers(0, 100, (1, 8)).astype(np.int64)}
                     for _ in range(4)], out=stats, progress=False)
    m.run_pipeline(f"peft-modegpt{{ratio=0.25 stats={stats} types=vo allocation=uniform "
                   f"lambda=0.01 report=none}}")
    out = tmp_path / "c.onnx"
    m.export_onnx(str(out))
    ptx = tmp_path / "c.ptx"
    r = subprocess.run([str(peft_bin / "peft-translate"), "--emit-ptx", str(out), "-o", str(ptx)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    text = ptx.read_text()
    assert ".visible .entry" in text and ".target sm_" in text
