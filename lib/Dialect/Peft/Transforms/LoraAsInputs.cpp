//===- LoraAsInputs.cpp - adapter weights as function arguments -----------===//
//
// peft-lora-as-inputs: one compiled model runs any LoRA adapter of rank up
// to max-rank. The constant A and B of each adapter become zero-padded
// arguments and its scale a one-element argument that multiplies B: an
// elementwise linalg.generic on tensors, which both lowerings take as they
// are and the ONNX exporter writes as a Mul.
//
//===----------------------------------------------------------------------===//

#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Dialect/Peft/Transforms/Passes.h"
#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Support/Naming.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::peft {
#define GEN_PASS_DEF_PEFTLORAASINPUTS
#include "peft/Dialect/Peft/Transforms/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

namespace {

/// An adapter to turn into arguments, with the names of its arguments.
struct RuntimeAdapter {
  LoraOp op;
  std::string a, b, scale;
};

/// See getRuntimeAdapterInputNames.
RuntimeAdapter namesFor(LoraOp op, StringRef path) {
  RuntimeAdapterInputNames names =
      getRuntimeAdapterInputNames(path, op.getAdapter().value_or("default"));
  return {op, names.loraA, names.loraB, names.scale};
}

/// `b · scale` for `b: [out, r]` and a one-element `scale: [1]`, as the
/// broadcasting elementwise generic that convert-onnx-to-linalg makes of a
/// Mul.
Value createScaled(OpBuilder &b, Location loc, Value matrix, Value scale) {
  auto type = cast<RankedTensorType>(matrix.getType());
  MLIRContext *ctx = b.getContext();
  AffineMap identity = b.getMultiDimIdentityMap(2);
  AffineMap broadcast =
      AffineMap::get(2, 0, {getAffineConstantExpr(0, ctx)}, ctx);
  Value init =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  auto generic = linalg::GenericOp::create(
      b, loc, type, ValueRange{matrix, scale}, ValueRange{init},
      ArrayRef<AffineMap>{identity, broadcast, identity},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                    utils::IteratorType::parallel},
      [](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value product =
            arith::MulFOp::create(nested, nestedLoc, args[0], args[1]);
        linalg::YieldOp::create(nested, nestedLoc, product);
      });
  return generic.getResult(0);
}

struct PassLoraAsInputs
    : public peft::impl::PeftLoraAsInputsBase<PassLoraAsInputs> {
  using Base::Base;

  // The scaling of B is a linalg.generic (Passes.td names only the peft and
  // onnx dialects).
  void runOnOperation() override {
    if (maxRank <= 0) {
      getOperation().emitError("peft-lora-as-inputs needs max-rank > 0, got ")
          << int64_t(maxRank);
      return signalPassFailure();
    }
    for (auto fn : getOperation().getOps<func::FuncOp>())
      if (fn.isPublic() && !fn.isExternal() && failed(convert(fn)))
        return signalPassFailure();
  }

  /// Checks every adapter of `fn` first, then rewrites them all (an error
  /// leaves the function unchanged).
  LogicalResult convert(func::FuncOp fn) {
    SmallVector<RuntimeAdapter> adapters;
    llvm::StringSet<> names;
    for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i)
      if (auto name = fn.getArgAttrOfType<StringAttr>(i, "onnx.name"))
        names.insert(name.getValue());
    bool ok = true;
    fn.walk([&](LoraOp op) {
      // Merged adapters cost nothing and stay; non-constant ones already
      // are inputs.
      if (op.getMerged() || !getConstantWeight(op.getLoraA()) ||
          !getConstantWeight(op.getLoraB()))
        return;
      LinearOp linear = op.getLinear();
      std::optional<StringRef> path = linear ? linear.getPath() : std::nullopt;
      if (!path) {
        op.emitError("the layer of this adapter has no module path to name "
                     "its runtime inputs after");
        ok = false;
        return;
      }
      if (op.getMagnitude()) {
        op.emitError("DoRA adapter of layer '")
            << *path
            << "' cannot take its weights at run time; merge it first "
               "(peft-merge-lora)";
        ok = false;
        return;
      }
      if (op.getRank() > maxRank) {
        op.emitError("adapter of layer '")
            << *path << "' has rank " << op.getRank() << ", above max-rank "
            << int64_t(maxRank);
        ok = false;
        return;
      }
      RuntimeAdapter adapter = namesFor(op, *path);
      for (const std::string &name : {adapter.a, adapter.b, adapter.scale})
        if (!names.insert(name).second) {
          op.emitError("runtime input '") << name << "' is not unique";
          ok = false;
          return;
        }
      adapters.push_back(std::move(adapter));
    });
    if (!ok)
      return failure();

    MLIRContext *ctx = fn.getContext();
    for (RuntimeAdapter &adapter : adapters) {
      LoraOp op = adapter.op;
      auto aType = op.getLoraA().getType(), bType = op.getLoraB().getType();
      Type elementType = aType.getElementType();
      SmallVector<Type> types = {
          RankedTensorType::get({maxRank, aType.getDimSize(1)}, elementType),
          RankedTensorType::get({bType.getDimSize(0), maxRank}, elementType),
          RankedTensorType::get({1}, elementType)};
      SmallVector<DictionaryAttr> attrs;
      for (const std::string &name : {adapter.a, adapter.b, adapter.scale})
        attrs.push_back(DictionaryAttr::get(
            ctx, {NamedAttribute(StringAttr::get(ctx, "onnx.name"),
                                 StringAttr::get(ctx, name))}));
      unsigned first = fn.getNumArguments();
      if (failed(fn.insertArguments({first, first, first}, types, attrs,
                                    {op.getLoc(), op.getLoc(), op.getLoc()})))
        return fn.emitError("cannot add the runtime adapter arguments");

      Value oldA = op.getLoraA(), oldB = op.getLoraB();
      OpBuilder b(op);
      Location mulLoc = NameLoc::get(
          StringAttr::get(ctx, getNodeScope(*op.getLinear().getPath()) +
                                   "/lora_scale/Mul"),
          op.getLoc());
      Value scaledB = createScaled(b, mulLoc, fn.getArgument(first + 1),
                                   fn.getArgument(first + 2));
      op.getLoraAMutable().assign(fn.getArgument(first));
      op.getLoraBMutable().assign(scaledB);
      op.setScale(APFloat(1.0));
      for (Value old : {oldA, oldB})
        if (old.use_empty())
          old.getDefiningOp()->erase();
    }
    return success();
  }
};
} // namespace
