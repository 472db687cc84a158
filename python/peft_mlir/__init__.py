"""peft-mlir: low-rank rewriting (LoRA, LR-QAT, MoDeGPT) of transformer models with MLIR.

Example:

    >>> import peft_mlir
    >>> m = peft_mlir.Module.parse(open("model.mlir").read())
    >>> m.run_pipeline("func.func(convert-peft-to-linalg)")
    >>> print(m)
    >>> model = peft_mlir.import_onnx("model.onnx")
    >>> model.export_onnx("out.onnx")
    >>> outputs = model.run({"input_ids": ids, "attention_mask": mask})  # CPU JIT
    >>> outputs["last_hidden_state"].shape   # numpy arrays, named by the graph
    >>> model.insert_lora(["q_proj", "v_proj"], rank=8)  # see peft_mlir.lora
    >>> model.load_adapter("adapter_dir"); model.merge_lora()
    >>> model.lora_as_inputs(max_rank=16)     # or: adapters as run-time inputs
    >>> model.quantize_weights(bits=4)        # see peft_mlir.quantization
    >>> model.lowrank_svd(ratio=0.25)         # see peft_mlir.lowrank
    >>> model.run({"input_ids": ids}, adapters="adapters/sst2")  # no recompile
    >>> model.calibrate(samples, out="stats.safetensors")  # see peft_mlir.modegpt

Module.run JIT-compiles the module for the CPU on first use (peft-lower-to-llvm,
then MLIR's ExecutionEngine) and keeps the compiled code until run_pipeline
changes the module (Module.compile_count counts the compilations); dynamic
dimensions take their sizes from the inputs.
After lora_as_inputs, `adapters=` (a PEFT adapter directory, a list of
`DIR`/`NAME=DIR` paths, or {adapter name: directory}) fills the adapter inputs
as `peft-run --adapter` does: one compiled module runs every adapter of rank
up to max-rank, and inputs given explicitly win.
"""

from ._peft_mlir import Module, PeftError, import_onnx, mlir_version, onnx_version, version
from .lora import Linear  # also adds the LoRA methods to Module
from . import quantization  # noqa: F401  (adds the quantization methods)
from . import banks  # noqa: F401  (adds the adapter bank methods)
from . import modegpt  # noqa: F401  (adds Module.calibrate)
from ._peft_mlir import Calibrator
from . import lowrank  # noqa: F401  (adds Module.lowrank_svd)

__version__ = version().split()[-1]

__all__ = ["Module", "Calibrator", "Linear", "PeftError", "import_onnx", "version", "mlir_version",
           "onnx_version", "__version__"]
