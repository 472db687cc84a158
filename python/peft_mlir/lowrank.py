"""SVD baselines on a peft_mlir.Module: the Python face of peft-lowrank-svd
(docs/modegpt.md, "SVD baselines").

    >>> m = peft_mlir.import_onnx("llama.onnx")
    >>> m.lowrank_svd(ratio=0.25)                        # plain truncated SVD
    >>> m.lowrank_svd(rank=64, whitening="activation",   # SVD-LLM style
    ...               stats="stats.safetensors", roles=["up", "gate"])
    >>> m.run({"input_ids": ids})                        # peft.lowrank layers

`write_calibration_stats(path, {key: array}, description)` writes a
calibration statistics file (float64 / int64 arrays under the keys of
docs/modegpt.md, "Calibration statistics file").
"""

from __future__ import annotations

import os
from typing import Sequence

from ._peft_mlir import Module, write_calibration_stats
from .lora import _ensure_raised, _options, _quote
from .quantization import _selection

__all__ = ["write_calibration_stats"]


def lowrank_svd(self: Module, *, rank: int | None = None,
                ratio: float | None = None, energy: float | None = None,
                whitening: str = "none",
                stats: str | os.PathLike | None = None,
                lambda_: float | None = None,
                targets: Sequence[str] | None = None,
                target_regex: str | None = None,
                roles: Sequence[str] | None = None,
                report: str | os.PathLike | None = None) -> None:
    """peft-lowrank-svd: peft.linear -> peft.lowrank (x·V'ᵀ·U'ᵀ). Exactly one
    of `rank` (k), `ratio` (fraction of each layer's parameters removed) or
    `energy` (share of Σσ² kept); `whitening` "none" or "activation" (then
    `stats` names the calibration statistics file; `lambda_` regularizes the
    covariance, relative to its mean diagonal). Without a selection every
    linear layer but the output head is factored."""
    _ensure_raised(self)
    opts = _options(rank=rank, ratio=ratio, energy=energy, whitening=whitening,
                    stats=_quote(os.fspath(stats)) if stats else None,
                    report=_quote(os.fspath(report)) if report else None,
                    **_selection(targets, target_regex, roles))
    if lambda_ is not None:
        opts = (opts[:-1] + f" lambda={lambda_}}}") if opts else f"{{lambda={lambda_}}}"
    self.run_pipeline(f"peft-lowrank-svd{opts}")


Module.lowrank_svd = lowrank_svd
