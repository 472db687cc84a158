"""peft_mlir.evaluate on the generated models: perplexity and sentence-embedding
similarity by onnxruntime and by our CPU JIT, against PyTorch references."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from peft_mlir import evaluate, lrqat_train, textdata

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_models  # noqa: E402


def test_window_nll_against_torch():
    rng = np.random.default_rng(0)
    logits = (8 * rng.standard_normal((2, 5, 11))).astype(np.float32)
    ids = rng.integers(0, 11, size=(2, 5))
    ref = torch.nn.functional.cross_entropy(
        torch.from_numpy(logits[:, :-1]).double().reshape(-1, 11),
        torch.from_numpy(ids[:, 1:]).reshape(-1), reduction="none").reshape(2, 4).numpy()
    np.testing.assert_allclose(evaluate.window_nll(logits, ids), ref, rtol=1e-12, atol=1e-12)


def test_llama_perplexity_ort_and_jit(onnx_models, model_entry):
    """Perplexity of the generated LLaMA on fixed-seed token windows: both
    backends against the eager PyTorch model of gen_models (same weights)."""
    model_entry("llama_opset17")
    path = onnx_models / "llama_opset17.onnx"
    ids = np.random.default_rng(3).integers(0, gen_models.LLAMA_CFG["vocab"], size=(5, 9))
    torch_model = gen_models.build_llama(1).eval()
    with torch.no_grad():
        logits = torch_model(torch.from_numpy(ids)).double()
    ref = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                            torch.from_numpy(ids[:, 1:]).reshape(-1)).item()
    for backend, batch in (("ort", 2), ("jit", 2)):
        res = evaluate.perplexity(evaluate.runner(path, backend), ids, batch_size=batch,
                                  progress=False)
        assert res["tokens"] == 5 * 8 and res["windows"] == 5
        assert res["nll"] == pytest.approx(ref, rel=1e-5), backend
        assert res["perplexity"] == pytest.approx(np.exp(ref), rel=1e-5), backend


def test_perplexity_rejects_bad_windows():
    with pytest.raises(ValueError, match="windows must be"):
        evaluate.perplexity(lambda feeds: {}, np.zeros((3,), np.int64), progress=False)


def test_minilm_embedding_cosine(onnx_models, model_entry):
    """Sentence embeddings of the real MiniLM export on held-out sentences
    (GPL-3): onnxruntime against transformers' BertModel with
    sentence-transformers' mean pooling and normalisation; our JIT against
    onnxruntime through embedding_cosine."""
    model_entry("minilm_opset14")
    path = onnx_models / "minilm_opset14.onnx"
    tok = lrqat_train.load_tokenizer()
    sents = textdata.evaluation_sentences()[:12]
    ort_emb = evaluate.sentence_embeddings(evaluate.OrtRunner(path), tok, sents, batch_size=6,
                                           progress=False)
    feeds = tok(sents, padding=True, truncation=True, max_length=128, return_tensors="pt")
    with torch.no_grad():
        h = lrqat_train.load_minilm()(**feeds).last_hidden_state
        m = feeds["attention_mask"].unsqueeze(-1).float()
        ref = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1).numpy()
    np.testing.assert_allclose(ort_emb, ref, atol=1e-5)
    res = evaluate.embedding_cosine(evaluate.OrtRunner(path), evaluate.JitRunner(path), tok,
                                    sents, batch_size=6, progress=False)
    assert res["sentences"] == 12 and res["cosines"].shape == (12,)
    assert res["min"] > 1 - 1e-5
    # Different sentences are far from identical: the cosine is not trivially 1.
    off = float(ref[0] @ ref[1])
    assert off < 0.9
