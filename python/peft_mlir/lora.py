"""LoRA on a peft_mlir.Module: the Python face of the peft-* LoRA passes.

Every method runs a pass pipeline on the module in place (so a compiled
`Module.run` is recompiled on the next call) and raises `PeftError` with the
passes' diagnostics when it fails:

    >>> m = peft_mlir.import_onnx("llama.onnx")
    >>> m.raise_linear()                      # peft-raise-linear
    >>> [(l.path, l.role) for l in m.linears()][:2]
    [('model.layers.0.self_attn.q_proj', 'q'), ('model.layers.0.self_attn.k_proj', 'k')]
    >>> m.insert_lora(targets=["q_proj", "v_proj"], rank=8, alpha=16)
    >>> m.load_adapter("adapters/sst2")       # a PEFT save_pretrained directory
    >>> m.merge_lora()                        # W0 + s·B·A, adapters kept for unmerge
    >>> m.unmerge_lora()
    >>> m.lora_as_inputs(max_rank=16)         # runtime adapters
    >>> m.run({"input_ids": ids}, adapters="adapters/sst2")
    >>> m.run({"input_ids": ids}, adapters={"default": "adapters/mnli"})

`insert_lora` and `load_adapter` raise the linear layers first when that has
not been done.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from ._peft_mlir import Module

__all__ = ["Linear"]


@dataclass(frozen=True)
class Linear:
    """One row of `peft-list-linears`."""

    path: str
    op: str  # linear, qlinear, lrqat_linear
    role: str
    in_features: int | None
    out_features: int | None
    layout: str  # "-" for a layer without a dense float weight
    bias: bool
    weight: str  # the weight's initializer (resource) name, "-" if unnamed
    location: str


def _quote(value: str) -> str:
    # Pass option values with spaces, commas or braces need quoting.
    if any(c in value for c in " ,{}=\"'"):
        return '"' + value.replace('"', '\\"') + '"'
    return value


def _list(values: Iterable[str]) -> str:
    return ",".join(_quote(v) for v in values)


def _pattern(mapping: Mapping[str, float] | None) -> str | None:
    if not mapping:
        return None
    return ",".join(f"{_quote(k + '=' + str(v))}" for k, v in mapping.items())


def _options(**kwargs) -> str:
    parts = []
    for key, value in kwargs.items():
        if value is None or value == [] or value == ():
            continue
        name = key.replace("_", "-")
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            value = _list(value)
        else:
            value = str(value) if not isinstance(value, str) else value
        parts.append(f"{name}={value}")
    return "{" + " ".join(parts) + "}" if parts else ""


def _has_linears(self: Module) -> bool:
    # peft-list-linears, not the module text: printing a model prints its
    # weight blobs too.
    return bool(linears(self))


def raise_linear(self: Module) -> None:
    """peft-raise-linear: turn MatMul/Gemm/Conv1D layers into peft.linear
    (after onnx-decompose-contrib-ops has expanded onnxruntime's fused ops,
    which hide layers and roles; see docs/onnx.md)."""
    self.run_pipeline("func.func(onnx-decompose-contrib-ops,peft-raise-linear)")


def linears(self: Module) -> list[Linear]:
    """The peft.linear layers as `Linear` rows (peft-list-linears)."""
    fd, path = tempfile.mkstemp(suffix=".txt")
    os.close(fd)
    try:
        self.run_pipeline(f"peft-list-linears{{output={path}}}")
        with open(path) as f:
            lines = f.read().splitlines()
    finally:
        os.unlink(path)
    rows = []
    for line in lines[1:-1]:
        cells = line.split()
        if len(cells) < 9:
            continue
        dim = lambda s: None if s == "?" else int(s)  # noqa: E731
        rows.append(Linear(cells[0], cells[1], cells[2], dim(cells[3]),
                           dim(cells[4]), cells[5], cells[6] == "yes",
                           cells[7], " ".join(cells[8:])))
    return rows


def _ensure_raised(self: Module) -> None:
    if not _has_linears(self):
        raise_linear(self)


def insert_lora(self: Module, targets: Sequence[str] | None = None, *,
                target_regex: str | None = None,
                roles: Sequence[str] | None = None, rank: int = 8,
                alpha: float = 8.0, rslora: bool = False,
                init: str = "kaiming",
                rank_pattern: Mapping[str, int] | None = None,
                alpha_pattern: Mapping[str, float] | None = None,
                seed: int = 0, adapter: str = "default") -> None:
    """peft-insert-lora with LoraConfig's meaning of the arguments.

    `targets` are module names (exact or dotted suffix) or ["all-linear"];
    `init` is one of zeros, gaussian, kaiming (PEFT's default), pissa, olora.
    """
    _ensure_raised(self)
    if isinstance(targets, str):
        targets = [targets]
    opts = _options(targets=list(targets or []), target_regex=target_regex,
                    roles=list(roles or []), rank=rank, alpha=alpha,
                    rslora=rslora, init=init,
                    rank_pattern=_pattern(rank_pattern),
                    alpha_pattern=_pattern(alpha_pattern), seed=seed,
                    adapter=adapter)
    self.run_pipeline(f"peft-insert-lora{opts}")


def load_adapter(self: Module, path: str | os.PathLike, *,
                 module_map: Mapping[str, str] | None = None,
                 allow_unmatched: bool = False,
                 adapter: str = "default") -> None:
    """peft-load-adapter: attach a PEFT adapter directory (save_pretrained)."""
    _ensure_raised(self)
    mapping = [f"{k}={v}" for k, v in (module_map or {}).items()]
    opts = _options(path=_quote(os.fspath(path)), module_map=mapping,
                    allow_unmatched=allow_unmatched, adapter=adapter)
    self.run_pipeline(f"peft-load-adapter{opts}")


def merge_lora(self: Module, adapters: Sequence[str] | None = None, *,
               drop_adapters: bool = False) -> None:
    """peft-merge-lora: fold W0 + s·B·A (DoRA, IA³) into the weights."""
    opts = _options(adapters=list(adapters or []), drop_adapters=drop_adapters)
    self.run_pipeline(f"peft-merge-lora{opts}")


def unmerge_lora(self: Module, adapters: Sequence[str] | None = None) -> None:
    """peft-unmerge-lora: take merged adapters back out of the weights."""
    opts = _options(adapters=list(adapters or []))
    self.run_pipeline(f"peft-unmerge-lora{opts}")


def lora_as_inputs(self: Module, max_rank: int) -> None:
    """peft-lora-as-inputs: adapter weights become function arguments.

    Each adapter becomes `<path>.lora_A[.<name>].weight` ([max_rank, in]),
    `<path>.lora_B[.<name>].weight` ([out, max_rank]) and
    `<path>.lora_scale[.<name>]` ([1]). `Module.run(inputs, adapters=DIR)`
    fills them from PEFT adapter directories (zero-padded, scale from
    adapter_config.json), so any adapter of rank <= max_rank runs on the
    module compiled once.
    """
    self.run_pipeline(f"peft-lora-as-inputs{{max-rank={int(max_rank)}}}")


def combine_adapters(self: Module, adapters: Sequence[str],
                     weights: Sequence[float], *, mode: str = "svd",
                     rank: int = 0, name: str = "combined",
                     replace: bool = True, report: str = "none") -> None:
    """peft-combine-adapters: PEFT's add_weighted_adapter (cat, svd, linear).

    `cat` is the exact weighted sum Σ wᵢ·sᵢ·Bᵢ·Aᵢ at rank Σ rᵢ, `svd` its
    truncated SVD at `rank`; `linear` (equal ranks) is NOT the weighted sum
    (docs/lora.md, "Rank policies and composition").
    """
    opts = _options(mode=mode, adapters=list(adapters),
                    weights=[repr(float(w)) for w in weights], rank=int(rank),
                    name=_quote(name), replace=replace, report=_quote(report))
    self.run_pipeline(f"peft-combine-adapters{opts}")


def select_rank(self: Module, policy: str = "energy", *, tau: float = 0.99,
                reference: str | None = None, rmin: int = 1, rmax: int = 64,
                sigma: float = 0.0, adapters: Sequence[str] | None = None,
                report: str = "none") -> None:
    """peft-select-rank: re-rank adapters (and bank tasks) by a policy.

    policy="energy" keeps the smallest rank with ≥ tau of Σσ² of s·B·A;
    "distance" grows the rank from rmin to rmax with the distance to the
    `reference` adapter (task); "threshold" keeps every σ > sigma.
    """
    opts = _options(policy=policy, tau=repr(float(tau)),
                    reference=_quote(reference) if reference else None,
                    rmin=int(rmin), rmax=int(rmax), sigma=repr(float(sigma)),
                    adapters=list(adapters or []), report=_quote(report))
    self.run_pipeline(f"peft-select-rank{opts}")


for _name in ("raise_linear", "linears", "insert_lora", "load_adapter",
              "merge_lora", "unmerge_lora", "lora_as_inputs",
              "combine_adapters", "select_rank"):
    setattr(Module, _name, globals()[_name])
