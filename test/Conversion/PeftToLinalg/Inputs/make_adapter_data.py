"""Inputs and float64 numpy references for lora-exec.test.

usage: make_adapter_data.py OUTDIR batch=B seq=S
Writes x w wt b lora_a lora_b lora_a2 lora_b2 m l_out l_in (.npy, float32)
and ref_<function>.npy for every function of adapters.mlir.
"""
import os
import sys

import numpy as np


def main():
    out = sys.argv[1]
    args = {k: int(v) for k, v in (a.split("=") for a in sys.argv[2:])}
    rng = np.random.default_rng(5)
    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)
    t = {"x": f32(args["batch"], args["seq"], 48), "w": f32(40, 48) / 7,
         "wt": f32(48, 40) / 7, "b": f32(40), "lora_a": f32(4, 48) / 7,
         "lora_b": f32(40, 4), "lora_a2": f32(2, 48) / 7,
         "lora_b2": f32(40, 2), "m": np.abs(f32(40)) + 0.5,
         "l_out": f32(40), "l_in": f32(48)}
    d = {k: v.astype(np.float64) for k, v in t.items()}
    x = d["x"]
    lora = lambda a, b, s: s * (x @ a.T) @ b.T
    refs = {
        "lora": x @ d["w"].T + d["b"] + lora(d["lora_a"], d["lora_b"], 0.5),
        "stacked": x @ d["wt"] + lora(d["lora_a"], d["lora_b"], 0.5)
                   + lora(d["lora_a2"], d["lora_b2"], 3.0),
        "ia3": (x @ d["w"].T + d["b"]) * d["l_out"],
        "ia3_ff": (x * d["l_in"]) @ d["wt"] + d["b"],
    }
    # DoRA as Hugging Face PEFT computes it: the bias is not rescaled.
    w_adapted = d["w"] + 0.5 * d["lora_b"] @ d["lora_a"]
    g = d["m"] / np.linalg.norm(w_adapted, axis=1)
    refs["dora"] = g * (x @ d["w"].T + lora(d["lora_a"], d["lora_b"], 0.5)) \
        + d["b"]
    os.makedirs(out, exist_ok=True)
    for name, value in t.items():
        np.save(os.path.join(out, name + ".npy"), value)
    for name, value in refs.items():
        np.save(os.path.join(out, "ref_" + name + ".npy"),
                value.astype(np.float32))


if __name__ == "__main__":
    main()
