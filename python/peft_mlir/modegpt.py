"""Calibration for MoDeGPT and activation-whitened SVD (docs/modegpt.md).

    >>> m = peft_mlir.import_onnx("model.onnx")
    >>> cal = m.calibrate([{"input_ids": ids} for ids in batches],
    ...                   out="stats.safetensors")
    >>> cal.num_tokens, cal.statistics()["model.layers.0.mlp.down_proj.input_xtx"]

`Module.calibrate` runs the model on the CPU JIT over calibration samples,
compiled once, and sums in f64, whatever the model's precision, the
statistics of docs/modegpt.md: Σ XᵀX at the input of every linear layer with
a module path and the token counts. Only the running sums are kept, so memory
does not grow with the number of samples. The module itself is left as it
is (a copy is instrumented by peft-instrument-calibration).
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Iterable, Mapping

from ._peft_mlir import Calibrator, Module
from .lora import _ensure_raised, _options, _quote


def _progress_line(done: int, total: int | None, tokens: int, seconds: float) -> str:
    width = 30
    if total:
        filled = done * width // total
        bar = "=" * filled + (">" + " " * (width - filled - 1) if filled < width else "")
        count = f"{done}/{total}"
    else:
        bar, count = "=" * width, str(done)
    rate = seconds / done if done else 0.0
    return f"[{bar}] {count} samples, {tokens} tokens, {1e3 * rate:.1f} ms/sample"


def calibrate(self: Module, samples: Mapping | Iterable[Mapping],
              out: str | os.PathLike | None = None, *, entry: str = "",
              model_name: str = "", progress: bool | None = None) -> Calibrator:
    """Gathers calibration statistics (peft-calibrate) over `samples`.

    `samples` is one {input name: numpy array} dict or an iterable of them,
    run one after another; shapes may differ between samples (the model is
    compiled once, with its dynamic dimensions). Linear layers are raised
    first if the module has none. Writes the statistics file to `out`
    (atomically) when given and returns the Calibrator (`statistics()`,
    `num_samples`, `num_tokens`, `warnings`, `write(path)`). Layers with fewer
    calibration tokens than input features get a warning: their Σ XᵀX is
    rank-deficient. `progress` (default: when stderr is a terminal) prints a
    progress bar to stderr.
    """
    _ensure_raised(self)
    calibrator = Calibrator(self, entry, model_name)
    if isinstance(samples, Mapping):
        samples = [samples]
    total = len(samples) if hasattr(samples, "__len__") else None
    show = sys.stderr.isatty() if progress is None else progress
    start = time.monotonic()
    for sample in samples:
        calibrator.add(dict(sample))
        if show:
            line = _progress_line(calibrator.num_samples, total, calibrator.num_tokens,
                                  time.monotonic() - start)
            print("\r" + line, end="", file=sys.stderr, flush=True)
    if show:
        print(file=sys.stderr)
    if calibrator.num_samples == 0:
        raise ValueError("calibrate: no samples")
    for message in calibrator.warnings:
        warnings.warn(message, stacklevel=2)
    if out is not None:
        calibrator.write(os.fspath(out))
    return calibrator


def modegpt(self: Module, *, ratio: float, stats: str | os.PathLike,
            lambda_: float = 0.01, ridge: float = 1.0, align: int = 16,
            eps: float = 0.015,
            max_layer_ratio: float = 0.8,
            allocation: str = "global", types: Iterable[str] | None = None,
            report: str | os.PathLike | None = None) -> None:
    """peft-modegpt: compress the recognized modules by `ratio` of their
    parameters from the statistics file `stats` (Module.calibrate /
    peft-calibrate). `allocation` is "global" (per-block sparsity from block
    influence) or "uniform"; `types` picks among "mlp", "qk", "vo" (default:
    all three). `ridge` is Type I's leverage-score ridge and
    `lambda_` the covariance regularization of Type III, both relative to the
    covariance's mean diagonal. The report goes to standard error unless `report` names a file
    ("none": no report)."""
    _ensure_raised(self)
    opts = _options(ratio=ratio, stats=_quote(os.fspath(stats)), **{"lambda": lambda_},
                    ridge=ridge, align=align, eps=eps, max_layer_ratio=max_layer_ratio, allocation=allocation,
                    types=list(types or []),
                    report=_quote(os.fspath(report)) if report else None)
    self.run_pipeline(f"peft-modegpt{opts}")


setattr(Module, "calibrate", calibrate)
setattr(Module, "modegpt", modegpt)
