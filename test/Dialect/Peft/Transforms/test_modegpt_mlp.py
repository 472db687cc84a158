"""peft-modegpt Type I (MLP, Nyström) on real graphs: calibrate on our CPU
JIT, compress, and check REFERENCE §4's contracts against onnxruntime runs of
the original and compressed models (measured errors in numpy float64)."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import peft_mlir

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "test" / "models"))
from activations import node_output, ort_tensors  # noqa: E402


def lm_samples(count, batch, seq, vocab=100, seed=11):
    rng = np.random.default_rng(seed)
    return [{"input_ids": rng.integers(1, vocab, size=(batch, seq)).astype(np.int64)}
            for _ in range(count)]


def bert_samples(count, batch, seq, vocab=100, seed=12):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        mask = np.ones((batch, seq), np.int64)
        mask[-1, seq - 3:] = 0
        out.append({"input_ids": rng.integers(1, vocab, size=(batch, seq)).astype(np.int64),
                    "attention_mask": mask, "token_type_ids": np.zeros((batch, seq), np.int64)})
    return out


def read_report(path):
    """[(block, module, sparsity, dim before, dim after, params, after, error, rel)]."""
    rows = []
    for line in Path(path).read_text().splitlines()[1:-1]:
        c = line.split()
        before, after = c[3], c[5]
        rows.append(dict(block=int(c[0]), module=c[1], sparsity=float(c[2]),
                         dim=(int(before), int(after)), params=int(c[6]),
                         after=int(c[7]), error=float(c[8]), rel=float(c[9])))
    return rows


def calibrated(path, samples, tmp_path):
    m = peft_mlir.import_onnx(str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.calibrate(samples, out=tmp_path / "stats.safetensors", progress=False)
    return m


def compress(path, stats, tmp_path, **options):
    m = peft_mlir.import_onnx(str(path))
    report = tmp_path / f"report-{len(list(tmp_path.iterdir()))}.txt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.modegpt(stats=stats, report=report, types=["mlp"], **options)
    return m, read_report(report)


def relative(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.mark.parametrize("name", ["llama_opset17", "bert_opset17", "gpt2_conv1d_opset17"])
def test_full_dimension_is_exact(onnx_models, tmp_path, name):
    path = onnx_models / f"{name}.onnx"
    samples = bert_samples(4, 2, 12) if name.startswith("bert") else lm_samples(4, 2, 12)
    calibrated(path, samples, tmp_path)
    m, rows = compress(path, tmp_path / "stats.safetensors", tmp_path, ratio=0.0,
                       allocation="uniform")
    assert all(r["dim"][0] == r["dim"][1] and r["error"] == 0 for r in rows)
    inputs = dict(np.load(onnx_models / f"{name}.inputs.npz"))
    expected = np.load(onnx_models / f"{name}.outputs.npz")
    got = m.run(inputs)
    for key in expected:
        assert relative(got[key], expected[key]) <= 1e-4, key


def test_llama_error_is_measured_error(onnx_models, tmp_path):
    """Block 0's MLP is the first compressed module, so its input is the
    original one: the reported error must equal Σ‖Y − Ŷ‖² of its output on the
    calibration data, measured by onnxruntime on both models. Errors do not
    increase as more is kept."""
    name = "llama_opset17"
    path = onnx_models / f"{name}.onnx"
    samples = lm_samples(10, 2, 20)  # 400 tokens for a 128-wide MLP
    calibrated(path, samples, tmp_path)
    stats = tmp_path / "stats.safetensors"
    tensor = node_output(path, "/model/layers.0/mlp/down_proj/MatMul")
    reference = ort_tensors(path, [tensor], samples)
    errors = []
    for ratio in (0.5, 0.25, 0.1):
        m, rows = compress(path, stats, tmp_path, ratio=ratio, allocation="uniform",
                           ridge=1.0)
        out = tmp_path / f"c{ratio}.onnx"
        m.export_onnx(str(out))
        ours = ort_tensors(out, [tensor], samples)
        measured = sum(float(((r[tensor].astype(np.float64) - o[tensor]) ** 2).sum())
                       for r, o in zip(reference, ours))
        row = next(r for r in rows if r["block"] == 0)
        assert row["dim"] == (128, round((1 - ratio) * 128))
        # f32 models: the measured error carries f32 rounding of Y (≈1e-7·|Y|²).
        assert abs(row["error"] - measured) <= 1e-3 * measured + 1e-6, (row, measured)
        errors.append(row["error"])
    assert errors[0] >= errors[1] >= errors[2] > 0


@pytest.mark.parametrize("name", ["llama_opset17", "minilm_opset14", "gpt2_matmul_opset17"])
def test_global_allocation_and_export(onnx_models, tmp_path, name):
    """Global allocation: mean sparsity = ratio, parameters within 1 % of the
    target, no block above max-layer-ratio; the compressed model runs in
    onnxruntime as on our CPU."""
    path = onnx_models / f"{name}.onnx"
    samples = bert_samples(3, 2, 16) if name.startswith("minilm") else lm_samples(3, 2, 16)
    calibrated(path, samples, tmp_path)
    m, rows = compress(path, tmp_path / "stats.safetensors", tmp_path, ratio=0.3)
    phi = [r["sparsity"] for r in rows]
    assert abs(np.mean(phi) - 0.3) <= 2e-3  # printed with 3 decimals
    assert max(phi) <= 0.8 + 1e-3
    before, after = sum(r["params"] for r in rows), sum(r["after"] for r in rows)
    assert abs((before - after) / before - 0.3) <= 0.01
    inputs = dict(np.load(onnx_models / f"{name}.inputs.npz"))
    ours = m.run(inputs)
    out = tmp_path / "compressed.onnx"
    m.export_onnx(str(out))
    theirs = ort_tensors(out, list(ours), [inputs])[0]
    for key in ours:
        assert relative(ours[key], theirs[key]) <= 1e-4, key


def test_errors(onnx_models, tmp_path):
    path = onnx_models / "llama_opset17.onnx"
    m = peft_mlir.import_onnx(str(path))
    with pytest.raises(peft_mlir.PeftError, match="cannot open"):
        m.modegpt(ratio=0.2, stats=tmp_path / "missing.safetensors")
    calibrated(path, lm_samples(1, 1, 4), tmp_path)
    with pytest.raises(peft_mlir.PeftError, match=r"ratio must be in \[0, 1\)"):
        m.modegpt(ratio=1.5, stats=tmp_path / "stats.safetensors")
    with pytest.raises(peft_mlir.PeftError, match="unknown module type 'ffn'"):
        m.modegpt(ratio=0.2, stats=tmp_path / "stats.safetensors", types=["ffn"])
    # A statistics file of another model.
    calibrated(onnx_models / "bert_opset17.onnx", bert_samples(1, 1, 4), tmp_path)
    with pytest.raises(peft_mlir.PeftError, match="model.layers.0"):
        m.modegpt(ratio=0.2, stats=tmp_path / "stats.safetensors", types=["mlp"])


def write_adapter(directory, rank, targets, tensors):
    """A LoRA adapter in Hugging Face PEFT's save_pretrained layout."""
    import json
    from safetensors.numpy import save_file
    directory.mkdir(parents=True, exist_ok=True)
    save_file({k: np.ascontiguousarray(v, np.float32) for k, v in tensors.items()},
              str(directory / "adapter_model.safetensors"))
    (directory / "adapter_config.json").write_text(json.dumps(
        {"peft_type": "LORA", "r": rank, "lora_alpha": 2 * rank,
         "target_modules": targets, "bias": "none"}))


def test_adapters_on_compressed_model(onnx_models, tmp_path):
    """LoRA adapters load onto the layers whose shapes compression kept
    (q_proj) and are refused, naming the layer and the shapes, where the MLP
    shrank (down_proj reads 96 of 128 features)."""
    path = onnx_models / "llama_opset17.onnx"
    calibrated(path, lm_samples(4, 2, 16), tmp_path)
    m, rows = compress(path, tmp_path / "stats.safetensors", tmp_path, ratio=0.25,
                       allocation="uniform")
    rng = np.random.default_rng(0)
    key = "base_model.model.model.layers.0"
    fits = tmp_path / "q_adapter"
    write_adapter(fits, 4, ["q_proj"], {
        f"{key}.self_attn.q_proj.lora_A.weight": rng.standard_normal((4, 64)),
        f"{key}.self_attn.q_proj.lora_B.weight": rng.standard_normal((64, 4))})
    m.load_adapter(str(fits))
    inputs = dict(np.load(onnx_models / "llama_opset17.inputs.npz"))
    assert np.all(np.isfinite(list(m.run(inputs).values())[0]))
    stale = tmp_path / "down_adapter"
    write_adapter(stale, 4, ["down_proj"], {
        f"{key}.mlp.down_proj.lora_A.weight": rng.standard_normal((4, 128)),
        f"{key}.mlp.down_proj.lora_B.weight": rng.standard_normal((64, 4))})
    with pytest.raises(peft_mlir.PeftError, match=r"down_proj.*(128|96)"):
        m.load_adapter(str(stale), adapter="stale")
