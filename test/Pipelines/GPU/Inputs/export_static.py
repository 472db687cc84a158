"""Exports a tiny transformer of test/models/gen_models.py as ONNX with static
shapes (batch 1, sequence 8: no dynamic axes), for the GPU pipeline.

Usage: export_static.py {bert,llama} OUT.onnx

Same modules, seeds and weights as gen_models' bert_opset14 / llama_opset17;
only the export differs. Needs torch (1.13) and onnx; onnxruntime, which
gen_models imports for its reference outputs, is not used here.
"""
import os
import sys
import types

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "..", "models")
sys.path.insert(0, ROOT)
try:
    import onnxruntime  # noqa: F401
except ImportError:  # gen_models needs it only to compute reference outputs
    sys.modules["onnxruntime"] = types.ModuleType("onnxruntime")
import gen_models  # noqa: E402

BATCH, SEQ = 1, 8
# name -> gen_models model whose builder, seed and opset are used
MODELS = {"bert": "bert_opset14", "llama": "llama_opset17"}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in MODELS:
        sys.exit(__doc__.split("\n\n")[1])
    spec = gen_models.MODELS[MODELS[sys.argv[1]]]
    model = spec.build(spec.seed).eval()
    # The reference inputs are batch 2 x sequence 7: take a static 1 x 8 of
    # the same kind (token ids, mask, token types).
    feeds = spec.inputs(spec.seed)
    args = []
    for name in spec.io["inputs"]:
        row = torch.from_numpy(feeds[name][:1])
        args.append(torch.cat([row, row[:, -1:].expand(BATCH, SEQ - row.shape[1])],
                              dim=1))
    with torch.no_grad():
        torch.onnx.export(model, tuple(args), sys.argv[2], export_params=True,
                          opset_version=spec.opset,
                          do_constant_folding=spec.fold,
                          input_names=list(spec.io["inputs"]),
                          output_names=list(spec.io["outputs"]))


if __name__ == "__main__":
    main()
