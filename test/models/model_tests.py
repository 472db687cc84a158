"""Helpers the numeric tests of generated models share: loading a model of
gen_models' output folder with its reference inputs, running a Module, and
the relative error they compare with."""

import numpy as np
import pytest

import gen_models


def rel_err(got, ref):
    """max |got − ref| / max |ref|, in float64."""
    scale = max(float(np.max(np.abs(ref))), 1e-30)
    return float(np.max(np.abs(np.asarray(got, np.float64) - ref))) / scale


def load(onnx_models, name):
    """(path, inputs) of the generated model `name`; a test failure when it
    was not generated."""
    path = onnx_models / f"{name}.onnx"
    if not path.exists():
        pytest.fail(f"{name} was not generated (see manifest 'skipped')", pytrace=False)
    return path, gen_models.load_npz(onnx_models / f"{name}.inputs.npz")


def run(module, inputs):
    """The outputs of `module` on `inputs`, as numpy arrays."""
    return {k: np.array(v) for k, v in module.run(inputs).items()}
