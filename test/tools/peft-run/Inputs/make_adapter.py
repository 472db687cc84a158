"""Writes Hugging Face PEFT adapter directories (adapter_config.json and
adapter_model.safetensors, written by hand: 8-byte header length, JSON header,
raw little-endian data) plus inputs and float64 references for adapter.test.

usage: make_adapter.py OUTDIR
  OUTDIR/adapter   r=4, alpha=8, rank_pattern v_proj=3; q_proj in F32,
                   v_proj in F16 (A) and BF16 (B); o_proj not adapted
  OUTDIR/bigrank   r=16 (above the model's max-rank 8)
  OUTDIR/stray     a key for a layer the model has no inputs for
  OUTDIR/dora      use_dora
"""
import json
import os
import struct
import sys

import numpy as np

PREFIX = "base_model.model.model.layers.0.self_attn."


def to_bf16_bits(a):
    """float32 -> bfloat16 bits, round to nearest even."""
    bits = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def from_bf16_bits(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def write_adapter(d, config, tensors):
    """tensors: name -> (dtype, array of that dtype's storage)."""
    os.makedirs(d, exist_ok=True)
    base = {"peft_type": "LORA", "r": 4, "lora_alpha": 8,
            "target_modules": ["q_proj", "v_proj"], "rank_pattern": {},
            "alpha_pattern": {}, "use_rslora": False, "use_dora": False,
            "fan_in_fan_out": False, "bias": "none"}
    base.update(config)
    with open(os.path.join(d, "adapter_config.json"), "w") as f:
        json.dump(base, f, indent=2, sort_keys=True)
    header, blobs, offset = {}, [], 0
    for name, (dtype, a) in tensors.items():
        raw = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(d, "adapter_model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(11)
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)
    x, wq, bq = f32(2, 5, 16), f32(24, 16) / 4, f32(24)
    wv, wo = f32(16, 24) / 4, f32(24, 16) / 4
    for name, value in {"x": x, "wq": wq, "bq": bq, "wv": wv, "wo": wo}.items():
        np.save(os.path.join(out, name + ".npy"), value)

    aq, bbq = f32(4, 16) / 4, f32(24, 4)
    av = (f32(3, 16) / 4).astype(np.float16)
    bv_bits = to_bf16_bits(f32(24, 3))
    write_adapter(os.path.join(out, "adapter"), {"rank_pattern": {"v_proj": 3}}, {
        PREFIX + "q_proj.lora_A.weight": ("F32", aq),
        PREFIX + "q_proj.lora_B.weight": ("F32", bbq),
        PREFIX + "v_proj.lora_A.weight": ("F16", av),
        PREFIX + "v_proj.lora_B.weight": ("BF16", bv_bits)})

    d = lambda a: np.asarray(a, np.float64)
    x64 = d(x)
    refs = {
        "q": x64 @ d(wq).T + d(bq) + 2.0 * (x64 @ d(aq).T) @ d(bbq).T,
        "v": x64 @ d(wv) + 8.0 / 3.0 * (x64 @ d(av).T) @ d(from_bf16_bits(bv_bits)).T,
        "o": x64 @ d(wo).T,
        "q_base": x64 @ d(wq).T + d(bq),
    }
    for name, value in refs.items():
        np.save(os.path.join(out, "ref_" + name + ".npy"), value.astype(np.float32))
    np.save(os.path.join(out, "zero_scale.npy"), np.zeros(1, np.float32))

    write_adapter(os.path.join(out, "bigrank"), {"r": 16}, {
        PREFIX + "q_proj.lora_A.weight": ("F32", f32(16, 16)),
        PREFIX + "q_proj.lora_B.weight": ("F32", f32(24, 16))})
    write_adapter(os.path.join(out, "stray"), {}, {
        PREFIX + "q_proj.lora_A.weight": ("F32", aq),
        PREFIX + "q_proj.lora_B.weight": ("F32", bbq),
        PREFIX + "k_proj.lora_A.weight": ("F32", aq)})
    write_adapter(os.path.join(out, "dora"), {"use_dora": True}, {})


if __name__ == "__main__":
    main()
