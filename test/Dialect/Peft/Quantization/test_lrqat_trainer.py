"""The reference LR-QAT trainer (python/peft_mlir/lrqat_train.py) against
independent numpy formulas (../shared/REFERENCE.md §3, docs/quantization.md):

- the Lp scale search (p = 4, α = 1, 0.99, ..., 0.2, largest α on ties, a
  group of zeros gets s = 1) on tiny tensors, per channel and per group (a
  shorter last group included);
- Φ0 storage: the fixed-point int8 form is the identity on its grid and
  round_half_even(clamp(x)·2^(8-b)) elsewhere; `int` and the float formats;
- the straight-through forward: round's gradient is the identity, clamp's is
  zero outside the grid; the gradients of A, B and s are the numpy chain rule;
- fake_quant_weight: W_int = clamp(rint(Φ0 + (α/r)·A·B)) in float64 (ties to
  even), times s in float32; with A·B = 0 it is round-to-nearest except the
  documented fixed-point double-rounding boundary;
- the training windows come from textdata.calibration_text(), never from
  the evaluation text;
- a short distillation run on the real MiniLM writes a checkpoint whose keys,
  shapes and dtypes (read from the safetensors header, not through torch)
  are those of docs/quantization.md, and which reloads to the same model;
- the CLI prints interval losses and the RTN / LR-QAT summary.

  PEFT_BUILD=$PWD/build ~/.cache/peft-mlir/venv/bin/python -m pytest -q \\
      test/Dialect/Peft/Quantization/test_lrqat_trainer.py
"""

import copy
import json
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from peft_mlir import lrqat_train as T
from peft_mlir import textdata

DTYPE_OF_PHI = {"fixed": "I8", "int": "I8", "float16": "F16", "bfloat16": "BF16",
                "float32": "F32"}


def grid(bits):
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


# ---------------------------------------------------------------------------
# Lp scale search
# ---------------------------------------------------------------------------


def np_lp_scale(values, bits, p=4):
    """One group's scale, scalar by scalar in float64 (docs/quantization.md)."""
    qmin, qmax = grid(bits)
    values = [float(v) for v in values]
    amax = max(abs(v) for v in values)
    best, best_err = None, np.inf
    for i in range(81):  # α = 1, 0.99, ..., 0.2
        ratio = 1.0 - i / 100
        s = np.float32(amax * ratio / qmax)
        if s == 0:
            s = np.float32(1)
        err = 0.0
        for v in values:
            q = min(max(np.rint(v / float(s)), qmin), qmax)
            e = abs(v - float(s) * q)
            err += (e * e) * (e * e) if p == 4 else e ** p
        if err < best_err:  # strict: the largest α wins ties
            best, best_err = s, err
    return best


def np_lp_scales(w, bits, group_size):
    out, cols = w.shape
    g = group_size or cols
    spans = [(c, min(cols, c + g)) for c in range(0, cols, g)]
    return np.array([[np_lp_scale(w[r, a:b], bits) for a, b in spans] for r in range(out)],
                    dtype=np.float32)


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
@pytest.mark.parametrize("group_size", [None, 4, 5])
def test_lp_scales_match_numpy(bits, group_size):
    rng = np.random.default_rng(bits * 10 + (group_size or 0))
    w = rng.standard_normal((6, 13)).astype(np.float32)
    w[2, 3] = 6.0            # an outlier
    w[4, :] = 0.0            # a row of zeros: s = 1
    w[5, :] = 0.0
    w[5, 9] = -0.5           # one non-zero value
    got = T.lp_scales(torch.from_numpy(w), bits, group_size).numpy()
    groups = 1 if group_size is None else -(-13 // group_size)
    assert got.shape == (6, groups) and got.dtype == np.float32
    want = np_lp_scales(w, bits, group_size)
    np.testing.assert_array_equal(got, want)
    assert np.all(got[4] == 1.0)


def test_lp_search_clips_and_ties_keep_largest_alpha():
    qmin, qmax = grid(4)
    # Values on the min-max grid: α = 1 has zero error; every α ties or loses.
    on_grid = (np.arange(qmin + 1, qmax + 1) * 0.125).astype(np.float32)[None, :]
    s = T.lp_scales(torch.from_numpy(on_grid), 4).numpy()
    assert s[0, 0] == np.float32(np.abs(on_grid).max() / qmax)
    # Gaussian rows: p = 4 clips some of them (α < 1), as in the paper.
    w = np.random.default_rng(0).standard_normal((32, 256)).astype(np.float32)
    s = T.lp_scales(torch.from_numpy(w), 4).numpy()[:, 0]
    minmax = T.minmax_scales(torch.from_numpy(w), 4).numpy()[:, 0]
    np.testing.assert_array_equal(minmax, (np.abs(w).max(1).astype(np.float64) / qmax)
                                  .astype(np.float32))
    assert np.all(s <= minmax) and np.any(s < minmax)
    # The ratios tried.
    r = T._clip_ratios()
    assert len(r) == 81 and r[0] == 1.0 and abs(r[-1] - 0.2) < 1e-12


# ---------------------------------------------------------------------------
# Φ0 storage
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
def test_fixed_point_is_identity_on_the_grid(bits):
    qmin, qmax = grid(bits)
    frac = 2 ** (8 - bits)
    k = np.arange(qmin * frac, qmax * frac + 1)           # every grid point
    assert k.min() >= -128 and k.max() <= 127
    x = k / frac
    dec = T.decode_phi(torch.from_numpy(k.astype(np.int8)), bits, "fixed", torch.float64).numpy()
    np.testing.assert_array_equal(dec, x)
    enc = T.encode_phi(torch.from_numpy(x), bits, "fixed")
    assert enc.dtype == torch.int8
    np.testing.assert_array_equal(enc.numpy(), k.astype(np.int8))


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
def test_fixed_point_encode_is_round_half_even_of_clamp(bits):
    qmin, qmax = grid(bits)
    frac = 2 ** (8 - bits)
    rng = np.random.default_rng(bits)
    x = np.concatenate([
        rng.uniform(qmin - 3, qmax + 3, 2000),                 # clamps included
        (np.arange(qmin * frac, qmax * frac) + 0.5) / frac,    # every tie
        [qmin - 0.5, qmax + 0.5, -0.0, 0.0]])
    want = np.rint(np.clip(x, qmin, qmax) * frac).astype(np.int8)
    np.testing.assert_array_equal(T.encode_phi(torch.from_numpy(x), bits, "fixed").numpy(), want)
    want_int = np.rint(np.clip(x, qmin, qmax)).astype(np.int8)
    np.testing.assert_array_equal(T.encode_phi(torch.from_numpy(x), bits, "int").numpy(), want_int)
    f16 = T.encode_phi(torch.from_numpy(x), bits, "float16")
    assert f16.dtype == torch.float16
    np.testing.assert_array_equal(f16.numpy(), np.clip(x, qmin, qmax).astype(np.float32)
                                  .astype(np.float16))
    f32 = T.encode_phi(torch.from_numpy(x), bits, "float32")
    np.testing.assert_array_equal(f32.numpy(), np.clip(x, qmin, qmax).astype(np.float32))
    bf16 = T.encode_phi(torch.from_numpy(x), bits, "bfloat16")
    assert bf16.dtype == torch.bfloat16
    # bfloat16 = the float32 value rounded to 8 significant bits, ties to even.
    u = np.clip(x, qmin, qmax).astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    np.testing.assert_array_equal(bf16.view(torch.int16).numpy().view(np.uint16), rounded)


# ---------------------------------------------------------------------------
# The training-time forward
# ---------------------------------------------------------------------------


def make_layer(phi="fixed", bits=4, group_size=None, rank=3, alpha=2.0, a_std=0.0, seed=0,
               out=7, cols=10):
    g = torch.Generator().manual_seed(seed)
    lin = torch.nn.Linear(cols, out)
    with torch.no_grad():
        lin.weight.copy_(torch.randn(out, cols, generator=g))
        lin.bias.copy_(torch.randn(out, generator=g))
    layer = T.LrqatLinear.from_linear(lin, bits=bits, phi=phi, rank=rank, alpha=alpha,
                                      group_size=group_size, generator=g)
    if a_std:
        with torch.no_grad():
            layer.lora_A.copy_(a_std * torch.randn(out, rank, generator=g))
    return lin, layer


def np_state(layer):
    """Φ0 (float64), s [out, in], A, B, s_lr as numpy, from the stored tensors."""
    phi0 = layer.phi0
    if phi0.dtype == torch.bfloat16:
        phi0 = phi0.float()
    phi0 = phi0.numpy().astype(np.float64)
    if layer.phi == "fixed":
        phi0 = phi0 / 2 ** (8 - layer.bits)
    s = layer.scale.detach().numpy()
    g = layer.group_size or layer.in_features
    s_full = np.repeat(s, g, axis=1)[:, :layer.in_features]
    return (phi0, s_full, layer.lora_A.detach().numpy().astype(np.float64),
            layer.lora_B.detach().numpy().astype(np.float64), layer.alpha / layer.rank)


def np_w_int(layer):
    phi0, _, a, b, s_lr = np_state(layer)
    qmin, qmax = grid(layer.bits)
    return np.clip(np.rint(phi0 + s_lr * (a @ b)), qmin, qmax)


def test_round_ste_gradient_is_identity():
    z = torch.tensor([-2.5, -1.5, -0.5, 0.2, 0.5, 1.49, 2.5, 7.7], requires_grad=True)
    y = T.round_ste(z)
    np.testing.assert_array_equal(y.detach().numpy(), np.rint(z.detach().numpy()))
    g = torch.arange(1.0, 9.0)
    y.backward(g)
    np.testing.assert_array_equal(z.grad.numpy(), g.numpy())


@pytest.mark.parametrize("group_size", [None, 4])
def test_ste_gradients_match_numpy_chain_rule(group_size):
    lin, layer = make_layer(group_size=group_size, a_std=3.0, seed=1)
    qmin, qmax = grid(layer.bits)
    x = torch.randn(5, layer.in_features, generator=torch.Generator().manual_seed(2))
    gy = torch.randn(5, layer.out_features, generator=torch.Generator().manual_seed(3))
    (layer(x) * gy).sum().backward()

    phi0, s, a, b, s_lr = np_state(layer)
    z = phi0 + s_lr * (a @ b)
    r = np.rint(z)
    inside = (r >= qmin) & (r <= qmax)
    assert inside.any() and (~inside).any(), "the case must exercise both sides of the clamp"
    w_int = np.clip(r, qmin, qmax)
    d_w = gy.numpy().astype(np.float64).T @ x.numpy().astype(np.float64)   # dL/dŴ [out, in]
    d_z = d_w * s * inside                                                 # STE; clamp cuts
    np.testing.assert_allclose(layer.lora_A.grad.numpy(), s_lr * d_z @ b.T, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.lora_B.grad.numpy(), s_lr * a.T @ d_z, rtol=1e-5, atol=1e-5)
    g = layer.group_size or layer.in_features
    d_s = np.stack([(d_w * w_int)[:, c:c + g].sum(1)
                    for c in range(0, layer.in_features, g)], axis=1)
    np.testing.assert_allclose(layer.scale.grad.numpy(), d_s, rtol=1e-5, atol=1e-5)
    assert layer.bias.requires_grad is False and layer.phi0.requires_grad is False


@pytest.mark.parametrize("phi", T.PHI_FORMATS)
@pytest.mark.parametrize("bits,group_size", [(4, None), (3, 4), (2, 5), (8, None)])
def test_fake_quant_weight_matches_numpy(phi, bits, group_size):
    _, layer = make_layer(phi=phi, bits=bits, group_size=group_size, a_std=2.0, seed=bits)
    w_int = np_w_int(layer)
    np.testing.assert_array_equal(layer.integer_weight().numpy(), w_int.astype(np.int8))
    _, s, _, _, _ = np_state(layer)
    want = s.astype(np.float32) * w_int.astype(np.float32)
    np.testing.assert_array_equal(layer.fake_quant_weight().numpy(), want)
    # The training forward computes the same weight (away from f32/f64 ties).
    x = torch.eye(layer.in_features)
    got = (layer(x) - layer.bias).detach().numpy().T
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6 * np.abs(want).max())


def test_fold_ties_round_to_even():
    # s_lr·A·B = 0.5 exactly on top of integer Φ0: every value is a tie.
    rank = 2
    lin, layer = make_layer(phi="int", bits=4, rank=rank, alpha=1.0, out=4, cols=6)
    with torch.no_grad():
        layer.lora_A.fill_(1.0)
        layer.lora_B.fill_(0.5)     # (A·B)[o, i] = 1, times 1/2
    phi0, _, a, b, s_lr = np_state(layer)
    z = phi0 + s_lr * (a @ b)
    assert np.all(z - np.floor(z) == 0.5)
    w_int = layer.integer_weight().numpy()
    np.testing.assert_array_equal(w_int, np.clip(np.rint(z), -8, 7))
    interior = (z > -8) & (z < 7)
    assert np.all(w_int[interior] % 2 == 0)


@pytest.mark.parametrize("bits", [3, 4])
def test_zero_ab_is_rtn_except_the_fixed_point_boundary(bits):
    qmin, qmax = grid(bits)
    rng = np.random.default_rng(bits)
    lin = torch.nn.Linear(256, 64)
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(rng.standard_normal((64, 256)).astype(np.float32)))
    for phi in ("fixed", "int"):
        layer = T.LrqatLinear.from_linear(lin, bits=bits, phi=phi, rank=4)
        assert float(layer.lora_A.abs().max()) == 0.0   # A zero-init: A·B = 0
        s = np.repeat(layer.scale.detach().numpy(), 256, axis=1).astype(np.float64)
        ratio = lin.weight.detach().numpy().astype(np.float64) / s
        rtn = np.clip(np.rint(ratio), qmin, qmax)
        got = layer.integer_weight().numpy()
        if phi == "int":
            np.testing.assert_array_equal(got, rtn)
            continue
        # Double rounding through 8-b fractional bits differs from RTN only
        # within 2^-(9-b) of a .5 boundary.
        near = np.abs(ratio - np.floor(ratio) - 0.5) <= 2.0 ** -(9 - bits)
        assert np.array_equal(got[~near], rtn[~near])
        assert near.any()


# ---------------------------------------------------------------------------
# Model surgery, text
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm():
    return T.load_minilm()


def test_select_linears(minilm):
    all_linear = T.select_linears(minilm, "all-linear")
    assert len(all_linear) == 36
    assert all_linear[0] == "encoder.layer.0.attention.self.query"
    assert T.select_linears(minilm, ["q"]) == [f"encoder.layer.{i}.attention.self.query"
                                               for i in range(6)]
    assert T.select_linears(minilm, "query,value") == T.select_linears(minilm, ["q", "v"])
    assert T.select_linears(minilm, ["o"]) == [f"encoder.layer.{i}.attention.output.dense"
                                               for i in range(6)]
    assert T.select_linears(minilm, ["down"]) == [f"encoder.layer.{i}.output.dense"
                                                  for i in range(6)]
    assert T.select_linears(minilm, ["encoder.layer.3.intermediate.dense"]) == [
        "encoder.layer.3.intermediate.dense"]
    with pytest.raises(ValueError, match="matches no linear"):
        T.select_linears(minilm, ["q_proj"])


def test_text_windows_are_consecutive():
    tok = T.load_tokenizer()
    text = textdata.calibration_text()
    w = T.text_windows(tok, text, seq_len=32)
    assert w.shape[1] == 32
    assert np.all(w[:, 0].numpy() == tok.cls_token_id)
    assert np.all(w[:, -1].numpy() == tok.sep_token_id)
    body = tok(text, add_special_tokens=False)["input_ids"]
    assert len(w) == len(body) // 30
    flat = w[:, 1:-1].numpy().ravel()
    np.testing.assert_array_equal(flat, body[:len(flat)])   # consecutive, no overlap


def test_cli_trains_on_calibration_text_only(monkeypatch, tmp_path):
    """The CLI's training windows are calibration_text()'s, its evaluation
    windows evaluation_text()'s (the texts test_textdata.py keeps apart)."""
    seen = {}
    real_train = T.train

    def spy(model, windows, targets, **kw):
        seen["train"] = windows.clone()
        return real_train(model, windows, targets, **kw)

    monkeypatch.setattr(T, "train", spy)
    tok = T.load_tokenizer()
    T.main(["--out", str(tmp_path), "--steps", "1", "--targets", "q", "--rank", "2",
            "--seq-len", "24", "--batch-size", "2", "--eval-windows", "2", "--log-every", "1"])
    want = T.text_windows(tok, textdata.calibration_text(), 24)
    np.testing.assert_array_equal(seen["train"].numpy(), want.numpy())
    ev = set(map(tuple, T.text_windows(tok, textdata.evaluation_text(), 24).numpy().tolist()))
    assert not ev & set(map(tuple, seen["train"].numpy().tolist()))


# ---------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------


def safetensors_header(path):
    """{key: (dtype string, shape)} read from the file's JSON header."""
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    return {k: (v["dtype"], v["shape"]) for k, v in header.items()}


def check_checkpoint_files(ckpt, model, *, bits, phi, alpha, rank, group_size):
    """lrqat_config.json and the safetensors header against docs/quantization.md."""
    cfg = json.loads((Path(ckpt) / "lrqat_config.json").read_text())
    assert cfg == {
        "format": "peft-mlir.lrqat", "version": 1, "bits": bits, "phi": phi,
        "alpha": float(alpha), "rank": rank,
        "granularity": "group" if group_size else "channel", "group_size": group_size,
        "modules": cfg["modules"]}
    header = safetensors_header(Path(ckpt) / "lrqat_model.safetensors")
    want = {}
    for p in cfg["modules"]:
        out, cols = model.get_submodule(p).weight.shape
        groups = -(-cols // group_size) if group_size else 1
        want[f"{p}.phi0"] = (DTYPE_OF_PHI[phi], [out, cols])
        want[f"{p}.scale"] = ("F32", [out, groups])
        want[f"{p}.lora_A"] = ("F32", [out, rank])
        want[f"{p}.lora_B"] = ("F32", [rank, cols])
    assert header == want
    return cfg


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = torch.nn.ModuleList(
            [torch.nn.ModuleDict({"up": torch.nn.Linear(20, 40), "down": torch.nn.Linear(40, 20)})
             for _ in range(2)])

    def forward(self, x):
        for b in self.blocks:
            x = x + b["down"](torch.relu(b["up"](x)))
        return x


@pytest.mark.parametrize("phi", T.PHI_FORMATS)
@pytest.mark.parametrize("bits,group_size", [(4, None), (3, 16), (8, 32)])
def test_checkpoint_round_trip_every_format(phi, bits, group_size, tmp_path):
    torch.manual_seed(0)
    base = Tiny()
    model = copy.deepcopy(base)
    names = T.wrap_linears(model, "all-linear", bits=bits, phi=phi, rank=5, alpha=3.0,
                           group_size=group_size, seed=1)
    assert names == ["blocks.0.up", "blocks.0.down", "blocks.1.up", "blocks.1.down"]
    with torch.no_grad():
        for m in T.lrqat_modules(model).values():
            m.lora_A.normal_(0, 1.0)
            m.scale.mul_(1.01)
    T.save_checkpoint(model, tmp_path)
    cfg = check_checkpoint_files(tmp_path, base, bits=bits, phi=phi, alpha=3.0, rank=5,
                                 group_size=group_size)
    assert cfg["modules"] == names
    again = copy.deepcopy(base)
    assert T.load_checkpoint(again, tmp_path) == names
    for n, m in T.lrqat_modules(model).items():
        r = again.get_submodule(n)
        np.testing.assert_array_equal(r.fake_quant_weight().numpy(), m.fake_quant_weight().numpy())
        np.testing.assert_array_equal(r.integer_weight().numpy(), np_w_int(m).astype(np.int8))
    x = torch.randn(3, 20)
    np.testing.assert_array_equal(again(x).detach().numpy(), model(x).detach().numpy())


def test_short_training_run_writes_a_checkpoint(minilm, tmp_path):
    tok = T.load_tokenizer()
    train_w = T.text_windows(tok, textdata.calibration_text(), seq_len=32)[:24]
    eval_w = T.text_windows(tok, textdata.evaluation_text(), seq_len=32)
    train_t = T.teacher_hidden(minilm, train_w)
    eval_t = T.teacher_hidden(minilm, eval_w[:8])
    model = copy.deepcopy(minilm)
    names = T.wrap_linears(model, "query,value,intermediate.dense", bits=4, phi="fixed",
                           rank=8, alpha=1.0, group_size=128, seed=0)
    assert len(names) == 18
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {f"{n}.{k}" for n in names for k in ("scale", "lora_A", "lora_B")}
    before = T.eval_mse(T.fake_quant_model(model), eval_w[:8], eval_t)
    lines = []
    hist = T.train(model, train_w, train_t, steps=20, batch_size=4, lr_ab=1e-2,
                   lr_scale=1e-4, log_every=5, log=lines.append)
    assert [s for s, _ in hist] == [5, 10, 15, 20] and len(lines) == 4
    assert "step    20/20" in lines[-1]
    assert hist[-1][1] < hist[0][1], hist
    after = T.eval_mse(T.fake_quant_model(model), eval_w[:8], eval_t)
    assert after < before, (before, after)
    assert any(float(m.lora_A.abs().max()) > 0 for m in T.lrqat_modules(model).values())

    T.save_checkpoint(model, tmp_path)
    check_checkpoint_files(tmp_path, minilm, bits=4, phi="fixed", alpha=1.0, rank=8,
                           group_size=128)
    again = T.load_minilm()
    assert T.load_checkpoint(again, tmp_path) == names
    for n, m in T.lrqat_modules(model).items():
        np.testing.assert_array_equal(again.get_submodule(n).integer_weight().numpy(),
                                      np_w_int(m).astype(np.int8))
    ids = eval_w[:2]
    with torch.no_grad():
        np.testing.assert_array_equal(T._hidden(again, ids).numpy(), T._hidden(model, ids).numpy())


def test_cli(tmp_path, capsys):
    out = tmp_path / "ckpt"
    summary = T.main(["--out", str(out), "--bits", "4", "--phi", "fixed", "--rank", "4",
                      "--alpha", "1", "--steps", "4", "--granularity", "group",
                      "--group-size", "128", "--targets", "q,v", "--seq-len", "24",
                      "--batch-size", "2", "--log-every", "2"])
    text = capsys.readouterr().out
    assert "step     2/4" in text and "step     4/4" in text
    assert "RTN min-max" in text and "LR-QAT    4 steps" in text
    for k in ("eval_mse_rtn", "eval_mse_lp_init", "eval_mse_lrqat"):
        assert np.isfinite(summary[k]) and summary[k] > 0
    assert sorted(p.name for p in out.iterdir()) == ["lrqat_config.json",
                                                     "lrqat_model.safetensors"]
    cfg = json.loads((out / "lrqat_config.json").read_text())
    assert cfg["granularity"] == "group" and cfg["group_size"] == 128 and len(cfg["modules"]) == 12
