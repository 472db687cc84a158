"""Writes the PEFT adapter directories that load-adapter*.mlir loads.

Usage: make_adapters.py OUTDIR. Needs only numpy: safetensors files are
written byte by byte (8-byte little-endian header length, JSON header, data),
which also lets the broken ones be broken on purpose. Values are small
multiples of 1/4 so that fp16 and bf16 hold them exactly and the tests can
check the converted blobs.
"""

import json
import os
import struct
import sys

import numpy as np

PREFIX = "base_model.model."


def ramp(shape, start=0.25):
    """0.25, 0.5, ... (exact in fp16 and bf16 for the sizes used here)."""
    n = int(np.prod(shape))
    return (start + 0.25 * np.arange(n, dtype=np.float32)).reshape(shape)


def to_bytes(array, dtype):
    array = np.ascontiguousarray(array, dtype=np.float32)
    if dtype == "F32":
        return array.astype("<f4").tobytes()
    if dtype == "F16":
        return array.astype("<f2").tobytes()
    if dtype == "BF16":  # the top half of the fp32 bits (values are exact)
        return (array.view("<u4") >> 16).astype("<u2").tobytes()
    if dtype == "F64":
        return array.astype("<f8").tobytes()
    raise ValueError(dtype)


def safetensors_bytes(tensors, metadata=None, patch=None):
    """tensors: {name: (dtype, array)}; patch(header) may break the header."""
    header, data = {}, b""
    for name, (dtype, array) in tensors.items():
        raw = to_bytes(array, dtype)
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    if patch:
        patch(header)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def write_adapter(root, name, config, tensors, *, raw=None, metadata=None,
                  patch=None, write_config=True):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    if write_config:
        with open(os.path.join(d, "adapter_config.json"), "w") as f:
            if isinstance(config, str):
                f.write(config)
            else:
                json.dump(config, f, indent=2, sort_keys=True)
    blob = raw if raw is not None else safetensors_bytes(
        tensors, metadata or {"format": "pt"}, patch)
    with open(os.path.join(d, "adapter_model.safetensors"), "wb") as f:
        f.write(blob)


def lora_config(**kw):
    config = {"peft_type": "LORA", "r": 4, "lora_alpha": 8,
              "target_modules": ["q_proj", "v_proj"], "bias": "none",
              "use_rslora": False, "use_dora": False, "fan_in_fan_out": False,
              "rank_pattern": {}, "alpha_pattern": {}, "lora_dropout": 0.0,
              "task_type": "CAUSAL_LM", "base_model_name_or_path": "tiny"}
    config.update(kw)
    return config


def lora_tensors(module, r, n_in, n_out, dtype="F32", a_suffix="lora_A.weight",
                 b_suffix="lora_B.weight"):
    key = PREFIX + module
    return {f"{key}.{a_suffix}": (dtype, ramp((r, n_in))),
            f"{key}.{b_suffix}": (dtype, ramp((n_out, r), start=-1.0))}


# The layers of load-adapter.mlir: name -> (in, out).
Q = "model.layers.0.self_attn.q_proj"  # 16 -> 16, out_in
K = "model.layers.0.self_attn.k_proj"  # 16 -> 8, in_out
V = "model.layers.0.self_attn.v_proj"  # 16 -> 8, out_in
DOWN = "model.layers.0.mlp.down_proj"  # 32 -> 16, in_out
C_ATTN = "transformer.h.0.attn.c_attn"  # 16 -> 48, in_out (GPT-2 Conv1D)
Q16 = "model.layers.1.self_attn.q_proj"  # 16 -> 16, f16 layer


def main(root):
    good = {**lora_tensors(Q, 4, 16, 16), **lora_tensors(V, 4, 16, 8)}
    write_adapter(root, "lora", lora_config(), good)

    # rank_pattern / alpha_pattern; the adapter name left in the keys.
    write_adapter(root, "patterns",
                  lora_config(rank_pattern={"q_proj": 2},
                              alpha_pattern={"v_proj": 32}),
                  {**lora_tensors(Q, 2, 16, 16, a_suffix="lora_A.default.weight",
                                  b_suffix="lora_B.default.weight"),
                   **lora_tensors(V, 4, 16, 8)})

    write_adapter(root, "rslora", lora_config(r=4, lora_alpha=8,
                                              use_rslora=True), good)

    dora = lora_tensors(Q, 4, 16, 16)
    dora[PREFIX + Q + ".lora_magnitude_vector"] = ("F32", ramp((16,)))
    dora.update(lora_tensors(V, 4, 16, 8))
    dora[PREFIX + V + ".lora_magnitude_vector.weight"] = ("F32", ramp((8,)))
    write_adapter(root, "dora", lora_config(use_dora=True), dora)

    # fp16 and bf16 tensors, into the f32 layer q and the f16 layer q16.
    for dtype in ("F16", "BF16"):
        write_adapter(root, dtype.lower(),
                      lora_config(r=2, lora_alpha=2, target_modules=["q_proj"]),
                      {**lora_tensors(Q, 2, 16, 16, dtype),
                       **lora_tensors(Q16, 2, 16, 16, dtype)})

    write_adapter(root, "ia3",
                  {"peft_type": "IA3", "target_modules": ["k_proj", "down_proj"],
                   "feedforward_modules": ["down_proj"]},
                  {PREFIX + K + ".ia3_l": ("F32", ramp((8, 1))),
                   PREFIX + DOWN + ".ia3_l": ("F32", ramp((1, 32)))})

    # GPT-2: one adapter on the fused c_attn; A/B are [r, in] / [out, r]
    # whatever fan_in_fan_out says.
    write_adapter(root, "gpt2",
                  lora_config(target_modules=["c_attn"], fan_in_fan_out=True),
                  lora_tensors(C_ATTN, 4, 16, 48))

    # Paths of another model class, mapped by module-map=decoder=model.
    write_adapter(root, "mapped", lora_config(),
                  lora_tensors("decoder.layers.0.self_attn.q_proj", 4, 16, 16))

    # --- broken adapters -------------------------------------------------
    blob = safetensors_bytes(good, {"format": "pt"})
    write_adapter(root, "truncated", lora_config(), None, raw=blob[:-10])
    write_adapter(root, "header-past-eof", lora_config(), None,
                  raw=struct.pack("<Q", 1 << 20) + blob[8:])
    bad_json = b'{"a": {"dtype": "F32",'
    write_adapter(root, "bad-json", lora_config(), None,
                  raw=struct.pack("<Q", len(bad_json)) + bad_json)

    def out_of_range(header):
        header[PREFIX + V + ".lora_B.weight"]["data_offsets"][1] += 4096
    write_adapter(root, "offsets", lora_config(), good, patch=out_of_range)

    def wrong_dtype(header):
        header[PREFIX + V + ".lora_B.weight"]["dtype"] = "F24"
    write_adapter(root, "dtype", lora_config(), good, patch=wrong_dtype)

    write_adapter(root, "shape", lora_config(),
                  {**lora_tensors(Q, 4, 16, 16), **lora_tensors(V, 4, 16, 12)})
    write_adapter(root, "rank", lora_config(rank_pattern={"v_proj": 8}), good)
    write_adapter(root, "unmatched", lora_config(),
                  {**good, **lora_tensors("model.layers.7.self_attn.q_proj",
                                          4, 16, 16)})
    only_a = dict(good)
    del only_a[PREFIX + V + ".lora_B.weight"]
    write_adapter(root, "missing-b", lora_config(), only_a)
    write_adapter(root, "no-config", None, good, write_config=False)
    write_adapter(root, "bad-config", lora_config(r="four"), good)
    write_adapter(root, "bias", lora_config(bias="all"), good)
    write_adapter(root, "loha", {"peft_type": "LOHA", "r": 4}, good)
    write_adapter(root, "no-dora", lora_config(), dora)
    write_adapter(root, "modules-to-save", lora_config(),
                  {**good, PREFIX + "score.weight": ("F32", ramp((2, 16)))})


if __name__ == "__main__":
    main(sys.argv[1])
