"""Adapter banks on a peft_mlir.Module: one model, many LoRA tasks.

Each method runs a pass on the module in place (docs/banks.md) and raises
`PeftError` with the diagnostics when it fails:

    >>> m = peft_mlir.import_onnx("llama.onnx")
    >>> m.add_task("sst2", "adapters/sst2")     # peft-add-task (raises first)
    >>> m.add_task("mnli", "adapters/mnli")     # ragged ranks are fine
    >>> m.route_tasks()                         # new input "task_ids" [batch]
    >>> m.run({"input_ids": ids, "task_ids": np.array([0, 1, -1, 1])})
    >>> m.select_task("mnli")                   # or: one task, mergeable
    >>> m.merge_lora()

Row group g of every adapted layer (one sequence of the batch) runs task
`task_ids[g]` at its own rank; -1 runs the base model. Adding a task leaves
the outputs of the earlier tasks bit-identical.
"""

from __future__ import annotations

import os
from typing import Mapping

from ._peft_mlir import Module
from .lora import _ensure_raised, _options, _quote

__all__: list[str] = []


def add_task(self: Module, name: str, path: str | os.PathLike, *,
             module_map: Mapping[str, str] | None = None,
             allow_unmatched: bool = False) -> None:
    """peft-add-task: append a PEFT LoRA adapter directory as task `name`."""
    _ensure_raised(self)
    mapping = [f"{k}={v}" for k, v in (module_map or {}).items()]
    opts = _options(name=_quote(name), path=_quote(os.fspath(path)),
                    module_map=mapping, allow_unmatched=allow_unmatched)
    self.run_pipeline(f"peft-add-task{opts}")


def route_tasks(self: Module, input_name: str = "task_ids") -> None:
    """peft-route-tasks: a new int64 [batch] input picks each row's task."""
    self.run_pipeline(f"peft-route-tasks{_options(input_name=_quote(input_name))}")


def select_task(self: Module, task: str) -> None:
    """peft-select-task: keep one task as a plain (mergeable) LoRA adapter."""
    self.run_pipeline(f"peft-select-task{_options(task=_quote(task))}")


for _name in ("add_task", "route_tasks", "select_task"):
    setattr(Module, _name, globals()[_name])
