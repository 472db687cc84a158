"""Adapter banks (peft-add-task, peft-route-tasks, peft-select-task) on the
generated LLaMA model against Hugging Face PEFT itself (peft 0.10, torch).

Three PEFT adapters with ragged ranks and different target modules are
trained-looking (seeded random A and B) and saved with save_pretrained. The
ONNX model gets them as the tasks of one bank, routed per row: a mixed
batch must equal, row by row, PEFT's own output with that row's adapter
active (and the base model for -1), and our own single-adapter runs
(peft-load-adapter). Adding a task must leave the earlier tasks' outputs
bit-identical; selecting a task and merging it must give that task's
output. Tolerances are relative to the reference's largest magnitude.

  ~/.cache/peft-mlir/venv/bin/python -m pytest -q test/Dialect/Peft/Transforms/test_banks.py
"""

import copy
import os
import sys
from pathlib import Path

import numpy as np
import peft
import pytest
import torch

ROOT = Path(__file__).resolve().parents[4]
BUILD = Path(os.environ.get("PEFT_BUILD", ROOT / "build"))
if (BUILD / "python_packages" / "peft_mlir").is_dir():
    sys.path.insert(0, str(BUILD / "python_packages"))
sys.path.insert(0, str(ROOT / "test/models"))

import gen_models  # noqa: E402
import peft_mlir  # noqa: E402

MODEL = "llama_opset17"
RTOL = 1e-5
# name -> PEFT config: ragged ranks, different targets.
TASKS = {
    "sst2": lambda: peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]),
    "mnli": lambda: peft.LoraConfig(
        r=8, lora_alpha=16, target_modules=["q_proj", "k_proj", "o_proj", "down_proj"],
        rank_pattern={"down_proj": 2}),
    "code": lambda: peft.LoraConfig(r=2, lora_alpha=4, use_rslora=True,
                                    target_modules=["up_proj", "v_proj"]),
}
# Row groups of the mixed batch: task index per sequence, -1 for none.
IDS = np.array([1, 0, -1, 1, 0], dtype=np.int64)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    out = tmp_path_factory.mktemp("banks")
    gen_models.generate(MODEL, out)
    spec = gen_models.MODELS[MODEL]
    base = spec.build(spec.seed).eval()
    vocab = base.lm_head.out_features
    ids = np.random.default_rng(3).integers(0, vocab, (len(IDS), 6), dtype=np.int64)
    feeds = {"input_ids": ids}
    expected = {}
    with torch.no_grad():
        expected[None] = base(torch.from_numpy(ids)).numpy()
    for seed, (name, make) in enumerate(TASKS.items()):
        model = peft.get_peft_model(copy.deepcopy(base), make())
        g = torch.Generator().manual_seed(seed + 1)
        with torch.no_grad():
            for pname, p in model.named_parameters():
                if "lora_A" in pname or "lora_B" in pname:
                    p.copy_(0.2 * torch.randn(p.shape, generator=g))
        model.eval()
        model.create_or_update_model_card = lambda *a, **k: None
        model.save_pretrained(str(out / name))
        with torch.no_grad():
            expected[name] = model(torch.from_numpy(ids)).numpy()
    return out / f"{MODEL}.onnx", out, feeds, expected


def bank(onnx_path, adapters, tasks):
    m = peft_mlir.import_onnx(str(onnx_path))
    for name in tasks:
        m.add_task(name, adapters / name)
    m.route_tasks()
    return m


def check(what, got, ref, scale):
    err = float(np.max(np.abs(got.astype(np.float64) - ref)))
    assert err <= RTOL * scale, f"{what}: max abs error {err:.3g} > {RTOL} x {scale:.3g}"


def test_routed_rows_match_peft_and_single_runs(setup):
    onnx_path, adapters, feeds, expected = setup
    names = ["sst2", "mnli"]
    m = bank(onnx_path, adapters, names)
    routed = m.run({**feeds, "task_ids": IDS})["logits"]
    for name in names:
        single = peft_mlir.import_onnx(str(onnx_path))
        single.raise_linear()
        single.load_adapter(adapters / name)
        ours = single.run(feeds)["logits"]
        for g in np.flatnonzero(IDS == names.index(name)):
            ref = expected[name][g]
            scale = float(np.max(np.abs(ref)))
            moved = float(np.max(np.abs(expected[None][g] - ref)))
            assert moved > 100 * RTOL * scale, f"{name} hardly changes row {g}"
            check(f"row {g} ({name}) vs PEFT", routed[g], ref, scale)
            check(f"row {g} ({name}) vs our single-task run", routed[g], ours[g], scale)
    for g in np.flatnonzero(IDS == -1):
        ref = expected[None][g]
        check(f"row {g} (no task) vs the base model", routed[g], ref, float(np.max(np.abs(ref))))


def test_adding_a_task_keeps_earlier_tasks_bit_identical(setup):
    onnx_path, adapters, feeds, expected = setup
    two = bank(onnx_path, adapters, ["sst2", "mnli"]).run({**feeds, "task_ids": IDS})["logits"]
    three_module = bank(onnx_path, adapters, ["sst2", "mnli", "code"])
    three = three_module.run({**feeds, "task_ids": IDS})["logits"]
    assert np.array_equal(two, three), "adding a task changed an earlier task's output"
    # The new task routes too, at its own rank.
    ids = np.full_like(IDS, 2)
    new = three_module.run({**feeds, "task_ids": ids})["logits"]
    ref = expected["code"]
    check("task 'code' vs PEFT", new, ref, float(np.max(np.abs(ref))))


def test_select_task_then_merge(setup):
    onnx_path, adapters, feeds, expected = setup
    m = bank(onnx_path, adapters, ["sst2", "mnli", "code"])
    m.select_task("mnli")
    m.merge_lora()
    got = m.run(feeds)["logits"]
    ref = expected["mnli"]
    check("selected, merged 'mnli' vs PEFT", got, ref, float(np.max(np.abs(ref))))


def test_bad_task_names_the_tasks(setup):
    onnx_path, adapters, _, _ = setup
    m = bank(onnx_path, adapters, ["sst2"])
    with pytest.raises(peft_mlir.PeftError, match="no task 'qnli' \\(tasks: 'sst2'\\)"):
        m.select_task("qnli")
    with pytest.raises(peft_mlir.PeftError, match="already has a task 'sst2'"):
        m.add_task("sst2", adapters / "mnli")


def test_rows_that_do_not_split_into_groups_are_an_error_of_the_call(setup):
    """A batch whose rows do not split into len(task_ids) groups fails the
    lowering's run-time check: an exception naming the check and the bank
    (not an abort of the interpreter), after which the module still runs."""
    onnx_path, adapters, feeds, _ = setup
    m = bank(onnx_path, adapters, ["sst2"])
    x = feeds["input_ids"][:, :5]  # 5 sequences of 5 tokens: 25 rows
    with pytest.raises(peft_mlir.PeftError,
                       match=r"peft.lora_bank: the rows of the input do not split into as many "
                             r"equal groups as task_ids has entries \(at .+\)"):
        m.run({"input_ids": x, "task_ids": np.zeros(4, np.int64)})
    good = m.run({"input_ids": x, "task_ids": np.zeros(5, np.int64)})["logits"]
    assert good.shape[:2] == (5, 5) and np.isfinite(good).all()


def test_runtime_bank_takes_new_tasks_without_recompiling(setup):
    onnx_path, adapters, feeds, expected = setup
    m = peft_mlir.import_onnx(str(onnx_path))
    m.bank_as_inputs(max_tasks=3, max_total_rank=16,
                     targets=["q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"])
    m.route_tasks()
    for tasks in (["sst2", "mnli"], ["code", "sst2", "mnli"], ["mnli"]):
        out = m.run({**feeds, "task_ids": IDS}, tasks=[adapters / t for t in tasks])["logits"]
        for g, t in enumerate(IDS):
            name = tasks[t] if 0 <= t < len(tasks) else None
            ref = expected[name][g]
            check(f"tasks {tasks}, row {g} ({name})", out[g], ref, float(np.max(np.abs(ref))))
    assert m.compile_count == 1, "a new set of tasks recompiled the module"
    # Named tasks and the errors of the runtime loader.
    m.run({**feeds, "task_ids": IDS}, tasks={"a": adapters / "sst2"})
    with pytest.raises(peft_mlir.PeftError, match="4 tasks given but the bank of layer .* has 3 slots"):
        m.run({**feeds, "task_ids": IDS}, tasks=[adapters / "sst2"] * 4)
    with pytest.raises(peft_mlir.PeftError, match="exceed the bank's capacity 16"):
        m.run({**feeds, "task_ids": IDS}, tasks={"a": adapters / "mnli", "b": adapters / "mnli",
                                                  "c": adapters / "sst2"})
    assert m.compile_count == 1


@pytest.mark.parametrize("policy", [dict(policy="energy", tau=0.6),
                                    dict(policy="threshold", sigma=3.0)])
def test_select_rank_on_a_bank_matches_each_task_alone(setup, policy):
    """Re-ranking the bank's tasks gives, row by row, what re-ranking each
    task's own adapter gives (peft-select-rank on peft.lora, whose
    truncation is checked against the dropped energy in
    test_combine_adapters.py)."""
    onnx_path, adapters, feeds, expected = setup
    names = ["sst2", "mnli"]
    m = peft_mlir.import_onnx(str(onnx_path))
    for name in names:
        m.add_task(name, adapters / name)
    m.select_rank(**policy)
    m.route_tasks()
    routed = m.run({**feeds, "task_ids": IDS})["logits"]
    for t, name in enumerate(names):
        single = peft_mlir.import_onnx(str(onnx_path))
        single.raise_linear()
        single.load_adapter(adapters / name, adapter=name)
        single.select_rank(**policy)
        ours = single.run(feeds)["logits"]
        for g in np.flatnonzero(IDS == t):
            ref = expected[name][g]
            # The truncation moves the output away from the full adapter...
            assert np.max(np.abs(ours[g] - ref)) > 100 * RTOL * np.max(np.abs(ref))
            # ...and the bank moves it exactly as the plain adapter does.
            check(f"re-ranked row {g} ({name})", routed[g], ours[g],
                  float(np.max(np.abs(ours[g]))))


def test_many_tasks_loop_form(setup):
    """A bank of more tasks than the lowering unrolls (eighteen; the three
    PEFT adapters again under other names): the loop over the tasks' padded
    stacks routes as the unrolled form does."""
    onnx_path, adapters, feeds, expected = setup
    names = list(TASKS)
    m = peft_mlir.import_onnx(str(onnx_path))
    for t in range(18):
        m.add_task(f"t{t}", adapters / names[t % 3])
    m.route_tasks()
    ids = np.array([17, 4, -1, 13, 0], dtype=np.int64)
    out = m.run({**feeds, "task_ids": ids})["logits"]
    for g, t in enumerate(ids):
        ref = expected[names[t % 3] if t >= 0 else None][g]
        check(f"row {g} (task t{t})", out[g], ref, float(np.max(np.abs(ref))))
