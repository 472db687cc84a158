"""Writes the calibration statistics files that modegpt*.mlir read.

Usage: make_modegpt_stats.py OUTDIR. numpy only: the safetensors files are
written byte by byte in the format of docs/calibration.md. The covariance of
the MLP's hidden activation is diagonal, so the kept columns, the refitted
down projection (its kept rows) and the error (the dropped rows' weighted
energy) can be worked out by hand (see modegpt.mlir).
"""

import json
import os
import struct
import sys

import numpy as np


def write(path, tensors):
    header, data = {"__metadata__": {"format": "peft-calibration", "version": "1",
                                     "description": json.dumps({"samples": 1})}}, b""
    for name, array in sorted(tensors.items()):
        dtype = "F64" if array.dtype == np.float64 else "I64"
        raw = array.astype("<f8" if dtype == "F64" else "<i8").tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def main(out):
    os.makedirs(out, exist_ok=True)
    down = "model.layers.0.mlp.down_proj"
    c = np.diag([1.0, 10.0, 2.0, 20.0, 3.0, 30.0])
    mlp = {down + ".input_xtx": c, down + ".input_tokens": np.array([100], np.int64)}
    write(os.path.join(out, "stats.safetensors"),
          {**mlp, "model.layers.0.mlp.block_influence": np.array([5.0, 100.0])})
    write(os.path.join(out, "no-blocks.safetensors"), mlp)
    write(os.path.join(out, "wrong-shape.safetensors"),
          {down + ".input_xtx": np.eye(4), down + ".input_tokens": np.array([100], np.int64)})


if __name__ == "__main__":
    main(sys.argv[1])
