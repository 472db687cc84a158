"""The reference LR-QAT trainer's causal-LM path (python/peft_mlir/lrqat_train.py,
`--model llama`, the path bench/quality_lrqat.py trains SmolLM2-135M with),
smoke-tested on a tiny LLaMA (gen_models' LLAMA_CFG: 2 layers, GQA, SwiGLU,
random weights) so that it runs in seconds:

- the model is exported to ONNX from gen_models' classes and the same
  weights are saved as a Hugging Face directory that the trainer loads into
  transformers' LlamaForCausalLM (`load_llama`);
- `all-linear` selects the 14 projections, not the LM head, under the
  paths `peft-raise-linear` gives for the ONNX export;
- two steps of the next-token KL objective move A and lower the loss's
  value against an independent numpy KL of the same logits;
- the checkpoint loads and folds in `peft-opt`: the folded integers equal
  W_int = clamp(rint(Φ0 + (α/r)·A·B)) in numpy float64, and the folded
  module run by our CPU JIT gives the trainer's fake-quant logits (torch,
  float64) within 1e-6 relative, or 3x torch's own float32 error where that
  is larger (as test_lrqat_fold_contract.py bounds MiniLM).

  PEFT_BUILD=$PWD/build ~/.cache/peft-mlir/venv/bin/python -m pytest -q \\
      test/Dialect/Peft/Quantization/test_lrqat_llama.py
"""

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import peft_mlir
import pytest
import torch

from peft_mlir import lrqat_train as T

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
sys.path.insert(0, str(ROOT / "test/models"))
sys.path.insert(0, str(HERE))
import gen_models  # noqa: E402
from test_lrqat_fold_contract import (  # noqa: E402
    _QLINEAR, numpy_fold, read_mlir, rel_err, unpack_signed)

RTOL = 1e-6
CFG = gen_models.LLAMA_CFG


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(onnx path, Hugging Face directory) of one tiny LLaMA."""
    from transformers import LlamaConfig, LlamaForCausalLM

    d = tmp_path_factory.mktemp("tiny_llama")
    gm = gen_models.build_llama(0).eval()
    ids = torch.tensor([[1, 2, 3, 4, 5]], dtype=torch.int64)
    with torch.no_grad():
        torch.onnx.export(gm, (ids,), str(d / "model.onnx"), opset_version=17,
                          do_constant_folding=True, input_names=["input_ids"],
                          output_names=["logits"],
                          dynamic_axes={"input_ids": {0: "b", 1: "s"}, "logits": {0: "b", 1: "s"}})
    hc = LlamaConfig(vocab_size=CFG["vocab"], hidden_size=CFG["hidden"],
                     intermediate_size=CFG["inter"], num_hidden_layers=CFG["layers"],
                     num_attention_heads=CFG["heads"], num_key_value_heads=CFG["kv_heads"],
                     rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=False,
                     max_position_embeddings=64, hidden_act="silu", attention_bias=False)
    hf = LlamaForCausalLM(hc)
    sd = {k: v for k, v in gm.state_dict().items() if "rotary_emb" not in k}
    res = hf.load_state_dict(sd, strict=False)
    assert not res.unexpected_keys and not [k for k in res.missing_keys if "rotary" not in k]
    hf.save_pretrained(str(d / "hf"), safe_serialization=True)
    # The two implementations agree (the ONNX export is gen_models').
    x = torch.from_numpy(np.random.default_rng(1).integers(1, CFG["vocab"], (2, 9)))
    with torch.no_grad():
        assert rel_err(gm(x).numpy(), T.load_llama(d / "hf")(input_ids=x).logits.double()
                       .numpy()) < 1e-5
    return d / "model.onnx", d / "hf"


def np_kl(student_logits, teacher_logits):
    """Mean over positions of KL(softmax(t) ‖ softmax(s)), float64."""
    s = np.asarray(student_logits, np.float64).reshape(-1, CFG["vocab"])
    t = np.asarray(teacher_logits, np.float64).reshape(-1, CFG["vocab"])

    def logsoftmax(z):
        z = z - z.max(-1, keepdims=True)
        return z - np.log(np.exp(z).sum(-1, keepdims=True))

    lt, ls = logsoftmax(t), logsoftmax(s)
    return float((np.exp(lt) * (lt - ls)).sum(-1).mean())


def test_llama_train_load_fold(tiny, peft_bin, tmp_path):
    onnx_path, hf_dir = tiny
    fp32 = T.load_llama(hf_dir)
    assert T.is_causal_lm(fp32)
    rng = np.random.default_rng(0)
    windows = torch.from_numpy(rng.integers(1, CFG["vocab"], (6, 16)))
    targets = T.teacher_hidden(fp32, windows)

    model = copy.deepcopy(fp32)
    names = T.wrap_linears(model, "all-linear", bits=4, phi="fixed", rank=4, alpha=4.0, seed=0)
    assert len(names) == 14 and "lm_head" not in names
    assert names[:7] == [f"model.layers.0.{p}" for p in (
        "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
        "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")]

    # The objective is the next-token KL to the fp32 model.
    with torch.no_grad():
        got = float(T.distill_loss(model, windows[:2], targets[:2]))
        want = np_kl(model(input_ids=windows[:2]).logits.numpy(),
                     fp32(input_ids=windows[:2]).logits.numpy())
    # float32 log-softmax differences of near-equal distributions: ~1e-4 relative
    assert want > 0 and abs(got - want) <= 1e-3 * want, (got, want)

    hist = T.train(model, windows, targets, steps=2, batch_size=2, lr_ab=5e-2, lr_scale=1e-4,
                   log_every=1, log=lambda s: None)
    assert len(hist) == 2 and all(np.isfinite(v) for _, v in hist)
    assert any(float(m.lora_A.abs().max()) > 0 for m in T.lrqat_modules(model).values())
    ckpt = T.save_checkpoint(model, tmp_path / "ckpt")

    folded = tmp_path / "folded.mlir"
    r = subprocess.run([str(peft_bin / "peft-opt"), str(onnx_path), "--peft-raise-linear",
                        f"--peft-lrqat-load=path={ckpt}", "--peft-fold-lrqat", "-o", str(folded)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-4000:]

    cfg, _, w_fold = numpy_fold(ckpt)
    text, consts = read_mlir(folded)
    ops = {m.group(4): m.groups()[1:3] for m in _QLINEAR.finditer(text)}
    assert sorted(ops) == sorted(cfg["modules"]) == sorted(names)
    assert "peft.lrqat_linear" not in text
    moved = 0
    for p, (wname, sname) in ops.items():
        w_int, s = w_fold[p]
        raw, ty = consts[wname]
        assert ty == f"{w_int.shape[0]}x{w_int.shape[1]}xi4", (p, ty)
        np.testing.assert_array_equal(unpack_signed(raw, 4, w_int.size).reshape(w_int.shape),
                                      w_int, err_msg=p)
        assert consts[sname][0] == s.astype("<f4").tobytes(), p
        np.testing.assert_array_equal(
            T.lrqat_modules(model)[p].integer_weight().numpy().astype(np.int64), w_int)
        phi0 = T.lrqat_modules(model)[p].phi0.numpy().astype(np.float64) / 16.0
        moved += int(np.sum(w_int != np.clip(np.rint(phi0), -8, 7)))
    assert moved > 0

    ids = windows[:2, :12]
    fq = T.fake_quant_model(model)
    with torch.no_grad():
        ref32 = fq(input_ids=ids).logits.numpy()
        ref = fq.double()(input_ids=ids).logits.numpy()
    got = np.asarray(peft_mlir.Module.parse_file(str(folded)).run(
        {"input_ids": ids.numpy()})["logits"])
    err, f32 = rel_err(got, ref), rel_err(ref32, ref)
    tol = max(RTOL, 3 * f32)
    assert err <= tol, f"folded vs fake-quant: {err:.3g} > {tol:.3g} (torch float32 {f32:.3g})"


def test_llama_cli_needs_model_dir(tmp_path):
    with pytest.raises(SystemExit, match="--model-dir"):
        T.main(["--model", "llama", "--out", str(tmp_path)])
