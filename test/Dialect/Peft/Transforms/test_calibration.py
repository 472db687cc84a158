"""Calibration statistics (peft-instrument-calibration, peft-calibrate,
Module.calibrate) against numpy sums of the activations onnxruntime computes.

The reference: every linear layer's input tensor is made a graph output of
the ONNX model, onnxruntime runs it on each sample, and numpy sums XᵀX in
float64 over the rows. Our statistics come from the instrumented graph on
the CPU JIT (per-call sums in f32, added in f64).
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from safetensors.numpy import load_file

import peft_mlir

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "test" / "models"))
from activations import ort_tensors  # noqa: E402



def module_path(node_name):
    """The module path our importer gives a node: its exporter scope."""
    parts = node_name.strip("/").split("/")
    return ".".join(parts[:-1])


def linear_inputs(model):
    """{module path: name of the tensor the layer's MatMul reads}."""
    inits = {i.name for i in model.graph.initializer}
    produced_by_transpose = {n.output[0]: n for n in model.graph.node if n.op_type == "Transpose"}
    layers = {}
    for node in model.graph.node:
        if node.op_type != "MatMul":
            continue
        weight = node.input[1]
        if weight in produced_by_transpose:
            weight = produced_by_transpose[weight].input[0]
        if weight in inits:
            layers[module_path(node.name)] = node.input[0]
    return layers


def ort_activations(path, feeds_list):
    """{module path: list of the layer input per sample} from onnxruntime."""
    layers = linear_inputs(onnx.load(str(path)))
    per_sample = ort_tensors(path, sorted(set(layers.values())), feeds_list)
    return {p: [s[t] for s in per_sample] for p, t in layers.items()}


def reference_stats(path, feeds_list):
    stats = {}
    for layer, xs in ort_activations(path, feeds_list).items():
        rows = [x.reshape(-1, x.shape[-1]).astype(np.float64) for x in xs]
        stats[layer + ".input_xtx"] = sum(r.T @ r for r in rows)
        stats[layer + ".input_tokens"] = np.array([sum(r.shape[0] for r in rows)])
    return stats


def samples_for(name, entry_inputs, count):
    """`count` samples shaped like the model's reference inputs but with other
    batch and sequence sizes (the model is compiled once, shapes are dynamic)."""
    rng = np.random.default_rng(7)
    out = []
    for s in range(count):
        batch, seq = 1 + s % 2, 5 + 3 * s
        feeds = {}
        for k, v in entry_inputs.items():
            if k == "input_ids":
                feeds[k] = rng.integers(1, 60, size=(batch, seq)).astype(v.dtype)
            elif k == "attention_mask":
                m = np.ones((batch, seq), v.dtype)
                m[-1, seq - 2:] = 0  # padding in the last row
                feeds[k] = m
            else:  # token_type_ids
                feeds[k] = np.zeros((batch, seq), v.dtype)
        out.append(feeds)
    return out


def check_stats(ours, reference, rtol):
    """The layer-input statistics (the per-head and block ones are checked
    against torch in test_heads_and_blocks_match_torch)."""
    ours = {k: v for k, v in ours.items() if k.endswith(("input_xtx", "input_tokens"))}
    assert set(ours) == set(reference)
    for key, want in reference.items():
        got = ours[key]
        if key.endswith("_tokens"):
            np.testing.assert_array_equal(got, want, err_msg=key)
        else:
            err = np.abs(got - want).max() / np.abs(want).max()
            assert err <= rtol, f"{key}: relative error {err:.3g} > {rtol}"


@pytest.mark.parametrize("name", ["llama_opset17", "llama_opset17_nofold", "bert_opset17",
                                  "minilm_opset14"])
def test_calibrate_matches_numpy(onnx_models, name):
    path = onnx_models / f"{name}.onnx"
    inputs = dict(np.load(onnx_models / f"{name}.inputs.npz"))
    samples = samples_for(name, inputs, 3)
    m = peft_mlir.import_onnx(str(path))
    m.raise_linear()
    before = str(m)
    with pytest.warns(UserWarning, match="rank-deficient"):  # a few dozen tokens
        cal = m.calibrate(samples, progress=False)
    assert str(m) == before, "calibrate must leave the module as it is"
    assert cal.num_samples == 3
    ours = cal.statistics()
    reference = reference_stats(path, samples)
    # f32 sums of one call (≤ a few hundred rows) added in f64.
    check_stats(ours, reference, rtol=1e-5)
    assert cal.num_tokens == max(int(v[0]) for k, v in reference.items() if k.endswith("_tokens"))


def test_calibrate_half_precision(onnx_models):
    """An f16 model: statistics are summed in f32/f64 from the f16 activations.
    Our f16 activations and onnxruntime's round differently inside the model
    (≈ 1e-3 relative per value), so this compares at 1e-2."""
    name = "llama_opset17_f16"
    path = onnx_models / f"{name}.onnx"
    inputs = dict(np.load(onnx_models / f"{name}.inputs.npz"))
    samples = samples_for(name, inputs, 2)
    cal = peft_mlir.import_onnx(str(path)).calibrate(samples, progress=False)
    ours = cal.statistics()
    assert all(v.dtype in (np.float64, np.int64) for v in ours.values())
    check_stats(ours, reference_stats(path, samples), rtol=1e-2)


def test_tool_writes_the_same_file(onnx_models, peft_bin, tmp_path):
    name = "bert_opset17"
    path = onnx_models / f"{name}.onnx"
    inputs = dict(np.load(onnx_models / f"{name}.inputs.npz"))
    samples = samples_for(name, inputs, 3)
    for k in inputs:
        (tmp_path / k).mkdir()
        for i, s in enumerate(samples):
            np.save(tmp_path / k / f"{i:03d}.npy", s[k])
    out = tmp_path / "stats.safetensors"
    args = [str(peft_bin / "peft-calibrate"), str(path), "-o", str(out), "--progress=always"]
    args += [f"--input={k}={tmp_path / k}" for k in inputs]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "3/3 samples" in r.stderr and "wrote" in r.stderr
    written = load_file(str(out))
    check_stats(written, reference_stats(path, samples), rtol=1e-5)
    import json
    from safetensors import safe_open
    with safe_open(str(out), "np") as f:
        meta = f.metadata()
    assert meta["format"] == "peft-calibration" and meta["version"] == "1"
    description = json.loads(meta["description"])
    assert description["samples"] == 3 and description["model"] == f"{name}.onnx"
    assert {l["path"] for l in description["layers"]} == {
        k[:-len(".input_xtx")] for k in written if k.endswith(".input_xtx")}


def test_tool_errors(onnx_models, peft_bin, tmp_path):
    path = onnx_models / "bert_opset17.onnx"
    tool = str(peft_bin / "peft-calibrate")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    np.save(tmp_path / "a" / "0.npy", np.zeros((1, 4), np.int64))
    np.save(tmp_path / "b" / "0.npy", np.zeros((1, 4), np.int64))
    np.save(tmp_path / "b" / "1.npy", np.zeros((1, 4), np.int64))
    out = tmp_path / "stats.safetensors"
    cases = [
        ([f"--input=input_ids={tmp_path / 'a'}", f"--input=attention_mask={tmp_path / 'b'}"],
         "hold different numbers of samples (1 and 2)"),
        ([f"--input=input_ids={tmp_path / 'missing.npy'}"], "no such file"),
        ([f"--input=nonsense={tmp_path / 'a' / '0.npy'}"], "has no input 'nonsense'"),
        ([f"--input=input_ids={tmp_path / 'a' / '0.npy'}"], "attention_mask"),
        ([f"--input=input_ids{tmp_path}"], "expects name=path"),
    ]
    for extra, message in cases:
        r = subprocess.run([tool, str(path), "-o", str(out)] + extra, capture_output=True,
                           text=True)
        assert r.returncode == 1, (extra, r.stderr)
        assert message in r.stderr, (extra, r.stderr)
        assert not out.exists(), "a failed run must not leave a statistics file"


def test_rank_deficient_warning(onnx_models):
    path = onnx_models / "llama_opset17.onnx"
    m = peft_mlir.import_onnx(str(path))
    with pytest.warns(UserWarning, match=r"down_proj: 5 calibration tokens for 128 input"):
        m.calibrate({"input_ids": np.arange(1, 6, dtype=np.int64)[None]}, progress=False)


def test_heads_and_blocks_match_torch(onnx_models):
    """Per-head Σ QᵀQ / Σ KᵀK on post-rotary states and block influence,
    against the generator's own torch LLaMA: apply_rotary_pos_emb's outputs
    (K before repeat_kv) and each decoder layer's input and output, summed in
    float64 by numpy."""
    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "test" / "models"))
    import gen_models

    name = "llama_opset17"
    spec = gen_models.MODELS[name]
    model = spec.build(spec.seed).eval()
    inputs = dict(np.load(onnx_models / f"{name}.inputs.npz"))
    samples = samples_for(name, inputs, 2)

    captured = {"q": [], "k": [], "x": {}}
    original = gen_models.apply_rotary_pos_emb

    def recording(q, k, cos, sin):
        q, k = original(q, k, cos, sin)
        captured["q"].append(q.double().numpy())
        captured["k"].append(k.double().numpy())
        return q, k

    def hook(index):
        def record(module, args, output):
            captured["x"].setdefault(index, []).append(
                (args[0].double().numpy(), output.double().numpy()))
        return record

    layers = model.model.layers
    handles = [layer.register_forward_hook(hook(i)) for i, layer in enumerate(layers)]
    gen_models.apply_rotary_pos_emb = recording
    try:
        with torch.no_grad():
            for s in samples:
                model(torch.from_numpy(s["input_ids"]))
    finally:
        gen_models.apply_rotary_pos_emb = original
        for h in handles:
            h.remove()

    cal = peft_mlir.import_onnx(str(onnx_models / f"{name}.onnx"))
    with pytest.warns(UserWarning):
        cal = cal.calibrate(samples, progress=False)
    ours = cal.statistics()
    n = len(layers)
    for i in range(n):
        qs = captured["q"][i::n]  # call order: layer 0, 1, ... per sample
        ks = captured["k"][i::n]
        q_ref = sum(np.einsum("bhsi,bhsj->hij", q, q) for q in qs)
        k_ref = sum(np.einsum("bhsi,bhsj->hij", k, k) for k in ks)
        prefix = f"model.layers.{i}.self_attn"
        got_q, got_k = ours[f"{prefix}.q_proj.q_gram"], ours[f"{prefix}.k_proj.k_gram"]
        assert got_q.shape == q_ref.shape and got_k.shape == k_ref.shape
        assert np.abs(got_q - q_ref).max() <= 1e-4 * np.abs(q_ref).max()
        assert np.abs(got_k - k_ref).max() <= 1e-4 * np.abs(k_ref).max()
        rows = sum(q.shape[0] * q.shape[2] for q in qs)
        assert ours[f"{prefix}.q_proj.qk_tokens"][0] == rows

        distance, count = 0.0, 0
        for x_in, x_out in captured["x"][i]:
            a = x_in.reshape(-1, x_in.shape[-1])
            b = x_out.reshape(-1, x_out.shape[-1])
            cos = (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1))
            distance += float((1 - cos).sum())
            count += a.shape[0]
        got = ours[f"model.layers.{i}.block_influence"]
        assert got[1] == count
        assert abs(got[0] - distance) <= 1e-5 * count, (got, distance)
