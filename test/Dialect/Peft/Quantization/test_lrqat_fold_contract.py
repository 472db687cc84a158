"""The LR-QAT contract (../shared/REFERENCE.md §3, issue 11 items 4-5):
a checkpoint written by the reference trainer (python/peft_mlir/lrqat_train.py)
is loaded and folded by the compiler, and the compiled model computes what
the trainer's fake-quant model computes.

For the real all-MiniLM-L6-v2 (gen_models `minilm_opset14`) and each
checkpoint (one trained by a short distillation run; synthetic ones whose
(α/r)·A·B is as large as a trained one's, covering every φ format, bits
2/3/4/8, per-channel and group scales, α/r ≠ 1/32, and a partial
selection):

    peft-opt model.onnx --peft-raise-linear --peft-lrqat-load=path=CKPT -o lrqat.mlir
    peft-opt model.onnx --peft-raise-linear --peft-lrqat-load=path=CKPT \\
        --peft-fold-lrqat -o folded.mlir

- lrqat.mlir holds one peft.lrqat_linear per module whose Φ0, s, A, B are
  the checkpoint's values (the other linears stay peft.linear); folded.mlir
  one peft.qlinear per module whose packed integers equal
  W_int = clamp(rint(Φ0 + (α/r)·A·B)) computed in numpy float64 from the
  safetensors file (read without torch), bit for bit, and whose scales are
  the checkpoint's;
- the trainer's `integer_weight()` / `fake_quant_weight()` equal that numpy
  formula (so the reference below is the formula's);
- both modules, run on the CPU JIT (peft_mlir.Module.run), give
  last_hidden_state and sentence_embedding within 1e-6 of the reference
  relative to its largest magnitude, or within 3x torch's own float32 error
  on the same output where that is larger: the float32 rounding noise of
  this 6-layer transformer alone is 2e-7..2e-6 depending on the weights
  (torch, onnxruntime and our JIT alike). One wrong integer moves the
  outputs by 1e-7..1e-3, so the folded integers are checked bit for bit
  above; the output check is what covers the un-folded module, whose
  integers are formed at run time. The reference is the trainer's transformers.BertModel with the
  fake-quant weights evaluated in float64 by torch (mean pooling and L2
  normalization in numpy), never the compiler.

  PEFT_BUILD=$PWD/build ~/.cache/peft-mlir/venv/bin/python -m pytest -q \\
      test/Dialect/Peft/Quantization/test_lrqat_fold_contract.py
"""

import copy
import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import peft_mlir
import pytest
import torch

from peft_mlir import lrqat_train as T
from peft_mlir import textdata

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "test/models"))
import gen_models  # noqa: E402

MODEL = "minilm_opset14"
RTOL = 1e-6

# (id, bits, phi, group size or None, rank, alpha, targets, trained). The
# synthetic checkpoints get A ~ N(0, 1) rescaled per module so that
# (α/r)·A·B has standard deviation 0.15 (integer units), as a trained one
# might: many integers move, the model stays a usable one. W2 on every layer
# would wreck MiniLM, so that case adapts the q, k, v projections only.
CASES = [
    ("trained-w4-fixed-channel", 4, "fixed", None, 32, 1.0, "all-linear", True),
    ("w4-int-group128", 4, "int", 128, 8, 16.0, "all-linear", False),
    ("w3-float16-group64", 3, "float16", 64, 8, 16.0, "all-linear", False),
    ("w8-bfloat16-channel", 8, "bfloat16", None, 4, 8.0, "all-linear", False),
    ("w2-float32-group128-qkv", 2, "float32", 128, 8, 16.0, "q,k,v", False),
]
AB_STD = 0.15


# ---------------------------------------------------------------------------
# Independent readers (numpy only)
# ---------------------------------------------------------------------------


def read_safetensors(path):
    """{key: numpy array} of a safetensors file, parsed by hand; BF16 comes
    back as float32 (exact)."""
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    data = raw[8 + n:]
    out = {}
    for k, v in header.items():
        b, e = v["data_offsets"]
        buf = data[b:e]
        if v["dtype"] == "BF16":
            a = (np.frombuffer(buf, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(buf, {"I8": np.int8, "F16": "<f2", "F32": "<f4"}[v["dtype"]])
        out[k] = a.reshape(v["shape"])
    return out


def numpy_fold(ckpt):
    """{module: (W_int int64 [out, in], s float32 [out, groups])} by the
    formula of REFERENCE §3, in float64, ties to even."""
    cfg = json.loads((Path(ckpt) / "lrqat_config.json").read_text())
    t = read_safetensors(Path(ckpt) / "lrqat_model.safetensors")
    bits = cfg["bits"]
    qmin, qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    s_lr = cfg["alpha"] / cfg["rank"]
    res = {}
    for p in cfg["modules"]:
        phi0 = t[f"{p}.phi0"].astype(np.float64)
        if cfg["phi"] == "fixed":
            phi0 = phi0 / 2.0 ** (8 - bits)
        ab = t[f"{p}.lora_A"].astype(np.float64) @ t[f"{p}.lora_B"].astype(np.float64)
        w_int = np.clip(np.rint(phi0 + s_lr * ab), qmin, qmax).astype(np.int64)
        res[p] = (w_int, t[f"{p}.scale"])
    return cfg, t, res


def dequantize(w_int, s, group_size):
    cols = w_int.shape[1]
    g = group_size or cols
    s_full = np.repeat(s, g, axis=1)[:, :cols]
    return s_full.astype(np.float32) * w_int.astype(np.float32)


_CONST = re.compile(r"(%[\w.]+) = arith\.constant dense_resource<([^>]+)> : tensor<([^>]+)>")
_BLOB = re.compile(r'^\s*(?:"([^"]+)"|([\w.$\-]+)): "0x([0-9A-Fa-f]*)"', re.M)
_QLINEAR = re.compile(r'peft\.qlinear (%[\w.]+), (%[\w.]+) scales (%[\w.]+)[^\n]*? path "([^"]+)"')
_LRQAT = re.compile(r'peft\.lrqat_linear (%[\w.]+), (%[\w.]+), (%[\w.]+), (%[\w.]+), (%[\w.]+)'
                    r'[^\n]*? path "([^"]+)"')


def read_mlir(path):
    """(text, {ssa name: (raw bytes, tensor type)}) of the constants that
    are dense_resource blobs (the blob's leading 4-byte alignment dropped)."""
    text = Path(path).read_text()
    blobs = {(m.group(1) or m.group(2)): m.group(3) for m in _BLOB.finditer(text)}
    consts = {}
    for m in _CONST.finditer(text):
        hexdata = blobs[m.group(2)]
        consts[m.group(1)] = (bytes.fromhex(hexdata)[4:], m.group(3))
    return text, consts


def decode_const(raw, ty):
    """The values of a dense_resource blob of tensor type `ty` ("384x384xi4")."""
    *dims, elt = ty.split("x")
    shape = [int(d) for d in dims]
    n = int(np.prod(shape))
    if elt.startswith("i"):
        return unpack_signed(raw, int(elt[1:]), n).reshape(shape)
    if elt == "bf16":
        return (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32).reshape(shape)
    return np.frombuffer(raw, {"f16": "<f2", "f32": "<f4"}[elt]).reshape(shape)


def unpack_signed(raw, bits, n):
    """Element i in bits [i·b, i·b+b) of a little-endian bit stream, two's
    complement (docs/quantization.md, "Packing")."""
    if bits == 8:
        return np.frombuffer(raw, np.int8)[:n].astype(np.int64)
    assert len(raw) == -(-n * bits // 8), (len(raw), n, bits)
    stream = np.unpackbits(np.frombuffer(raw, np.uint8), bitorder="little")[:n * bits]
    v = (stream.reshape(n, bits).astype(np.int64) << np.arange(bits)).sum(1)
    return np.where(v >= 2 ** (bits - 1), v - 2 ** bits, v)


# ---------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm():
    return T.load_minilm()


@pytest.fixture(scope="module")
def checkpoints(minilm, tmp_path_factory):
    """make(case) -> checkpoint directory (built once per case)."""
    made = {}

    def make(case):
        cid, bits, phi, gs, rank, alpha, targets, trained = case
        if cid in made:
            return made[cid]
        d = tmp_path_factory.mktemp(cid)
        model = copy.deepcopy(minilm)
        T.wrap_linears(model, targets, bits=bits, phi=phi, rank=rank, alpha=alpha,
                       group_size=gs, seed=0)
        if trained:
            # A short distillation run on windows of the calibration text.
            tok = T.load_tokenizer()
            train_w = T.text_windows(tok, textdata.calibration_text(), seq_len=32)[:32]
            T.train(model, train_w, T.teacher_hidden(minilm, train_w), steps=20, batch_size=4,
                    lr_ab=1e-2, lr_scale=1e-4, log_every=20, log=lambda s: None)
        else:
            g = torch.Generator().manual_seed(bits)
            with torch.no_grad():
                for m in T.lrqat_modules(model).values():
                    a = torch.randn(m.lora_A.shape, generator=g)
                    ab_std = float((m.s_lr * (a.double() @ m.lora_B.double())).std())
                    m.lora_A.copy_(a * (AB_STD / ab_std))
                    m.scale.mul_(1.0 + 0.01 * torch.randn(m.scale.shape, generator=g))
        T.save_checkpoint(model, d)
        made[cid] = d
        return d

    return make


def reference_outputs(minilm, ckpt, w_fold, inputs, group_size):
    """The trainer's model with fake-quant weights: ({output: float64
    value}, {output: relative error of torch's float32 evaluation})."""
    model = copy.deepcopy(minilm)
    T.load_checkpoint(model, ckpt)
    for p, m in T.lrqat_modules(model).items():
        w_int, s = w_fold[p]
        # The trainer's fold is the numpy formula, bit for bit.
        np.testing.assert_array_equal(m.integer_weight().numpy().astype(np.int64), w_int,
                                      err_msg=p)
        np.testing.assert_array_equal(m.fake_quant_weight().numpy(),
                                      dequantize(w_int, s, group_size), err_msg=p)
    fq = T.fake_quant_model(model).eval()
    ti = {k: torch.from_numpy(v) for k, v in inputs.items()}
    with torch.no_grad():
        h32 = fq(**ti).last_hidden_state.numpy()
        h = fq.double()(**ti).last_hidden_state.numpy()
    ref = {"last_hidden_state": h, "sentence_embedding": sentence_embedding(h, inputs)}
    f32 = {"last_hidden_state": h32, "sentence_embedding": sentence_embedding(h32, inputs)}
    # torch's own float32 error on this model, for the bound.
    return ref, {k: rel_err(f32[k], v) for k, v in ref.items()}


def sentence_embedding(h, inputs):
    """gen_models' mean pooling over the mask and L2 normalization, float64."""
    h = h.astype(np.float64)
    mask = inputs["attention_mask"][..., None].astype(np.float64)
    pooled = (h * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def rel_err(got, ref):
    return float(np.max(np.abs(np.asarray(got, np.float64) - ref)) / np.max(np.abs(ref)))


def peft_opt(peft_bin, *args):
    cmd = [str(peft_bin / "peft-opt"), *map(str, args)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stderr[-4000:]}"


# ---------------------------------------------------------------------------
# The contract
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_lrqat_load_and_fold_match_the_trainer(case, onnx_models, model_entry, peft_bin,
                                               minilm, checkpoints, tmp_path):
    model_entry(MODEL)  # fails with the generator's reason if it was not generated
    cid, bits, phi, gs, rank, alpha, targets, _ = case
    onnx_path = onnx_models / f"{MODEL}.onnx"
    inputs = gen_models.load_npz(onnx_models / f"{MODEL}.inputs.npz")
    ckpt = checkpoints(case)
    cfg, tensors, w_fold = numpy_fold(ckpt)
    modules = cfg["modules"]
    assert len(modules) == (36 if targets == "all-linear" else 18)
    # A·B moves integers off round(Φ0) (the trained one at least decides the
    # .5 ties of the fixed-point Φ0).
    qmin, qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    frac = 2.0 ** (8 - bits) if phi == "fixed" else 1.0
    moved = sum(int(np.sum(w != np.clip(np.rint(tensors[f"{p}.phi0"] / frac), qmin, qmax)))
                for p, (w, _) in w_fold.items())
    assert moved > 0
    expected, expected_f32_err = reference_outputs(minilm, ckpt, w_fold, inputs, gs)

    lrqat = tmp_path / "lrqat.mlir"
    folded = tmp_path / "folded.mlir"
    peft_opt(peft_bin, onnx_path, "--peft-raise-linear", f"--peft-lrqat-load=path={ckpt}",
             "-o", lrqat)
    peft_opt(peft_bin, onnx_path, "--peft-raise-linear", f"--peft-lrqat-load=path={ckpt}",
             "--peft-fold-lrqat", "-o", folded)

    # The loaded module: the checkpoint's values (Φ0 in whatever storage
    # type the compiler picked, e.g. packed iB for phi=int).
    text, consts = read_mlir(lrqat)
    ops = {m.group(6): m.groups()[1:5] for m in _LRQAT.finditer(text)}
    assert sorted(ops) == sorted(modules) and "peft.qlinear" not in text
    assert text.count("= peft.linear ") == 36 - len(modules)
    for p, names in ops.items():
        for key, name in zip(("phi0", "scale", "lora_A", "lora_B"), names):
            got = decode_const(*consts[name])
            want = tensors[f"{p}.{key}"]
            assert got.shape == want.shape, (p, key, got.shape)
            assert np.array_equal(got.astype(np.float64), want.astype(np.float64)), f"{p}.{key}"

    # The folded module: W_int and s, bit for bit.
    text, consts = read_mlir(folded)
    ops = {m.group(4): m.groups()[1:3] for m in _QLINEAR.finditer(text)}
    assert sorted(ops) == sorted(modules) and "peft.lrqat_linear" not in text
    assert text.count("= peft.linear ") == 36 - len(modules)
    for p, (wname, sname) in ops.items():
        w_int, s = w_fold[p]
        raw, ty = consts[wname]
        assert ty == f"{w_int.shape[0]}x{w_int.shape[1]}xi{bits}", (p, ty)
        got = unpack_signed(raw, bits, w_int.size).reshape(w_int.shape)
        bad = np.argwhere(got != w_int)
        assert bad.size == 0, f"{p}: {len(bad)} integers differ, first at {bad[0].tolist()}"
        assert consts[sname][0] == s.astype("<f4").tobytes(), f"{p}.scale"

    # Both run on the CPU and compute the fake-quant model: within 1e-6 of
    # max|reference|, or 3x torch's own float32 error on the same output
    # where that is larger (the float32 rounding noise of this 6-layer
    # transformer is itself ~1e-6 for some weights).
    for tag, path in (("lrqat", lrqat), ("folded", folded)):
        module = peft_mlir.Module.parse_file(str(path))
        got = {k: np.asarray(v) for k, v in module.run(inputs).items()}
        assert sorted(got) == sorted(expected), tag
        for key, ref in expected.items():
            err, f32 = rel_err(got[key], ref), expected_f32_err[key]
            tol = max(RTOL, 3 * f32)
            print(f"{cid} {tag} {key}: relative error {err:.3g} (torch float32 {f32:.3g}, "
                  f"bound {tol:.3g})")
            assert err <= tol, (f"{cid} {tag} {key}: max relative error {err:.3g} > {tol:.3g} "
                                f"(torch float32 on the same model: {f32:.3g})")
