"""Adapter banks exported to ONNX keep their routing (docs/onnx.md "Adapter
banks"): the generated LLaMA model with three Hugging Face PEFT adapters
(ragged ranks, different target modules) as the tasks of one routed bank,
static and as runtime inputs, is exported, passes onnx.checker, and
onnxruntime gives our CPU JIT's outputs for a mixed task_ids batch (-1 and
an id outside the bank included) within 1e-4 of the largest magnitude.

  ~/.cache/peft-mlir/venv/bin/python -m pytest -q test/Target/ONNX/test_bank_export.py
"""

import copy
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import onnx
import peft
import pytest
import torch
from safetensors.numpy import load_file

ROOT = Path(__file__).resolve().parents[3]
BUILD = Path(os.environ.get("PEFT_BUILD", ROOT / "build"))
if (BUILD / "python_packages" / "peft_mlir").is_dir():
    sys.path.insert(0, str(BUILD / "python_packages"))
sys.path.insert(0, str(ROOT / "test/models"))

import gen_models  # noqa: E402
import peft_mlir  # noqa: E402

MODEL = "llama_opset17"
RTOL = 1e-4
TASKS = {
    "sst2": lambda: peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]),
    "mnli": lambda: peft.LoraConfig(
        r=8, lora_alpha=16, target_modules=["q_proj", "k_proj", "o_proj", "down_proj"],
        rank_pattern={"down_proj": 2}),
    "code": lambda: peft.LoraConfig(r=2, lora_alpha=4, use_rslora=True,
                                    target_modules=["up_proj", "v_proj"]),
}
# Task index per sequence: every task, no task (-1) and an id past the bank.
IDS = np.array([1, 0, -1, 2, 0, 5], dtype=np.int64)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    out = tmp_path_factory.mktemp("bank_export")
    gen_models.generate(MODEL, out)
    spec = gen_models.MODELS[MODEL]
    base = spec.build(spec.seed).eval()
    vocab = base.lm_head.out_features
    for seed, (name, make) in enumerate(TASKS.items()):
        model = peft.get_peft_model(copy.deepcopy(base), make())
        g = torch.Generator().manual_seed(seed + 1)
        with torch.no_grad():
            for pname, p in model.named_parameters():
                if "lora_A" in pname or "lora_B" in pname:
                    p.copy_(0.2 * torch.randn(p.shape, generator=g))
        model.create_or_update_model_card = lambda *a, **k: None
        model.save_pretrained(str(out / name))
    ids = np.random.default_rng(3).integers(0, vocab, (len(IDS), 6), dtype=np.int64)
    return out / f"{MODEL}.onnx", out, {"input_ids": ids, "task_ids": IDS}


def check(what, got, ref):
    scale = float(np.max(np.abs(ref)))
    err = float(np.max(np.abs(got.astype(np.float64) - ref)))
    assert err <= RTOL * scale, f"{what}: max abs error {err:.3g} > {RTOL} x {scale:.3g}"


def export(m, path):
    m.export_onnx(str(path))
    onnx.checker.check_model(str(path), full_check=True)
    model = onnx.load(str(path))
    assert "task_ids" in [i.name for i in model.graph.input]
    return model


def test_static_bank_in_onnxruntime(setup, tmp_path):
    onnx_path, adapters, feeds = setup
    m = peft_mlir.import_onnx(str(onnx_path))
    for name in TASKS:
        m.add_task(name, adapters / name)
    m.route_tasks()
    model = export(m, tmp_path / "bank.onnx")
    scopes = {n.name.rsplit("/lora_bank/", 1)[0]
              for n in model.graph.node if "/lora_bank/" in n.name}
    assert "/model/layers.0/self_attn/q_proj" in scopes and "/model/layers.0/mlp/up_proj" in scopes
    ours = m.run(feeds)["logits"]
    theirs = gen_models.ort_run(tmp_path / "bank.onnx", feeds)["logits"]
    check("static bank: onnxruntime vs JIT", theirs, ours)
    # Routing matters: another batch of ids changes the rows that moved.
    none = {**feeds, "task_ids": np.full_like(IDS, -1)}
    other = gen_models.ort_run(tmp_path / "bank.onnx", none)["logits"]
    assert not np.allclose(other[0], theirs[0], rtol=0, atol=1e-3)
    check("no task: onnxruntime vs JIT", other, m.run(none)["logits"])


def bank_inputs(model, task_dirs):
    """The runtime bank inputs of `model` for `task_dirs`, in numpy: per layer,
    each task's A rows and B columns stacked in task order (rank 0 where the
    task does not adapt the layer), offsets, scales; the rest zero."""
    tensors = [load_file(str(d / "adapter_model.safetensors")) for d in task_dirs]
    configs = [json.loads((d / "adapter_config.json").read_text()) for d in task_dirs]
    shapes = {vi.name: [dim.dim_value for dim in vi.type.tensor_type.shape.dim]
              for vi in model.graph.input}
    feeds = {}
    for name, shape in shapes.items():
        if not name.endswith(".bank_A"):
            continue
        path = name[:-len(".bank_A")]
        capacity, slots = shape[0], shapes[path + ".bank_scales"][0]
        a = np.zeros(shape, np.float32)
        b = np.zeros(shapes[path + ".bank_B"], np.float32)
        offsets, scales = [0], np.zeros(slots, np.float32)
        for t, (weights, config) in enumerate(zip(tensors, configs)):
            key = f"base_model.model.{path}"
            o = offsets[-1]
            if key + ".lora_A.weight" in weights:
                ta, tb = weights[key + ".lora_A.weight"], weights[key + ".lora_B.weight"]
                r = ta.shape[0]
                assert o + r <= capacity
                a[o:o + r], b[:, o:o + r] = ta, tb
                alpha = config["lora_alpha"]
                scales[t] = alpha / math.sqrt(r) if config.get("use_rslora") else alpha / r
                o += r
            offsets.append(o)
        offsets += [offsets[-1]] * (slots + 1 - len(offsets))
        feeds.update({name: a, path + ".bank_B": b, path + ".bank_scales": scales,
                      path + ".bank_offsets": np.array(offsets, np.int64)})
    return feeds


def test_runtime_bank_in_onnxruntime(setup, tmp_path):
    onnx_path, adapters, feeds = setup
    m = peft_mlir.import_onnx(str(onnx_path))
    m.bank_as_inputs(max_tasks=3, max_total_rank=16,
                     targets=["q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"])
    m.route_tasks()
    model = export(m, tmp_path / "runtime.onnx")
    inputs = [i.name for i in model.graph.input]
    assert "model.layers.0.self_attn.q_proj.bank_offsets" in inputs
    for tasks in (["sst2", "mnli", "code"], ["code", "sst2"]):
        dirs = [adapters / t for t in tasks]
        ours = m.run(feeds, tasks=dirs)["logits"]
        banks = bank_inputs(model, dirs)
        theirs = gen_models.ort_run(tmp_path / "runtime.onnx", {**feeds, **banks})["logits"]
        check(f"runtime bank {tasks}: onnxruntime vs JIT", theirs, ours)
    assert m.compile_count == 1
