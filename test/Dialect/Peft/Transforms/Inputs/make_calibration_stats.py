"""Writes the calibration statistics files that lowrank-svd*.mlir read.

Usage: make_calibration_stats.py OUTDIR. Needs only numpy: the safetensors
files are written byte by byte (8-byte little-endian header length, JSON
header padded to 8 bytes, data), in the format of docs/modegpt.md
("Calibration statistics file"). Values are chosen so the expected results
can be worked out by hand (see the tests).
"""

import json
import os
import struct
import sys

import numpy as np


def write(path, tensors, metadata=None):
    """tensors: {name: array (float64 or int64)}."""
    if metadata is None:
        metadata = {"format": "peft-calibration", "version": "1",
                    "description": json.dumps({"samples": 1})}
    header, data = {"__metadata__": metadata}, b""
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


def covariance(path, c, tokens):
    return {path + ".input_xtx": np.asarray(c, dtype=np.float64),
            path + ".input_tokens": np.array([tokens], dtype=np.int64)}


def main(out):
    os.makedirs(out, exist_ok=True)
    diag = np.diag([16.0, 9.0, 4.0, 1.0])
    write(os.path.join(out, "stats.safetensors"), covariance("l.q", diag, 100))
    write(os.path.join(out, "few-tokens.safetensors"),
          covariance("l.q", diag, 2))
    write(os.path.join(out, "wrong-shape.safetensors"),
          covariance("l.q", np.eye(3), 100))
    write(os.path.join(out, "zero.safetensors"),
          covariance("l.q", np.zeros((4, 4)), 100))
    write(os.path.join(out, "other.safetensors"), covariance("l.k", diag, 100))
    write(os.path.join(out, "not-stats.safetensors"),
          covariance("l.q", diag, 100), metadata={"format": "pt"})


if __name__ == "__main__":
    main(sys.argv[1])
