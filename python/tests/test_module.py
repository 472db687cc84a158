"""The peft_mlir Python API: parse, run a pipeline, print, errors."""

import onnx
import pytest

import peft_mlir

LINEAR = """
func.func @f(%x: tensor<?x4xf32>, %w: tensor<3x4xf32>) -> tensor<?x3xf32> {
  %y = peft.linear %x, %w layout out_in role v path "model.layers.0.self_attn.v_proj"
         : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
"""


def test_versions():
    assert peft_mlir.version().startswith("peft-mlir ")
    assert peft_mlir.mlir_version().startswith("MLIR 22.")
    # The C++ library and the Python package are the same ONNX release.
    assert peft_mlir.onnx_version() == "ONNX " + onnx.__version__
    assert peft_mlir.__version__ == peft_mlir.version().split()[-1]


def test_parse_and_print_round_trip():
    m = peft_mlir.Module.parse(LINEAR)
    text = str(m)
    assert 'peft.linear' in text and 'role v' in text
    again = peft_mlir.Module.parse(text)
    assert str(again) == text
    assert '"peft.linear"' in m.to_string(generic=True)


def test_run_pipeline_lowers_linear():
    m = peft_mlir.Module.parse(LINEAR)
    assert m.run_pipeline("func.func(convert-peft-to-linalg)") is m
    text = str(m)
    assert "peft.linear" not in text
    assert "linalg.matmul" in text
    # The anchored spelling is accepted as well and runs the same passes.
    m2 = peft_mlir.Module.parse(LINEAR)
    m2.run_pipeline("builtin.module(func.func(convert-peft-to-linalg))")
    assert str(m2) == text


def test_parse_error_carries_location():
    with pytest.raises(peft_mlir.PeftError, match=r"broken\.mlir:1:"):
        peft_mlir.Module.parse("func.func @f( {", "broken.mlir")


def test_verifier_error_is_raised():
    bad = LINEAR.replace("tensor<3x4xf32>", "tensor<3x5xf32>")
    with pytest.raises(peft_mlir.PeftError, match="input has 4 features"):
        peft_mlir.Module.parse(bad)


def test_unknown_pass():
    m = peft_mlir.Module.parse(LINEAR)
    with pytest.raises(peft_mlir.PeftError, match="no-such-pass"):
        m.run_pipeline("no-such-pass")


def test_parse_file(tmp_path):
    path = tmp_path / "linear.mlir"
    path.write_text(LINEAR)
    m = peft_mlir.Module.parse_file(str(path))
    m.verify()
    assert "peft.linear" in str(m)
    with pytest.raises(peft_mlir.PeftError, match="cannot read"):
        peft_mlir.Module.parse_file(str(tmp_path / "missing.mlir"))
