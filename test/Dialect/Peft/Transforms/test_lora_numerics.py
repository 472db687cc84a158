"""Numeric contracts of peft-insert-lora / peft-merge-lora / peft-unmerge-lora
(REFERENCE.md §1) on every generated model, executed on the CPU JIT:

- B = 0 (PEFT's default init): output bit-identical to the raised base model;
- PiSSA and OLoRA: the rewritten base plus s·B·A reproduces the base model's
  outputs, and the merged weights reconstruct W to 1e-5;
- merged vs unmerged outputs within 1e-5 relative;
- unmerge recovers the weights W0 to a few ulp of max(|W0|, |s·B·A|);
- the exported ONNX (adapters as MatMul chains, or merged) gives the same
  outputs under onnxruntime.

Weights are compared on the exported ONNX (peft-translate --export-onnx
writes peft.linear back as MatMul/Gemm with the same initializer names).
"""

import sys
from pathlib import Path

import numpy as np
import onnx
import peft_mlir
import pytest
from onnx import numpy_helper

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "test/models"))
import gen_models  # noqa: E402

MODELS = ["llama_opset17", "llama_opset17_nofold", "gpt2_conv1d_opset17",
          "gpt2_matmul_opset14", "bert_opset17", "minilm_opset14"]


def rel_err(got, ref):
    scale = max(float(np.max(np.abs(ref))), 1e-30)
    return float(np.max(np.abs(got.astype(np.float64) - ref))) / scale


def load(onnx_models, name):
    path = onnx_models / f"{name}.onnx"
    # Every model is required (the MiniLM weights too, installed by
    # scripts/setup): a missing one is a failure, not a skip.
    if not path.exists():
        pytest.fail(f"{name} was not generated (see manifest 'skipped')", pytrace=False)
    inputs = gen_models.load_npz(onnx_models / f"{name}.inputs.npz")
    return path, inputs


def export(module, tmp_path, tag):
    out = tmp_path / f"{tag}.onnx"
    module.export_onnx(str(out))
    return out


def weights(module, tmp_path, tag):
    """Initializers of the exported module, by name."""
    model = onnx.load(str(export(module, tmp_path, tag)))
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def check_ort(module, tmp_path, tag, inputs, expected):
    """The exported module under onnxruntime gives the JIT's outputs, within
    the 1e-4 of every JIT-vs-onnxruntime model comparison
    (test_model_numerics.py: the two sum in different orders)."""
    got = gen_models.ort_run(export(module, tmp_path, tag), inputs)
    for key, ref in expected.items():
        assert rel_err(np.asarray(got[key]), ref) <= 1e-4, (tag, key)


def run(module, inputs):
    return {k: np.array(v) for k, v in module.run(inputs).items()}


@pytest.mark.parametrize("name", MODELS)
def test_zero_b_is_bit_identical(onnx_models, name):
    path, inputs = load(onnx_models, name)
    base = peft_mlir.import_onnx(str(path))
    base.raise_linear()
    expected = run(base, inputs)

    adapted = peft_mlir.import_onnx(str(path))
    adapted.insert_lora(["all-linear"], rank=4, alpha=8, seed=1)
    assert "peft.lora" in str(adapted)
    got = run(adapted, inputs)
    for key, ref in expected.items():
        assert np.array_equal(got[key], ref), f"{name}:{key} differs with B = 0"


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("init", ["pissa", "olora"])
def test_pissa_olora_merge_unmerge(onnx_models, name, init, tmp_path):
    path, inputs = load(onnx_models, name)
    base = peft_mlir.import_onnx(str(path))
    base.raise_linear()
    expected = run(base, inputs)
    w_base = weights(base, tmp_path, "base")

    m = peft_mlir.import_onnx(str(path))
    m.insert_lora(["all-linear"], rank=4, alpha=8, init=init, rslora=True)
    unmerged = run(m, inputs)
    for key, ref in expected.items():
        # The residual base plus the adapter is the original layer.
        assert rel_err(unmerged[key], ref) <= 1e-5, (name, key)
    # Unmerged adapters export as MatMul chains.
    check_ort(m, tmp_path, "unmerged", inputs, unmerged)

    m.merge_lora()
    merged = run(m, inputs)
    for key, ref in unmerged.items():
        assert rel_err(merged[key], ref) <= 1e-5, (name, key)
    check_ort(m, tmp_path, "merged_ort", inputs, merged)
    w_merged = weights(m, tmp_path, "merged")
    checked = 0
    for wname, w0 in w_base.items():
        if wname in w_merged and w0.dtype == np.float32 and w0.ndim == 2:
            # PiSSA/OLoRA reconstruct W: residual + s·B·A = W to 1e-5.
            assert rel_err(w_merged[wname], w0) <= 1e-5, (name, wname)
            checked += 1
    assert checked > 0, "no weight of the merged model kept its name"

    m.unmerge_lora()
    again = run(m, inputs)
    for key, ref in unmerged.items():
        assert rel_err(again[key], ref) <= 1e-5, (name, key)


@pytest.mark.parametrize("name", ["llama_opset17", "gpt2_conv1d_opset17", "bert_opset17"])
def test_unmerge_recovers_weights(onnx_models, name, tmp_path):
    path, inputs = load(onnx_models, name)
    m = peft_mlir.import_onnx(str(path))
    # OLoRA gives non-zero A and B on every layer; its base is W - s·B·A.
    rank, alpha = 3, 6
    m.insert_lora(["all-linear"], rank=rank, alpha=alpha, init="olora")
    w0 = weights(m, tmp_path, "w0")
    m.merge_lora()
    m.unmerge_lora()
    w1 = weights(m, tmp_path, "w1")
    # The bound comes from the merge's inputs, never from an output under
    # test: |s·B·A| <= s·r·max|B|·max|A| over the model's adapters.
    max_a = max(float(np.max(np.abs(v))) for k, v in w0.items() if ".lora_A" in k)
    max_b = max(float(np.max(np.abs(v))) for k, v in w0.items() if ".lora_B" in k)
    max_sba = alpha / rank * rank * max_a * max_b
    compared = 0
    for wname, ref in w0.items():
        if ".lora_" in wname or ref.dtype != np.float32 or ref.ndim != 2:
            continue
        got = w1[wname]
        # A few ulp of max|W0| + max|s·B·A|, which bounds |W0|, |s·B·A| and
        # |W0 + s·B·A|: the merge and the unmerge each round once.
        bound = 4 * np.finfo(np.float32).eps * (float(np.max(np.abs(ref))) + max_sba)
        assert float(np.max(np.abs(got - ref))) <= bound, (name, wname)
        compared += 1
    assert compared > 0
