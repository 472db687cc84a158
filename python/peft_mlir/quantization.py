"""Quantized linears and LR-QAT on a peft_mlir.Module: the Python face of the
peft-quantize-weights, peft-lrqat-* and peft-merge-lora-quantized passes
(docs/quantization.md).

    >>> m = peft_mlir.import_onnx("llama.onnx")
    >>> m.quantize_weights(bits=4, granularity="group", group_size=32,
    ...                    scale="lp", report="quant.txt")
    >>> m.run({"input_ids": ids})             # int4 weights, CPU JIT

    >>> m = peft_mlir.import_onnx("llama.onnx")
    >>> m.lrqat_load("ckpt")                  # a trained LR-QAT checkpoint
    >>> m.fold_lrqat()                        # W_int = clamp(round(Φ0 + s·A·B))

Every method raises the linear layers first when that has not been done and
raises `PeftError` with the passes' diagnostics when it fails. Reports go to
standard error unless `report` names a file ("none": no report).
"""

from __future__ import annotations

import os
from typing import Mapping, Sequence

from ._peft_mlir import Module
from .lora import _ensure_raised, _options, _quote

__all__: list[str] = []


def _selection(targets, target_regex, roles):
    if isinstance(targets, str):
        targets = [targets]
    return dict(targets=list(targets or []), target_regex=target_regex,
                roles=list(roles or []))


def quantize_weights(self: Module, *, bits: int = 4,
                     granularity: str = "channel", group_size: int = 128,
                     symmetric: bool = True, scale: str = "minmax",
                     p: float = 4.0, targets: Sequence[str] | None = None,
                     target_regex: str | None = None,
                     roles: Sequence[str] | None = None,
                     report: str | os.PathLike | None = None) -> None:
    """peft-quantize-weights: peft.linear -> peft.qlinear (bits 2, 3, 4, 8;
    granularity "channel" or "group"; scale "minmax" or "lp"). Without a
    selection every linear layer but the output head is quantized."""
    _ensure_raised(self)
    opts = _options(bits=bits, granularity=granularity, group_size=group_size,
                    symmetric=symmetric, scale=scale, p=p,
                    report=_quote(os.fspath(report)) if report else None,
                    **_selection(targets, target_regex, roles))
    self.run_pipeline(f"peft-quantize-weights{opts}")


def lrqat_prepare(self: Module, *, bits: int = 4, phi: str = "fixed",
                  rank: int = 32, alpha: float = 1.0,
                  granularity: str = "channel", group_size: int = 128,
                  p: float = 4.0, seed: int = 0,
                  targets: Sequence[str] | None = None,
                  target_regex: str | None = None,
                  roles: Sequence[str] | None = None) -> None:
    """peft-lrqat-prepare: linear layers -> peft.lrqat_linear (s0 from the Lp
    search, Φ0 downcast to `phi`: fixed, int, float16, bfloat16, float32)."""
    _ensure_raised(self)
    opts = _options(bits=bits, phi=phi, rank=rank, alpha=alpha,
                    granularity=granularity, group_size=group_size, p=p,
                    seed=seed, **_selection(targets, target_regex, roles))
    self.run_pipeline(f"peft-lrqat-prepare{opts}")


def lrqat_load(self: Module, path: str | os.PathLike, *,
               module_map: Mapping[str, str] | None = None) -> None:
    """peft-lrqat-load: attach a trained LR-QAT checkpoint directory."""
    _ensure_raised(self)
    mapping = [f"{k}={v}" for k, v in (module_map or {}).items()]
    opts = _options(path=_quote(os.fspath(path)), module_map=mapping)
    self.run_pipeline(f"peft-lrqat-load{opts}")


def fold_lrqat(self: Module) -> None:
    """peft-fold-lrqat: fold Φ0 + (α/r)·A·B into integer weights."""
    self.run_pipeline("peft-fold-lrqat")


def merge_lora_quantized(self: Module, adapters: Sequence[str] | None = None,
                         *, report: str | os.PathLike | None = None) -> None:
    """peft-merge-lora-quantized: LoRA adapters into integer weights, on the
    same grid."""
    opts = _options(adapters=list(adapters or []),
                    report=_quote(os.fspath(report)) if report else None)
    self.run_pipeline(f"peft-merge-lora-quantized{opts}")


for _name in ("quantize_weights", "lrqat_prepare", "lrqat_load", "fold_lrqat",
              "merge_lora_quantized"):
    setattr(Module, _name, globals()[_name])
