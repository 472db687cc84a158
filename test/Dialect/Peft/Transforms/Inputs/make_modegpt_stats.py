"""Writes the calibration statistics files that modegpt*.mlir read.

Usage: make_modegpt_stats.py OUTDIR. numpy only: the safetensors files are
written byte by byte in the format of docs/calibration.md. The covariance of
the MLP's hidden activation is diagonal, so the kept columns, the refitted
down projection (its kept rows) and the error (the dropped rows' weighted
energy) can be worked out by hand (see modegpt.mlir).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_calibration_stats  # noqa: E402  (the file format's writer)


def write(path, tensors):
    make_calibration_stats.write(path, tensors)


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
