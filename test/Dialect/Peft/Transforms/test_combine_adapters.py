"""peft-combine-adapters against Hugging Face PEFT's add_weighted_adapter
(peft 0.10), and peft-select-rank's truncation error.

A tiny torch model (q_proj 16->12, v_proj 16->8) gets two LoRA adapters with
seeded random A and B, saved with save_pretrained. Our side: a peft.linear
module with the same paths, both adapters loaded with peft-load-adapter
(adapter names first and second), then peft-combine-adapters; the new adapter's
blobs are read back from the printed IR. The combined delta weight
s'·B'·A' must match PEFT's get_delta_weight of the new adapter: cat and
linear to 1e-6 relative, svd (compared as products: singular-vector signs
differ between LAPACK calls) to 1e-5.

PEFT 0.10's svd mode weights get_delta_weight(i) = sᵢ·Bᵢ·Aᵢ by wᵢ·sᵢ (the
scale applied twice); peft-svd-scaling=true reproduces it, the default
decomposes Σ wᵢ·sᵢ·Bᵢ·Aᵢ — both are checked.

  PEFT_BUILD=$PWD/build ~/.cache/peft-mlir/venv/bin/python -m pytest -q \\
      test/Dialect/Peft/Transforms/test_combine_adapters.py
"""

import os
import re
import subprocess
from pathlib import Path

import numpy as np
import peft
import pytest
import torch

ROOT = Path(__file__).resolve().parents[4]
BUILD = Path(os.environ.get("PEFT_BUILD", ROOT / "build"))
PEFT_OPT = BUILD / "bin" / "peft-opt"

LAYERS = {"q_proj": (16, 12), "v_proj": (16, 8)}  # in, out
WEIGHTS = [0.7, 1.3]


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        for name, (i, o) in LAYERS.items():
            setattr(self, name, torch.nn.Linear(i, o, bias=False))

    def forward(self, x):
        return self.q_proj(x) + self.v_proj(x)[..., :1]


def mlir_module():
    """peft.linear layers with the torch model's module paths."""
    args = ", ".join(f"%w{n}: tensor<{o}x{i}xf32>" for n, (i, o) in enumerate(LAYERS.values()))
    body, results, types = [], [], []
    for n, (name, (i, o)) in enumerate(LAYERS.items()):
        body.append(f"  %y{n} = peft.linear %x, %w{n} layout out_in role other path \"{name}\""
                    f" : tensor<?x16xf32>, tensor<{o}x{i}xf32> -> tensor<?x{o}xf32>")
        results.append(f"%y{n}")
        types.append(f"tensor<?x{o}xf32>")
    return (f"func.func @f(%x: tensor<?x16xf32>, {args}) -> ({', '.join(types)}) {{\n"
            + "\n".join(body) + f"\n  return {', '.join(results)} : {', '.join(types)}\n}}\n")


def peft_model(tmp_path, ranks, alphas, seed=0):
    """The PEFT model with adapters a and b (seeded values), saved to disk."""
    torch.manual_seed(seed)
    model = Tiny()
    configs = [peft.LoraConfig(r=r, lora_alpha=alpha, target_modules=list(LAYERS))
               for r, alpha in zip(ranks, alphas)]
    pm = peft.get_peft_model(model, configs[0], adapter_name="first")
    pm.add_adapter("second", configs[1])
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in pm.named_parameters():
            if "lora_" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    out = tmp_path / "adapters"
    pm.create_or_update_model_card = lambda *args, **kwargs: None  # needs jinja2
    pm.save_pretrained(str(out), selected_adapters=["first", "second"])
    dirs = {n: (out / n if (out / n).is_dir() else out) for n in ("first", "second")}
    return pm, dirs


def run_peft_opt(tmp_path, passes):
    src = tmp_path / "model.mlir"
    src.write_text(mlir_module())
    result = subprocess.run([str(PEFT_OPT), str(src), *passes],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def read_adapter(ir, layer, adapter):
    """(A, B, scale) of the peft.lora named `adapter` on `layer`, from the IR."""
    blobs = dict(re.findall(r'^\s*([\w.]+): "0x([0-9A-F]+)"', ir, re.M))
    constants = {m[0]: (m[1], [int(d) for d in m[2].split("x")]) for m in re.findall(
        r"(%\w+) = arith.constant dense_resource<([\w.]+)> : tensor<([0-9x]+)xf32>", ir)}

    def tensor(value):
        key, shape = constants[value]
        data = bytes.fromhex(blobs[key])[4:]  # 4 bytes of alignment first
        return key, np.frombuffer(data, dtype="<f4").reshape(shape).astype(np.float64)

    for a, b, scale in re.findall(
            rf'peft.lora %\w+, %\w+, (%\w+), (%\w+) scale ([0-9.e+-]+) adapter "{adapter}"', ir):
        key, a_values = tensor(a)
        if key.startswith(layer + "."):
            return a_values, tensor(b)[1], float(scale)
    raise AssertionError(f"no adapter {adapter} on {layer}")


def peft_delta(pm, layer, adapter):
    module = getattr(pm.base_model.model, layer)
    return module.get_delta_weight(adapter).detach().double().numpy()


def relative(x, y):
    return np.linalg.norm(x - y) / np.linalg.norm(y)


CASES = {
    # mode, ranks, alphas, extra options, tolerance
    "cat": ("cat", (2, 6), (4, 3), [], 1e-6),
    "linear": ("linear", (4, 4), (8, 2), [], 1e-6),
    "svd_peft_scaling": ("svd", (2, 6), (4, 3), ["peft-svd-scaling=true"], 1e-5),
    # s = 1 for both: PEFT's svd mode and the weighted sum agree.
    "svd_unit_scale": ("svd", (3, 5), (3, 5), [], 1e-5),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_add_weighted_adapter(tmp_path, case):
    mode, ranks, alphas, extra, tol = CASES[case]
    pm, dirs = peft_model(tmp_path, ranks, alphas)
    pm.add_weighted_adapter(["first", "second"], WEIGHTS, "mix", combination_type=mode)
    options = " ".join([f"mode={mode}", "adapters=first,second",
                        "weights=" + ",".join(map(str, WEIGHTS)), "name=mix",
                        "report=none", *extra])
    ir = run_peft_opt(tmp_path, [
        f"--peft-load-adapter=path={dirs['first']} adapter=first",
        f"--peft-load-adapter=path={dirs['second']} adapter=second",
        f"--peft-combine-adapters={options}"])
    assert 'adapter "first"' not in ir and 'adapter "second"' not in ir  # replace=true
    for layer in LAYERS:
        a, b, scale = read_adapter(ir, layer, "mix")
        module = getattr(pm.base_model.model, layer)
        assert a.shape[0] == module.r["mix"], "the new rank is PEFT's"
        assert scale == module.scaling["mix"] == 1.0
        assert relative(scale * b @ a, peft_delta(pm, layer, "mix")) < tol


def test_svd_default_is_the_weighted_sum_at_full_rank(tmp_path):
    """With s ≠ 1 the default svd differs from PEFT 0.10 (scale applied once,
    as REFERENCE §1 says) and at full rank equals Σ wᵢ·sᵢ·Bᵢ·Aᵢ, PEFT's cat."""
    pm, dirs = peft_model(tmp_path, (2, 6), (4, 3))
    pm.add_weighted_adapter(["first", "second"], WEIGHTS, "mix", combination_type="cat")
    ir = run_peft_opt(tmp_path, [
        f"--peft-load-adapter=path={dirs['first']} adapter=first",
        f"--peft-load-adapter=path={dirs['second']} adapter=second",
        "--peft-combine-adapters=mode=svd rank=8 adapters=first,second weights=0.7,1.3 name=mix report=none"])
    for layer in LAYERS:
        a, b, scale = read_adapter(ir, layer, "mix")
        assert a.shape[0] == 8
        assert relative(scale * b @ a, peft_delta(pm, layer, "mix")) < 1e-5


def test_select_rank_error_is_the_dropped_energy(tmp_path):
    pm, dirs = peft_model(tmp_path, (6, 6), (12, 12))
    base = run_peft_opt(tmp_path, [f"--peft-load-adapter=path={dirs['first']} adapter=first"])
    ir = run_peft_opt(tmp_path, [f"--peft-load-adapter=path={dirs['first']} adapter=first",
                                 "--peft-select-rank=policy=energy tau=0.8 report=none"])
    for layer in LAYERS:
        a0, b0, s0 = read_adapter(base, layer, "first")
        delta = s0 * b0 @ a0
        sigma = np.linalg.svd(delta, compute_uv=False)
        a, b, s = read_adapter(ir, layer, "first")
        k = a.shape[0]
        energy = np.cumsum(sigma**2) / np.sum(sigma**2)
        assert energy[k - 1] >= 0.8 and (k == 1 or energy[k - 2] < 0.8)
        assert s == s0
        error = np.linalg.norm(delta - s * b @ a) ** 2
        dropped = np.sum(sigma[k:] ** 2)
        assert abs(error - dropped) <= 1e-4 * dropped
