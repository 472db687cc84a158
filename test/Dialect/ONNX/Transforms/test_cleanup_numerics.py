"""--onnx-cleanup keeps every generated model's outputs bit-identical.

Each model of test/models/gen_models.py is imported, cleaned with
func.func(onnx-cleanup), exported, and run next to the original in
onnxruntime (CPU, 1 thread, no graph optimizations) on its saved inputs. The
llama, gpt2 and bert exports are mostly shape arithmetic: their node count must
drop.

  cmake --build build --target _peft_mlir
  cd build && PYTHONPATH=$PWD/python_packages ~/.cache/peft-mlir/venv/bin/python \
      -m pytest -q -p no:cacheprovider ../test/Dialect/ONNX/Transforms/test_cleanup_numerics.py
"""

import sys
from pathlib import Path

import numpy as np
import onnx
import peft_mlir
import pytest

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "test/models"))
import gen_models  # noqa: E402

MUST_SHRINK = ("llama", "gpt2", "bert")


def node_count(path):
    return len(onnx.load(str(path), load_external_data=False).graph.node)


@pytest.mark.parametrize("name", list(gen_models.MODELS))
def test_cleanup_keeps_outputs(run_ort, onnx_models, model_entry, tmp_path, capsys, name):
    entry = model_entry(name)
    original = onnx_models / entry["file"]
    cleaned = tmp_path / f"{name}.cleaned.onnx"

    module = peft_mlir.import_onnx(str(original))
    module.run_pipeline("func.func(onnx-cleanup)")
    module.verify()
    module.export_onnx(str(cleaned))
    onnx.checker.check_model(str(cleaned))

    inputs = dict(np.load(onnx_models / entry["inputs_file"]))
    expected = run_ort(original, inputs)
    actual = run_ort(cleaned, inputs)
    assert list(actual) == list(expected)
    for output, value in expected.items():
        assert actual[output].dtype == value.dtype, output
        assert actual[output].shape == value.shape, output
        assert np.array_equal(actual[output], value), output

    before, after = node_count(original), node_count(cleaned)
    with capsys.disabled():
        print(f"\n{name}: {before} -> {after} nodes")
    assert after <= before
    if name.startswith(MUST_SHRINK):
        assert after < before
