"""Writes the LR-QAT checkpoints that lrqat-load*.mlir loads.

Usage: make_lrqat_checkpoints.py OUTDIR. Needs only numpy (safetensors
written byte by byte, as make_adapters.py does). The layer is l.q_proj,
[out=2, in=4], bits 4, rank 1, alpha 2 (s_lr = 2): values are chosen so that
the fold is worked out by hand in the tests.
"""

import json
import os
import struct
import sys

import numpy as np

OUT, IN, RANK = 2, 4, 1


def st_bytes(tensors, patch=None):
    header, data = {}, b""
    for name, (dtype, array) in tensors.items():
        kind = {"F32": "<f4", "F16": "<f2", "I8": "i1"}[dtype]
        raw = np.ascontiguousarray(array).astype(kind).tobytes()
        header[name] = {"dtype": dtype, "shape": list(np.shape(array)),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if patch:
        patch(header)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def config(**overrides):
    c = {"format": "peft-mlir.lrqat", "version": 1, "bits": 4, "phi": "fixed",
         "alpha": 2.0, "rank": RANK, "granularity": "channel",
         "group_size": None, "modules": ["l.q_proj"]}
    c.update(overrides)
    return c


# Φ0 in Q4.4: [[0.5, 1.5, 6.5, -8], [2.25, 0, 7, -1]] -> x16.
PHI = np.array([[0.5, 1.5, 6.5, -8.0], [2.25, 0.0, 7.0, -1.0]])
# s_lr·A·B with A = [[0.25], [0.5]], B = [[1, 0, 1, -1]], s_lr = 2:
# [[0.5, 0, 0.5, -0.5], [1, 0, 1, -1]].
A = np.array([[0.25], [0.5]], dtype=np.float32)
B = np.array([[1.0, 0.0, 1.0, -1.0]], dtype=np.float32)
SCALE = np.array([[0.5], [0.25]], dtype=np.float32)


def tensors(phi_dtype="I8", phi=None, **replace):
    t = {"l.q_proj.phi0": (phi_dtype, (PHI * 16).astype(np.int8) if phi is None else phi),
         "l.q_proj.scale": ("F32", SCALE),
         "l.q_proj.lora_A": ("F32", A),
         "l.q_proj.lora_B": ("F32", B)}
    for key, value in replace.items():
        name = "l.q_proj." + key
        if value is None:
            del t[name]
        else:
            t[name] = value
    return t


def write(root, name, cfg, tens, patch=None):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    if cfg is not None:
        with open(os.path.join(d, "lrqat_config.json"), "w") as f:
            f.write(cfg if isinstance(cfg, str) else json.dumps(cfg))
    with open(os.path.join(d, "lrqat_model.safetensors"), "wb") as f:
        f.write(st_bytes(tens, patch))


def main(root):
    write(root, "good", config(), tensors())
    # Φ0 as plain integers and as f16 values.
    write(root, "int", config(phi="int"),
          tensors(phi=np.array([[0, 2, 6, -8], [2, 0, 7, -1]], dtype=np.int8)))
    write(root, "float16", config(phi="float16"), tensors("F16", PHI.astype(np.float16)))
    # Groups of 2: scale [2, 2].
    write(root, "group", config(granularity="group", group_size=2),
          tensors(scale=("F32", np.array([[0.5, 1], [0.25, 2]], dtype=np.float32))))
    # Broken ones.
    write(root, "no-config", None, tensors())
    write(root, "bad-bits", config(bits=5), tensors())
    write(root, "bad-phi", config(phi="int4"), tensors())
    write(root, "missing-key", config(), tensors(lora_B=None))
    write(root, "bad-shape", config(), tensors(lora_A=("F32", np.zeros((2, 2), np.float32))))
    write(root, "bad-dtype", config(), tensors("F32", PHI.astype(np.float32)))
    write(root, "non-finite", config(),
          tensors(lora_B=("F32", np.array([[1.0, np.nan, 0, 0]], dtype=np.float32))))
    write(root, "zero-scale", config(),
          tensors(scale=("F32", np.array([[0.5], [0.0]], dtype=np.float32))))
    # 120 is above 7·16 = 112, the largest Q4.4 value of the int4 grid.
    write(root, "off-grid", config(),
          tensors(phi=np.array([[8, 24, 104, -128], [36, 0, 120, -16]], dtype=np.int8)))
    write(root, "extra-tensor", config(), dict(tensors(), **{"l.k_proj.phi0": ("I8", np.zeros((2, 4), np.int8))}))
    write(root, "unknown-module", config(modules=["l.v_proj"]),
          {k.replace("q_proj", "v_proj"): v for k, v in tensors().items()})
    write(root, "wrong-layer-shape", config(),
          {"l.q_proj.phi0": ("I8", np.zeros((2, 3), np.int8)),
           "l.q_proj.scale": ("F32", SCALE),
           "l.q_proj.lora_A": ("F32", A),
           "l.q_proj.lora_B": ("F32", np.zeros((1, 3), np.float32))})


if __name__ == "__main__":
    main(sys.argv[1])
