//===- ModuleRecognition.h - transformer modules of a graph -*- C++ -*-===//
//
// Groups the linear layers of a raised graph (after `peft-raise-linear`) into
// the modules of each transformer block: attention (q, k, v, o, head counts,
// rotary embedding, softmax scale, the ops and constants that carry the head
// shapes) and MLP (gate/up/down and the activation), with the residual
// stream at each block's input and output. Everything is derived from the
// dataflow, the shape constants and the weight shapes; module paths are only
// reported. The calibration instrumentation (Σ QᵀQ, Σ KᵀK per head on
// post-rotary states, Σ HᵀH at down's input, block influence from x_in and
// x_out) and the MoDeGPT rewrite (which slices head dims and intermediate
// columns and must update every dependent constant) consume these structs.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_DIALECT_PEFT_ANALYSIS_MODULERECOGNITION_H
#define PEFT_DIALECT_PEFT_ANALYSIS_MODULERECOGNITION_H

#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/Peft/IR/PeftOps.h"

#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace mlir::peft {

/// How the rotary embedding pairs the dimensions of a head.
enum class RotaryKind {
  None,
  /// rotate_half: dimension i rotates with i + headDim/2 (LLaMA, NeoX).
  Half,
  /// dimension 2i rotates with 2i + 1 (GPT-J).
  Interleaved
};

/// The nonlinearity of an MLP.
enum class ActivationKind {
  Unknown,
  /// x·sigmoid(x) (Sigmoid and Mul, or a Silu/Swish node).
  SiLU,
  /// 0.5·x·(1 + erf(x/√2)).
  GeluErf,
  /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (gelu_new).
  GeluTanh,
  /// An ONNX Gelu op (opset 20) or Gelu/FastGelu node.
  Gelu,
  Relu
};

llvm::StringRef stringifyRotaryKind(RotaryKind kind);
llvm::StringRef stringifyActivationKind(ActivationKind kind);

/// The output features a projection takes from its linear: all of them, or
/// a column range [begin, end) of a fused qkv linear (GPT-2's c_attn, split
/// by a Split or by Slices on the last axis).
struct Projection {
  LinearLikeOpInterface linear;
  int64_t begin = 0;
  int64_t end = 0;

  bool isFused() const {
    LinearLikeOpInterface layer = linear;
    return layer && (begin != 0 || end != layer.getOutFeatures());
  }
};

/// A tensor of per-head states and where its heads and head dims lie.
struct HeadStates {
  Value value;
  /// The axis of the heads, e.g. 1 for [batch, heads, seq, headDim].
  int64_t headAxis = -1;
  /// The axis of the head dimension, e.g. 3 for [batch, heads, seq, headDim].
  int64_t dimAxis = -1;
};

/// The rotary position embedding applied to q and k:
/// x·cos + rotate(x)·sin.
struct Rotary {
  RotaryKind kind = RotaryKind::None;
  /// The cos and sin tables as multiplied into the query states (their last
  /// dimension is the head dim; slicing a head dim slices them alike).
  Value cos, sin;
  /// The Slice/Neg/Concat of rotate and the Mul/Add that apply the tables,
  /// for q and for k.
  llvm::SmallVector<Operation *> ops;
};

/// One attention: softmax(scale·Q·Kᵀ)·V → o.
struct AttentionModule {
  Projection q, k, v;
  LinearLikeOpInterface o;
  int64_t numQueryHeads = 0;
  int64_t numKVHeads = 0;
  int64_t headDim = 0;
  /// Query heads per key/value head (grouped-query attention), 1 for MHA.
  int64_t groups = 1;

  /// Post-rotary Q as the score product reads it (any scale on Q not
  /// applied), e.g. [batch, heads, seq, headDim].
  HeadStates query;
  /// Post-rotary K before repeat_kv and before the transpose into the score
  /// product, e.g. [batch, kvHeads, seq, headDim] or, without rotary,
  /// [batch, seq, kvHeads, headDim].
  HeadStates key;
  /// Whether the key states are [.., seq, headDim], so that the score
  /// product reads them transposed.
  bool keyTransposed = true;
  /// The score product Q·Kᵀ, the softmax, and the product with V.
  Operation *scores = nullptr;
  Operation *softmax = nullptr;
  Operation *context = nullptr;

  Rotary rotary;

  /// What the scores are multiplied by before the softmax (1/√headDim),
  /// wherever it is applied: on Q, on K or on the scores; nullopt when a
  /// factor could not be evaluated.
  std::optional<double> scale;
  /// The Mul/Div ops that apply it.
  llvm::SmallVector<Operation *> scaleOps;

  /// The data-movement ops between the linears and the products that carry
  /// head shapes: head split and merge Reshape, Transpose, repeat_kv
  /// Unsqueeze/Expand/Reshape, the Split or Slice of a fused qkv.
  llvm::SmallVector<Operation *> headShapeOps;
  /// The integer constants on the shape operands of those ops that mention
  /// the head dim or a width of heads·headDim (what shrinking the head dim
  /// must rewrite).
  llvm::SmallVector<Operation *> headDimConstants;

  /// The attention output that feeds o (o's input).
  Value output;
};

/// One MLP: down(act(gate(x)) ⊙ up(x)) or down(act(up(x))).
struct MLPModule {
  /// Null when the MLP is not gated.
  LinearLikeOpInterface gate;
  LinearLikeOpInterface up, down;
  ActivationKind activation = ActivationKind::Unknown;
  /// The ops between the gate/up linears and down's input (the activation
  /// and, when gated, the product).
  llvm::SmallVector<Operation *> activationOps;
  /// H, the hidden activation down reads.
  Value hidden;

  bool isGated() const { return static_cast<bool>(gate); }
  int64_t getIntermediateSize() const {
    LinearLikeOpInterface layer = up;
    return layer.getOutFeatures();
  }
};

/// One transformer block, in program order.
struct TransformerBlock {
  unsigned index = 0;
  /// The longest dot-separated prefix the module paths of the block's
  /// linears share (e.g. `model.layers.3`), empty when none.
  std::string pathPrefix;
  std::optional<AttentionModule> attention;
  std::optional<MLPModule> mlp;
  /// x_in: the residual stream the block reads (the value added back after
  /// attention); x_out: the residual stream it hands on (the MLP's residual
  /// Add, or in a post-norm block the normalization after it). The block
  /// influence is 1 − E[cos(x_in, x_out)].
  Value input, output;
};

struct ModelModules {
  llvm::SmallVector<TransformerBlock, 0> blocks;
  /// Linears in no module (lm_head, pooler, classifier), in program order.
  llvm::SmallVector<LinearLikeOpInterface> unassigned;
};

/// Recognizes the transformer blocks under `root` (a raised graph). Emits an
/// error on the offending op, naming the linears' paths, and fails when the
/// graph is ambiguous (head counts that the shape constants and weight shapes
/// do not determine consistently, a q/k/v/o/gate/up/down linear in no module,
/// an o linear fed by two attentions, ...) instead of guessing.
FailureOr<ModelModules> recognizeModules(Operation *root);

/// The value of a one-element tensor when constant folding through scalar
/// arithmetic gives it: constants, elements of Shape on static dimensions,
/// Cast, Squeeze/Unsqueeze/Reshape, Sqrt, Reciprocal, Neg, Add, Sub, Mul,
/// Div, Pow (the softmax scales exporters compute from head shapes).
std::optional<double> evaluateScalar(Value value);

/// The columns [begin, end) a Slice takes of the last axis of its input (of
/// static last extent), or nothing unless its starts, ends and axes are
/// one-entry constants on that axis and its step is 1 (the Slices that cut
/// a fused qkv apart).
std::optional<std::pair<int64_t, int64_t>>
getLastAxisSliceRange(onnx_ir::SliceOp slice);

} // namespace mlir::peft

#endif // PEFT_DIALECT_PEFT_ANALYSIS_MODULERECOGNITION_H
