"""Inputs and float64 numpy references for lora-bank-exec.test.

usage: make_bank_data.py OUTDIR batch=B seq=S
Tasks a, b, c have ranks 4, 0, 8 and scales 2, 1, 0.5 (Inputs/banks.mlir);
row group g (one sequence) uses task ids[g]: cycling through 2, -1, 0, 1, 7
(7 is outside the bank: the base model, as -1). The reference is the
REFERENCE.md §2 formula y_g = x_g·W0ᵀ + s_t·(x_g·A_tᵀ)·B_tᵀ per group.
The runtime bank holds the same tasks in a capacity of 16 rows, padded.
"""
import os
import sys

import numpy as np


def main():
    out = sys.argv[1]
    args = {k: int(v) for k, v in (a.split("=") for a in sys.argv[2:])}
    batch, seq = args["batch"], args["seq"]
    rng = np.random.default_rng(11)
    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)
    ranks, scales = [4, 0, 8], [2.0, 1.0, 0.5]
    t = {"x": f32(batch, seq, 48), "w": f32(40, 48) / 7,
         "a": f32(12, 48) / 7, "b": f32(40, 12)}
    ids = np.resize(np.array([2, -1, 0, 1, 7], dtype=np.int64), batch)
    d = {k: v.astype(np.float64) for k, v in t.items()}
    offsets = np.concatenate([[0], np.cumsum(ranks)])
    y = d["x"] @ d["w"].T
    for g, task in enumerate(ids):
        if 0 <= task < len(ranks) and ranks[task]:
            o, r = offsets[task], ranks[task]
            a, b = d["a"][o:o + r], d["b"][:, o:o + r]
            y[g] += scales[task] * (d["x"][g] @ a.T) @ b.T
    os.makedirs(out, exist_ok=True)
    for name, value in t.items():
        np.save(os.path.join(out, name + ".npy"), value)
    np.save(os.path.join(out, "ids.npy"), ids)
    np.save(os.path.join(out, "x_flat.npy"), t["x"].reshape(batch * seq, 48))
    np.save(os.path.join(out, "ref.npy"), y.astype(np.float32))
    np.save(os.path.join(out, "ref_flat.npy"),
            y.reshape(batch * seq, 40).astype(np.float32))
    # The runtime bank: the same tasks, then a fourth slot left empty.
    a16 = np.zeros((16, 48), np.float32)
    b16 = np.zeros((40, 16), np.float32)
    a16[:12], b16[:, :12] = t["a"], t["b"]
    np.save(os.path.join(out, "a16.npy"), a16)
    np.save(os.path.join(out, "b16.npy"), b16)
    np.save(os.path.join(out, "offsets.npy"),
            np.array([0, 4, 4, 12, 12], dtype=np.int64))
    np.save(os.path.join(out, "scales.npy"),
            np.array(scales + [0.0], dtype=np.float32))


if __name__ == "__main__":
    main()
