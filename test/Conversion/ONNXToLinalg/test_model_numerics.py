"""Every generated model runs on the CPU JIT with onnxruntime's numbers.

Each model of test/models/gen_models.py goes through
peft_mlir.import_onnx(path).run(inputs) (peft-lower-to-llvm, ExecutionEngine)
and is compared with onnxruntime (CPU, 1 thread, no graph optimizations) on
the saved reference inputs and on a smaller batch/sequence cut from them, so
that one compiled model serves two dynamic shapes. Every output must be within
1e-4 of the reference relative to the reference's largest magnitude.

Every model must lower and run: a lowering failure is a test failure (its
message is the diagnostic naming the ONNX node), not an expected failure, and a
model the generator could not build is a failure too (see test/conftest.py).

  cmake --build build --target _peft_mlir
  cd build && PYTHONPATH=$PWD/python_packages ~/.cache/peft-mlir/venv/bin/python \\
      -m pytest -q -p no:cacheprovider ../test/Conversion/ONNXToLinalg/test_model_numerics.py
"""

import sys
from pathlib import Path

import numpy as np
import peft_mlir
import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "test/models"))
import gen_models  # noqa: E402

RTOL = 1e-4


def smaller(inputs):
    """The first row and the first 5 positions of every [batch, sequence] input."""
    return {name: np.ascontiguousarray(value[:1, :5]) if value.ndim >= 2 else value
            for name, value in inputs.items()}


def assert_close(actual, expected, what):
    assert list(actual) == list(expected), what
    for name, ref in expected.items():
        got = actual[name]
        assert got.dtype == ref.dtype and got.shape == ref.shape, \
            f"{what} {name}: got {got.dtype}{got.shape}, expected {ref.dtype}{ref.shape}"
        scale = float(np.max(np.abs(ref))) if ref.size else 1.0
        err = float(np.max(np.abs(got.astype(np.float64) - ref))) if ref.size else 0.0
        assert err <= RTOL * max(scale, 1e-30), \
            f"{what} {name}: max abs error {err:.3g} > {RTOL} x max |ref| {scale:.3g}"


@pytest.mark.parametrize("name", list(gen_models.MODELS))
def test_model_matches_onnxruntime(run_ort, onnx_models, model_entry, name):
    entry = model_entry(name)
    path = onnx_models / entry["file"]
    inputs = dict(np.load(onnx_models / entry["inputs_file"]))

    module = peft_mlir.import_onnx(str(path))
    actual = module.run(inputs)
    assert_close(actual, run_ort(path, inputs), f"{name} (reference inputs)")

    small = smaller(inputs)
    assert_close(module.run(small), run_ort(path, small), f"{name} (batch 1, sequence 5)")
