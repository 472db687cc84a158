"""peft-raise-linear on every generated model of test/models/gen_models.py.

For each model, `peft-opt model.onnx --peft-raise-linear --peft-list-linears`
must list exactly the torch model's nn.Linear / Conv1D modules, each with the
module path, the role, the in/out features, the weight layout and the bias
that the torch module says. The expected role is derived here from the Hugging
Face module names (the pass itself never looks at names). No MatMul or Gemm
with a constant weight may be left, and the raised model must compute what
the unraised one does (peft-run, CPU): both within 1e-5 of the reference
outputs relative to their largest magnitude.

  PEFT_BUILD=$PWD/build ~/.cache/peft-mlir/venv/bin/python -m pytest -q \\
      test/Dialect/Peft/Transforms/test_raise_linear.py
"""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch.nn as nn

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "test/models"))
import gen_models  # noqa: E402

RTOL = 1e-5

# Hugging Face module name suffix -> role, first match wins.
ROLE_BY_NAME = [
    ("q_proj", "q"), (".query", "q"),
    ("k_proj", "k"), (".key", "k"),
    ("v_proj", "v"), (".value", "v"),
    ("o_proj", "o"), ("attention.output.dense", "o"), ("attn.c_proj", "o"),
    ("attn.c_attn", "qkv"),
    ("gate_proj", "gate"),
    ("up_proj", "up"), ("intermediate.dense", "up"), ("mlp.c_fc", "up"),
    ("down_proj", "down"), ("output.dense", "down"), ("mlp.c_proj", "down"),
    ("lm_head", "other"), ("pooler.dense", "other"),
]


def expected_role(path):
    for suffix, role in ROLE_BY_NAME:
        if path.endswith(suffix):
            return role
    raise AssertionError(f"no expected role for module {path!r}")


def torch_linears(name):
    """{module path: (in, out, has bias)} of the model's linear layers."""
    spec = gen_models.MODELS[name]
    model = spec.build(spec.seed)
    layers = {}
    for path, module in model.named_modules():
        if isinstance(module, nn.Linear):
            layers[path] = (module.in_features, module.out_features, module.bias is not None)
        elif isinstance(module, gen_models.Conv1D):
            nx, nf = module.weight.shape
            layers[path] = (nx, nf, module.bias is not None)
    return layers


def run(cmd):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}\n{r.stderr[-4000:]}"
    return r


def parse_table(text):
    """Rows of --peft-list-linears as dicts; checks the header and the count."""
    lines = text.strip().splitlines()
    header = lines[0].split()
    assert header == ["path", "op", "role", "in", "out", "layout", "bias", "weight",
                      "location"], lines[0]
    rows = [dict(zip(header, line.split(maxsplit=8))) for line in lines[1:-1]]
    count = len(rows)
    assert lines[-1] == f"{count} linear layer{'' if count == 1 else 's'}", lines[-1]
    return rows


def constant_weight_products(ir):
    """MatMul/Gemm ops of the printed IR whose B operand is a constant
    (an initializer or Constant, directly or through a Transpose)."""
    defs = {}
    for m in re.finditer(r'^\s*(%[\w.]+)(?::\d+)? = "?([\w.]+)"?(.*)$', ir, re.M):
        defs[m.group(1)] = (m.group(2), m.group(3))

    def is_constant(value, depth=0):
        op, rest = defs.get(value, ("", ""))
        if op in ("onnx.initializer", "onnx.Constant", "arith.constant"):
            return True
        if op == "onnx.Transpose" and depth == 0:
            return is_constant(re.match(r"\((%[\w.#]+)", rest).group(1), 1)
        return False

    found = []
    for m in re.finditer(r'"onnx\.(MatMul|Gemm)"\((%[\w.#]+), (%[\w.#]+)', ir):
        if is_constant(m.group(3)):
            found.append(m.group(0))
    return found


@pytest.mark.parametrize("name", list(gen_models.MODELS))
def test_roles_and_paths(peft_bin, onnx_models, model_entry, tmp_path, name):
    entry = model_entry(name)
    table, ir = tmp_path / "linears.txt", tmp_path / "raised.mlir"
    run([peft_bin / "peft-opt", onnx_models / entry["file"], "--peft-raise-linear",
         f"--peft-list-linears=output={table}", "--mlir-elide-resource-strings-if-larger=16",
         "-o", ir])
    rows = parse_table(table.read_text())
    expected = torch_linears(name)

    got = {row["path"]: row for row in rows}
    assert len(got) == len(rows), "duplicate module paths"
    assert sorted(got) == sorted(expected), "raised layers differ from the torch modules"
    layout = "in_out" if entry["do_constant_folding"] else "out_in"
    for path, (fan_in, fan_out, bias) in expected.items():
        row = got[path]
        assert row["role"] == expected_role(path), f"{path}: {row}"
        assert (int(row["in"]), int(row["out"])) == (fan_in, fan_out), f"{path}: {row}"
        assert row["bias"] == ("yes" if bias else "no"), f"{path}: {row}"
        # GPT-2's Conv1D stores [in, out] whatever the export.
        want_layout = "in_out" if ".c_" in path else layout
        assert row["layout"] == want_layout, f"{path}: {row}"
        assert row["location"].startswith("/"), f"{path}: {row}"

    assert constant_weight_products(ir.read_text()) == []


def run_outputs(peft_bin, model, inputs, out_dir):
    """Outputs of peft-run (CPU) on `model` with the .npy `inputs`."""
    out_dir.mkdir()
    cmd = [peft_bin / "peft-run", model, f"--output-dir={out_dir}"]
    cmd += [f"--input={k}={v}" for k, v in inputs.items()]
    run(cmd)
    return out_dir


def assert_close(actual_dir, expected, what):
    for name, ref in expected.items():
        got = np.load(actual_dir / f"{name}.npy")
        assert got.shape == ref.shape and got.dtype == ref.dtype, f"{what} {name}"
        scale = float(np.max(np.abs(ref))) if ref.size else 1.0
        err = float(np.max(np.abs(got.astype(np.float64) - ref))) if ref.size else 0.0
        assert err <= RTOL * max(scale, 1e-30), \
            f"{what} {name}: max abs error {err:.3g} > {RTOL} x max |ref| {scale:.3g}"


@pytest.mark.parametrize("name", list(gen_models.MODELS))
def test_numerics_unchanged(peft_bin, onnx_models, model_entry, tmp_path, name):
    entry = model_entry(name)
    model = onnx_models / entry["file"]
    raised = tmp_path / "raised.mlirbc"
    run([peft_bin / "peft-opt", model, "--peft-raise-linear", "--emit-bytecode", "-o", raised])

    inputs = {}
    for key, value in np.load(onnx_models / entry["inputs_file"]).items():
        inputs[key] = tmp_path / f"input_{key}.npy"
        np.save(inputs[key], value)
    reference = dict(np.load(onnx_models / entry["outputs_file"]))

    unraised_dir = run_outputs(peft_bin, model, inputs, tmp_path / "unraised")
    raised_dir = run_outputs(peft_bin, raised, inputs, tmp_path / "raised")
    assert_close(unraised_dir, reference, f"{name} unraised vs onnxruntime")
    assert_close(raised_dir, reference, f"{name} raised vs onnxruntime")
    unraised = {k: np.load(unraised_dir / f"{k}.npy") for k in reference}
    assert_close(raised_dir, unraised, f"{name} raised vs unraised")
