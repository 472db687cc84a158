//===- RoleInference.cpp - roles of linear layers from graph topology -----===//
//
// Roles follow from where values flow, computed as one forward dataflow over
// the graph in program order. The provenance of a value is the set of
// origins it is computed from through ops that move or combine data
// elementwise (reshapes, transposes, slices, concatenations, elementwise
// arithmetic, ...; see classify), each origin marked whether a nonlinearity
// (Sigmoid, Tanh, Erf, ...) lies on the way. The origins are
//
//   - the result of a peft.linear,
//   - the result of an onnx.Softmax,
//   - the result of an onnx.MatMul of two computed values (a constant-weight
//     MatMul has become a peft.linear by then).
//
// Any other op (normalization statistics, reductions, Shape and the shape
// arithmetic behind it, comparisons, ...) starts with an empty provenance.
// Then:
//
//   - a MatMul whose result reaches a Softmax computes attention scores QKᵀ:
//     the linears reaching its left operand are q, its right (transposed)
//     operand k, whatever rotary or scaling arithmetic lies between;
//   - a MatMul with a softmax on one operand applies attention: the linears
//     reaching its other operand are v, and its result is attention output;
//   - the fused ai.onnx Attention (opset 23) has these slots as operands:
//     the linears reaching Q are q, K k, V v, and its Y is attention output;
//   - a linear reaching two or three of these slots (its output split by a
//     Split or by Slices, GPT-2's c_attn) is the fused qkv;
//   - a linear whose input carries attention output is o;
//   - a linear whose input carries an activated linear is an MLP down
//     projection. With activated and plain linears meeting there (the
//     product of a gated MLP, act(gate)·up) the activated ones are gate and
//     the plain ones up. With activated ones only (linear → GELU → linear)
//     they are up, provided down's output is added back to the residual
//     stream that up's input is computed from: a pooler → tanh → classifier
//     head has no residual and stays `other`.
//
//===----------------------------------------------------------------------===//

#include "RoleInference.h"

#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/Peft/Utils/Weights.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/bit.h"

using namespace mlir;
using namespace mlir::peft;

namespace {

/// An op a value is computed from, and whether a nonlinearity lies between.
struct Origin {
  Operation *op;
  bool activated;
};

/// Origins sorted by op, each once (activated when any path is).
using Provenance = SmallVector<Origin, 2>;

void mergeInto(Provenance &into, ArrayRef<Origin> from, bool activate) {
  for (Origin origin : from) {
    bool activated = origin.activated || activate;
    auto *it =
        llvm::lower_bound(into, origin.op, [](const Origin &a, Operation *b) {
          return std::less<Operation *>()(a.op, b);
        });
    if (it != into.end() && it->op == origin.op)
      it->activated |= activated;
    else
      into.insert(it, {origin.op, activated});
  }
}

/// How an op passes provenance from its operands to its results.
enum class Flow {
  Origin,      // starts a provenance of its own
  Transparent, // the union of its operands'
  Activation,  // the union of its operands', activated
  Opaque       // none
};

bool isActivationNode(StringRef opType) {
  return llvm::is_contained({"Gelu", "FastGelu", "BiasGelu", "QuickGelu",
                             "Silu", "Swish", "Mish", "Softplus", "Softsign",
                             "Elu", "Selu", "Celu", "LeakyRelu", "PRelu",
                             "HardSigmoid", "HardSwish", "ThresholdedRelu"},
                            opType);
}

Flow classify(Operation *op) {
  if (isa<LinearLikeOpInterface, onnx_ir::SoftmaxOp, onnx_ir::MatMulOp>(op))
    return Flow::Origin;
  if (isa<onnx_ir::SigmoidOp, onnx_ir::TanhOp, onnx_ir::ErfOp, onnx_ir::ReluOp>(
          op))
    return Flow::Activation;
  // Data movement and elementwise arithmetic: reshaping into heads, rotary
  // embeddings (Slice, Neg, Concat, Mul, Add, or the fused RotaryEmbedding),
  // repeat_kv (Expand), scaling, masking (Where), casts. Index and shape
  // operands carry no provenance.
  if (isa<onnx_ir::ReshapeOp, onnx_ir::TransposeOp, onnx_ir::UnsqueezeOp,
          onnx_ir::SqueezeOp, onnx_ir::FlattenOp, onnx_ir::ExpandOp,
          onnx_ir::SliceOp, onnx_ir::SplitOp, onnx_ir::ConcatOp,
          onnx_ir::GatherOp, onnx_ir::CastOp, onnx_ir::IdentityOp,
          onnx_ir::NegOp, onnx_ir::AbsOp, onnx_ir::AddOp, onnx_ir::SubOp,
          onnx_ir::MulOp, onnx_ir::DivOp, onnx_ir::PowOp, onnx_ir::SqrtOp,
          onnx_ir::ReciprocalOp, onnx_ir::WhereOp, onnx_ir::MaxOp,
          onnx_ir::MinOp, onnx_ir::ClipOp, onnx_ir::RotaryEmbeddingOp>(op))
    return Flow::Transparent;
  // Fake quantization of activations (QDQ models): the value passes through.
  if (isa<onnx_ir::QuantizeLinearOp, onnx_ir::DequantizeLinearOp>(op))
    return Flow::Transparent;
  if (auto node = dyn_cast<onnx_ir::NodeOp>(op)) {
    if (node.getOpType() == "Dropout")
      return Flow::Transparent;
    if (isActivationNode(node.getOpType()))
      return Flow::Activation;
  }
  return Flow::Opaque;
}

/// Ops that only move data, for following a layer's output to its residual
/// addition.
bool isDataMovement(Operation *op) {
  if (auto node = dyn_cast<onnx_ir::NodeOp>(op))
    return node.getOpType() == "Dropout";
  return isa<onnx_ir::ReshapeOp, onnx_ir::TransposeOp, onnx_ir::UnsqueezeOp,
             onnx_ir::SqueezeOp, onnx_ir::CastOp, onnx_ir::IdentityOp,
             onnx_ir::QuantizeLinearOp, onnx_ir::DequantizeLinearOp>(op);
}

/// Whether `value` is `ancestor` or computed from it, looking at the nearest
/// `budget` values only (breadth first).
bool dependsOn(Value value, Value ancestor, size_t budget = 512) {
  SmallVector<Value> queue{value};
  DenseSet<Value> seen{value};
  for (size_t head = 0; head < queue.size() && head < budget; ++head) {
    Value current = queue[head];
    if (current == ancestor)
      return true;
    if (Operation *def = current.getDefiningOp())
      for (Value operand : def->getOperands())
        if (seen.insert(operand).second)
          queue.push_back(operand);
  }
  return false;
}

/// Whether the output of `down`, moved around only, is added to a value
/// that `upInput` is computed from (the residual connection of an MLP).
bool addsToResidual(LinearLikeOpInterface down, Value upInput) {
  SmallVector<Value> worklist{down.getLinearOutput()};
  for (int steps = 0; !worklist.empty() && steps < 16; ++steps) {
    Value value = worklist.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (isa<onnx_ir::AddOp>(user)) {
        Value other = user->getOperand(1 - use.getOperandNumber());
        if (dependsOn(upInput, other))
          return true;
        // A bias the layer did not take in (QDQ models quantize the product
        // before its bias Add).
        if (getConstantWeight(other))
          worklist.push_back(user->getResult(0));
      } else if (isDataMovement(user)) {
        worklist.push_back(user->getResult(0));
      }
    }
  }
  return false;
}

enum Slot : unsigned { kQuery = 1, kKey = 2, kValue = 4 };

} // namespace

DenseMap<Operation *, LinearRole>
mlir::peft::inferLinearRoles(Operation *root) {
  DenseMap<Value, Provenance> provenance;
  auto of = [&](Value value) -> ArrayRef<Origin> {
    auto it = provenance.find(value);
    return it == provenance.end() ? ArrayRef<Origin>() : it->second;
  };

  SmallVector<LinearLikeOpInterface> linears;
  SmallVector<onnx_ir::SoftmaxOp> softmaxes;
  SmallVector<onnx_ir::MatMulOp> products;
  SmallVector<onnx_ir::AttentionOp> fusedAttentions;
  root->walk([&](Operation *op) {
    if (auto attention = dyn_cast<onnx_ir::AttentionOp>(op)) {
      // Only Y carries attention output; the present K/V are the cache.
      fusedAttentions.push_back(attention);
      provenance[attention.getY()] = {{op, false}};
      return;
    }
    Flow flow = classify(op);
    if (flow == Flow::Opaque)
      return;
    if (flow == Flow::Origin) {
      if (auto linear = dyn_cast<LinearLikeOpInterface>(op))
        linears.push_back(linear);
      else if (auto softmax = dyn_cast<onnx_ir::SoftmaxOp>(op))
        softmaxes.push_back(softmax);
      else
        products.push_back(cast<onnx_ir::MatMulOp>(op));
      provenance[op->getResult(0)] = {{op, false}};
      return;
    }
    Provenance merged;
    for (Value operand : op->getOperands())
      mergeInto(merged, of(operand), flow == Flow::Activation);
    if (merged.empty())
      return;
    for (Value result : op->getResults())
      provenance[result] = merged;
  });

  // Attention: the score products QKᵀ feed a softmax; the products with a
  // softmax operand apply it to V.
  DenseSet<Operation *> scores, attentionOutputs;
  for (onnx_ir::SoftmaxOp softmax : softmaxes)
    for (Origin origin : of(softmax.getInput()))
      if (isa<onnx_ir::MatMulOp>(origin.op))
        scores.insert(origin.op);
  DenseMap<Operation *, unsigned> slots;
  auto markLinears = [&](Value value, Slot slot) {
    for (Origin origin : of(value))
      if (isa<LinearLikeOpInterface>(origin.op))
        slots[origin.op] |= slot;
  };
  auto carriesSoftmax = [&](Value value) {
    return llvm::any_of(of(value), [](Origin origin) {
      return isa<onnx_ir::SoftmaxOp>(origin.op);
    });
  };
  for (onnx_ir::MatMulOp product : products) {
    if (scores.contains(product)) {
      markLinears(product.getA(), kQuery);
      markLinears(product.getB(), kKey);
      continue;
    }
    bool softmaxA = carriesSoftmax(product.getA());
    if (softmaxA == carriesSoftmax(product.getB()))
      continue;
    markLinears(softmaxA ? product.getB() : product.getA(), kValue);
    attentionOutputs.insert(product);
  }
  for (onnx_ir::AttentionOp attention : fusedAttentions) {
    markLinears(attention.getQ(), kQuery);
    markLinears(attention.getK(), kKey);
    markLinears(attention.getV(), kValue);
    attentionOutputs.insert(attention);
  }

  // Consumers: o takes attention output, down takes an activated linear.
  DenseSet<Operation *> outputs;
  DenseMap<Operation *, LinearRole> mlp;
  for (LinearLikeOpInterface down : linears) {
    SmallVector<Operation *> activated, plain;
    bool attention = false;
    for (Origin origin : of(down.getLinearInput())) {
      attention |= attentionOutputs.contains(origin.op);
      if (isa<LinearLikeOpInterface>(origin.op))
        (origin.activated ? activated : plain).push_back(origin.op);
    }
    if (attention) {
      outputs.insert(down);
      continue;
    }
    if (activated.empty())
      continue;
    bool gated = !plain.empty();
    if (!gated && !llvm::all_of(activated, [&](Operation *up) {
          return addsToResidual(
              down, cast<LinearLikeOpInterface>(up).getLinearInput());
        }))
      continue;
    mlp.try_emplace(down, LinearRole::down);
    for (Operation *op : activated)
      mlp.try_emplace(op, gated ? LinearRole::gate : LinearRole::up);
    for (Operation *op : plain)
      mlp.try_emplace(op, LinearRole::up);
  }

  DenseMap<Operation *, LinearRole> roles;
  for (LinearLikeOpInterface linear : linears) {
    unsigned slot = slots.lookup(linear);
    LinearRole role = LinearRole::other;
    if (llvm::popcount(slot) > 1)
      role = LinearRole::qkv;
    else if (slot == kQuery)
      role = LinearRole::q;
    else if (slot == kKey)
      role = LinearRole::k;
    else if (slot == kValue)
      role = LinearRole::v;
    else if (outputs.contains(linear))
      role = LinearRole::o;
    else if (auto it = mlp.find(linear); it != mlp.end())
      role = it->second;
    roles[linear] = role;
  }
  return roles;
}
