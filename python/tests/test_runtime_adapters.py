"""Module.run(adapters=...): runtime LoRA adapters read from PEFT directories.

A module is compiled once after lora_as_inputs (peft-lora-as-inputs,
max-rank 8); Module.run fills its adapter inputs from Hugging Face PEFT
adapter directories exactly as `peft-run --adapter` does (the same C++ code),
so switching adapters swaps arrays, not code.
"""

import json
import pathlib

import numpy as np
import pytest
import safetensors.numpy as safetensors_numpy

import peft_mlir

MAX_RANK = 8
IN, OUT = 16, 24
PREFIX = "base_model.model.model.layers.0.self_attn."
Q_INPUTS = ["model.layers.0.self_attn.q_proj.lora_A.weight",
            "model.layers.0.self_attn.q_proj.lora_B.weight",
            "model.layers.0.self_attn.q_proj.lora_scale"]


def _dense(a: np.ndarray) -> str:
    """An exact MLIR dense literal: the little-endian bytes in hex."""
    return '"0x' + np.ascontiguousarray(a, "<f4").tobytes().hex().upper() + '"'


def _base_weights():
    rng = np.random.default_rng(5)
    wq = (rng.standard_normal((OUT, IN)) / 4).astype(np.float32)
    bq = rng.standard_normal(OUT).astype(np.float32)
    wv = (rng.standard_normal((OUT, IN)) / 4).astype(np.float32)
    return wq, bq, wv


def _module_text(wq, bq, wv) -> str:
    """q_proj (with bias) and v_proj, weights as onnx.initializer."""
    return f"""
func.func @attn(%x: tensor<?x?x{IN}xf32> {{onnx.name = "x"}})
    -> (tensor<?x?x{OUT}xf32> {{onnx.name = "q"}}, tensor<?x?x{OUT}xf32> {{onnx.name = "v"}}) {{
  %wq = onnx.initializer "wq" dense<{_dense(wq)}> : tensor<{OUT}x{IN}xf32>
  %bq = onnx.initializer "bq" dense<{_dense(bq)}> : tensor<{OUT}xf32>
  %wv = onnx.initializer "wv" dense<{_dense(wv)}> : tensor<{OUT}x{IN}xf32>
  %q = peft.linear %x, %wq, %bq layout out_in role q path "model.layers.0.self_attn.q_proj"
         : tensor<?x?x{IN}xf32>, tensor<{OUT}x{IN}xf32>, tensor<{OUT}xf32> -> tensor<?x?x{OUT}xf32>
  %v = peft.linear %x, %wv layout out_in role v path "model.layers.0.self_attn.v_proj"
         : tensor<?x?x{IN}xf32>, tensor<{OUT}x{IN}xf32> -> tensor<?x?x{OUT}xf32>
  return %q, %v : tensor<?x?x{OUT}xf32>, tensor<?x?x{OUT}xf32>
}}
"""


def _write_adapter(directory: pathlib.Path, rank: int, alpha: float, *, seed: int,
                   layers=("q_proj", "v_proj"), rslora=False, **config):
    """A save_pretrained-style directory; returns {layer: (A, B)}."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    weights, tensors = {}, {}
    for layer in layers:
        a = (rng.standard_normal((rank, IN)) / 4).astype(np.float32)
        b = rng.standard_normal((OUT, rank)).astype(np.float32)
        weights[layer] = (a, b)
        tensors[PREFIX + layer + ".lora_A.weight"] = a
        tensors[PREFIX + layer + ".lora_B.weight"] = b
    safetensors_numpy.save_file(tensors, str(directory / "adapter_model.safetensors"))
    cfg = {"peft_type": "LORA", "r": rank, "lora_alpha": alpha,
           "target_modules": list(layers), "use_rslora": rslora,
           "use_dora": False, "rank_pattern": {}, "alpha_pattern": {},
           "fan_in_fan_out": False, "bias": "none"}
    cfg.update(config)
    (directory / "adapter_config.json").write_text(json.dumps(cfg))
    return weights


def _reference(x, w, b, adapter, scale):
    """x·W0ᵀ + b + s·(x·Aᵀ)·Bᵀ in float64."""
    x64 = x.astype(np.float64)
    y = x64 @ w.T.astype(np.float64)
    if b is not None:
        y += b
    if adapter is not None:
        a, bb = (t.astype(np.float64) for t in adapter)
        y += scale * (x64 @ a.T) @ bb.T
    return y


def _check(out, x, weights, adapter, scales):
    wq, bq, wv = weights
    np.testing.assert_allclose(
        out["q"], _reference(x, wq, bq, adapter.get("q_proj"), scales.get("q_proj")),
        rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        out["v"], _reference(x, wv, None, adapter.get("v_proj"), scales.get("v_proj")),
        rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def model():
    weights = _base_weights()
    m = peft_mlir.Module.parse(_module_text(*weights))
    m.insert_lora(["q_proj", "v_proj"], rank=2, alpha=4)  # placeholders
    m.lora_as_inputs(max_rank=MAX_RANK)
    return m, weights


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(7).standard_normal((2, 5, IN)).astype(np.float32)


def test_adapter_matches_numpy(model, x, tmp_path):
    m, weights = model
    adapter = _write_adapter(tmp_path / "a", rank=4, alpha=8, seed=1)
    out = m.run({"x": x}, adapters=tmp_path / "a")
    assert list(out) == ["q", "v"]
    _check(out, x, weights, adapter, {"q_proj": 2.0, "v_proj": 2.0})


def test_adapter_argument_forms(model, x, tmp_path):
    m, weights = model
    adapter = _write_adapter(tmp_path / "a", rank=3, alpha=6, seed=2)
    expected = m.run({"x": x}, adapters=str(tmp_path / "a"))
    _check(expected, x, weights, adapter, {"q_proj": 2.0, "v_proj": 2.0})
    for form in ([str(tmp_path / "a")], [tmp_path / "a"], (str(tmp_path / "a"),),
                 {"default": tmp_path / "a"}, f"default={tmp_path / 'a'}"):
        out = m.run({"x": x}, adapters=form)
        for name in ("q", "v"):
            np.testing.assert_array_equal(out[name], expected[name])


def test_adapters_switch_without_recompiling(x, tmp_path):
    weights = _base_weights()
    m = peft_mlir.Module.parse(_module_text(*weights))
    m.insert_lora(["q_proj", "v_proj"], rank=2, alpha=4)
    m.lora_as_inputs(max_rank=MAX_RANK)
    text = m.to_string()
    low = _write_adapter(tmp_path / "low", rank=2, alpha=16, seed=3)
    full = _write_adapter(tmp_path / "full", rank=MAX_RANK, alpha=8, seed=4)

    assert m.compile_count == 0
    first = m.run({"x": x}, adapters=tmp_path / "low")  # compiles
    assert m.compile_count == 1
    _check(first, x, weights, low, {"q_proj": 8.0, "v_proj": 8.0})

    for directory, adapter, scale in [("full", full, 1.0), ("low", low, 8.0),
                                      ("full", full, 1.0)]:
        out = m.run({"x": x}, adapters=tmp_path / directory)
        _check(out, x, weights, adapter, {"q_proj": scale, "v_proj": scale})
        if directory == "full":
            assert not np.allclose(out["q"], first["q"], atol=1e-3)
    # The adapters are arguments, not code: the module is untouched and no
    # call after the first compiles again.
    assert m.to_string() == text
    assert m.compile_count == 1
    # A pipeline run may change the code: the next run compiles again.
    m.run_pipeline("cse")
    m.run({"x": x}, adapters=tmp_path / "low")
    assert m.compile_count == 2


def test_rslora_and_patterns(model, x, tmp_path):
    m, weights = model
    adapter = _write_adapter(tmp_path / "rs", rank=4, alpha=8, seed=5, rslora=True)
    out = m.run({"x": x}, adapters=tmp_path / "rs")
    _check(out, x, weights, adapter, {"q_proj": 8 / np.sqrt(4), "v_proj": 8 / np.sqrt(4)})

    # alpha_pattern changes v_proj's scale only (rsLoRA: alpha / sqrt(r)).
    adapter = _write_adapter(tmp_path / "pat", rank=4, alpha=8, seed=6, rslora=True,
                             alpha_pattern={"v_proj": 2})
    out = m.run({"x": x}, adapters=tmp_path / "pat")
    _check(out, x, weights, adapter, {"q_proj": 4.0, "v_proj": 1.0})


def test_uncovered_layers_get_zeros_and_explicit_inputs_win(model, x, tmp_path):
    m, weights = model
    adapter = _write_adapter(tmp_path / "q", rank=4, alpha=4, seed=7, layers=("q_proj",))
    out = m.run({"x": x}, adapters=tmp_path / "q")
    _check(out, x, weights, adapter, {"q_proj": 1.0})

    # An explicit input overrides the filled one: a zero scale turns q_proj's
    # adapter off.
    zero = np.zeros(1, np.float32)
    out = m.run({"x": x, Q_INPUTS[2]: zero}, adapters=tmp_path / "q")
    _check(out, x, weights, {}, {})


def test_without_adapters_every_input_is_needed(model, x):
    m, _ = model
    with pytest.raises(peft_mlir.PeftError, match="missing input 'model.layers.0"):
        m.run({"x": x})


def test_rank_above_max_rank(model, x, tmp_path):
    m, _ = model
    _write_adapter(tmp_path / "big", rank=16, alpha=16, seed=8)
    with pytest.raises(peft_mlir.PeftError) as err:
        m.run({"x": x}, adapters=tmp_path / "big")
    message = str(err.value)
    assert str(tmp_path / "big" / "adapter_model.safetensors") in message
    assert "has rank 16, above the model's max-rank 8" in message


def test_missing_files(model, x, tmp_path):
    m, _ = model
    with pytest.raises(peft_mlir.PeftError, match=r"nowhere.*adapter_config\.json"):
        m.run({"x": x}, adapters=tmp_path / "nowhere")
    _write_adapter(tmp_path / "noweights", rank=4, alpha=8, seed=9)
    (tmp_path / "noweights" / "adapter_model.safetensors").unlink()
    with pytest.raises(peft_mlir.PeftError,
                       match=r"noweights.*adapter_model\.safetensors"):
        m.run({"x": x}, adapters=tmp_path / "noweights")


def test_bad_adapter_sources(model, x, tmp_path):
    m, _ = model
    _write_adapter(tmp_path / "a", rank=4, alpha=8, seed=10)
    with pytest.raises(peft_mlir.PeftError,
                       match="adapters: @attn has no runtime inputs of adapter 'sst2'"):
        m.run({"x": x}, adapters={"sst2": tmp_path / "a"})
    with pytest.raises(peft_mlir.PeftError, match="adapter 'default' given twice"):
        m.run({"x": x}, adapters=[tmp_path / "a", tmp_path / "a"])
    with pytest.raises(peft_mlir.PeftError, match="adapters: expected a path"):
        m.run({"x": x}, adapters=3)
    _write_adapter(tmp_path / "dora", rank=4, alpha=8, seed=11, use_dora=True)
    with pytest.raises(peft_mlir.PeftError, match="DoRA adapters cannot run"):
        m.run({"x": x}, adapters=tmp_path / "dora")
    _write_adapter(tmp_path / "stray", rank=4, alpha=8, seed=12,
                   layers=("q_proj", "k_proj"))
    with pytest.raises(peft_mlir.PeftError,
                       match=r"'base_model\.model\.model\.layers\.0\.self_attn\.k_proj"
                             r"\.lora_A\.weight' matches no runtime adapter input"):
        m.run({"x": x}, adapters=tmp_path / "stray")
