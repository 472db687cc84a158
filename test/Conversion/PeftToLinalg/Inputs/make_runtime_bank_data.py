"""Inputs and the float64 reference for the runtime bank of
lora-bank-exec.test: tasks "lora" (q_proj and v_proj at rank 4, α 8:
s = 2) and "patterns" (q_proj rank 2, α 8: s = 4; v_proj rank 4, α 32:
s = 8) of make_adapters.py, whose A is 0.25, 0.5, ... and B -1.0, -0.75,
... (row-major), in that order.

usage: make_runtime_bank_data.py OUTDIR
"""
import os
import sys

import numpy as np


def ramp(shape, start=0.25):
    n = int(np.prod(shape))
    return (start + 0.25 * np.arange(n, dtype=np.float64)).reshape(shape)


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 3, 16)).astype(np.float32)
    weights = {"q": (rng.standard_normal((16, 16)) / 4).astype(np.float32),
               "v": (rng.standard_normal((8, 16)) / 4).astype(np.float32)}
    ids = np.array([1, 0, -1, 0, 1], dtype=np.int64)
    tasks = {"q": [(ramp((4, 16)), ramp((16, 4), -1.0), 2.0),
                   (ramp((2, 16)), ramp((16, 2), -1.0), 4.0)],
             "v": [(ramp((4, 16)), ramp((8, 4), -1.0), 2.0),
                   (ramp((4, 16)), ramp((8, 4), -1.0), 8.0)]}
    xd = x.astype(np.float64)
    os.makedirs(out, exist_ok=True)
    for name, w in weights.items():
        y = xd @ w.astype(np.float64).T
        for g, t in enumerate(ids):
            if t >= 0:
                a, b, s = tasks[name][t]
                y[g] += s * (xd[g] @ a.T) @ b.T
        np.save(os.path.join(out, f"w{name}.npy"), w)
        np.save(os.path.join(out, f"ref_{name}.npy"), y.astype(np.float32))
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "ids.npy"), ids)


if __name__ == "__main__":
    main()
