"""peft-mlir: low-rank rewriting (LoRA, LR-QAT, MoDeGPT) of transformer models with MLIR.

Example:

    >>> import peft_mlir
    >>> m = peft_mlir.Module.parse(open("model.mlir").read())
    >>> m.run_pipeline("func.func(convert-peft-to-linalg)")
    >>> print(m)
    >>> model = peft_mlir.import_onnx("model.onnx")
    >>> model.export_onnx("out.onnx")
"""

from ._peft_mlir import Module, PeftError, import_onnx, mlir_version, version

__version__ = version().split()[-1]

__all__ = ["Module", "PeftError", "import_onnx", "version", "mlir_version", "__version__"]
