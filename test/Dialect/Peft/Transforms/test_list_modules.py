"""peft-list-modules on every generated model of test/models/gen_models.py.

`peft-opt model.onnx --peft-raise-linear --peft-list-modules` must find, for
each model, one transformer block per layer of the generator's config, each
with an attention of the config's query / key-value heads and head dim, the
rotary embedding the architecture uses and the softmax scale 1/sqrt(head dim),
and an MLP of the config's intermediate size with the architecture's
activation; a fused projection (GPT-2's c_attn) splits into q, k, v column
ranges of width hidden. The expected values come from the generator's configs
(LLAMA_CFG, GPT2_CFG, BERT_CFG, MINILM_CFG) and the torch module names, never
from the tool. The opset-17 models are also checked after onnx's version
converter raised them to opsets 18 and 21 (Split with num_outputs, Reduce*
with an axes input).

  PEFT_BUILD=$PWD/build ~/.cache/peft-mlir/venv/bin/python -m pytest -q \\
      test/Dialect/Peft/Transforms/test_list_modules.py
"""

import math
import subprocess
import sys
from pathlib import Path

import onnx
import onnx.version_converter
import pytest

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "test/models"))
import gen_models  # noqa: E402

HEADER = ["block", "prefix", "module", "heads", "kv_heads", "head_dim", "groups", "rotary",
          "table", "scale", "activation", "inter", "x_in", "x_out", "linears"]


def architecture(name):
    """(config, block path prefix, layer scope in node names, rotary,
    activation, gated, fused qkv, linears in no module) of a generated model."""
    if name.startswith("llama"):
        return (gen_models.LLAMA_CFG, "model.layers.{}", "/model/layers.{}/", "half", "silu",
                True, False, ["other=lm_head"])
    if name.startswith("gpt2"):
        return (gen_models.GPT2_CFG, "transformer.h.{}", "/transformer/h.{}/", "none",
                "gelu_tanh", False, True, ["other=lm_head"])
    if name.startswith("minilm"):
        return (gen_models.MINILM_CFG, "encoder.layer.{}", "/encoder/layer.{}/", "none",
                "gelu_erf", False, False, [])
    if name.startswith("bert") or name == "tiny_external":
        return (gen_models.BERT_CFG, "encoder.layer.{}", "/encoder/layer.{}/", "none",
                "gelu_erf", False, False, [])
    raise AssertionError(f"no expected architecture for {name}")


def list_modules(peft_bin, model, tmp_path):
    table = tmp_path / "modules.txt"
    cmd = [peft_bin / "peft-opt", model, "--peft-raise-linear",
           f"--peft-list-modules=output={table}", "-o", "/dev/null"]
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-4000:]
    lines = table.read_text().strip().splitlines()
    assert lines[0].split() == HEADER, lines[0]
    return [dict(zip(HEADER, line.split(maxsplit=len(HEADER) - 1))) for line in lines[1:-1]], \
        lines[-1]


def check(rows, footer, name):
    cfg, prefix, scope, rotary, activation, gated, fused, unassigned = architecture(name)
    layers, hidden, heads = cfg["layers"], cfg["hidden"], cfg["heads"]
    kv_heads = cfg.get("kv_heads", heads)
    head_dim = hidden // heads
    blocks = [r for r in rows if r["module"] != "none"]
    assert len(blocks) == 2 * layers, rows
    for i in range(layers):
        attn, mlp = blocks[2 * i], blocks[2 * i + 1]
        assert (attn["block"], attn["module"], mlp["block"], mlp["module"]) == \
            (str(i), "attention", str(i), "mlp")
        assert attn["prefix"] == mlp["prefix"] == prefix.format(i)
        assert (int(attn["heads"]), int(attn["kv_heads"]), int(attn["head_dim"]),
                int(attn["groups"])) == (heads, kv_heads, head_dim, heads // kv_heads), attn
        assert attn["rotary"] == rotary, attn
        if rotary != "none":
            assert attn["table"].split("x")[-1] == str(head_dim), attn
        assert math.isclose(float(attn["scale"]), 1 / math.sqrt(head_dim), rel_tol=1e-5), attn
        assert mlp["activation"] == activation, mlp
        assert int(mlp["inter"]) == cfg["inter"], mlp
        roles = [part.split("=")[0] for part in mlp["linears"].split(",")]
        assert roles == (["gate", "up", "down"] if gated else ["up", "down"]), mlp
        if fused:
            assert attn["linears"].split(",")[:3] == [
                f"q=attn.c_attn[0:{hidden}]", f"k=attn.c_attn[{hidden}:{2 * hidden}]",
                f"v=attn.c_attn[{2 * hidden}:{3 * hidden}]"], attn
        else:
            assert [p.split("=")[0] for p in attn["linears"].split(",")] == \
                ["q", "k", "v", "o"], attn
        # The block hands on its own residual stream to the next block.
        assert attn["x_out"] == mlp["x_out"] and attn["x_out"].startswith(scope.format(i)), attn
        if i > 0:
            assert attn["x_in"] != blocks[2 * i - 2]["x_in"]
    assert [r["linears"] for r in rows if r["module"] == "none"] == unassigned
    assert footer == (f"{layers} block{'s' if layers != 1 else ''}, {layers} attention, "
                      f"{layers} mlp, {len(unassigned)} linear"
                      f"{'' if len(unassigned) == 1 else 's'} in no module")


@pytest.mark.parametrize("name", list(gen_models.MODELS))
def test_generated_model(peft_bin, onnx_models, model_entry, tmp_path, name):
    entry = model_entry(name)
    rows, footer = list_modules(peft_bin, onnx_models / entry["file"], tmp_path)
    check(rows, footer, name)


@pytest.mark.parametrize("opset", [18, 21])
@pytest.mark.parametrize("name", ["llama_opset17", "llama_opset17_nofold",
                                  "gpt2_conv1d_opset17", "gpt2_matmul_opset17",
                                  "bert_opset17"])
def test_converted_model(peft_bin, onnx_models, model_entry, tmp_path, name, opset):
    entry = model_entry(name)
    model = onnx.load(str(onnx_models / entry["file"]))
    raised = onnx.version_converter.convert_version(model, opset)
    raised.ir_version = model.ir_version
    path = tmp_path / f"{name}_to{opset}.onnx"
    onnx.save(raised, str(path))
    rows, footer = list_modules(peft_bin, path, tmp_path)
    check(rows, footer, name)
