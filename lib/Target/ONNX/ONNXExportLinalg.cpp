//===- ONNXExportLinalg.cpp - elementwise linalg ops as ONNX operators ----===//
//
// Passes that stay clear of the onnx dialect express elementwise arithmetic
// as linalg on tensors (peft-lora-as-inputs scales B by the runtime scale
// with one). An all-parallel linalg.generic whose body is one binary
// arith op of its two inputs, with identity or numpy-broadcasting maps,
// becomes the ONNX operator of that arith op; the tensor.empty that only
// initializes such outputs exports nothing. Anything else is refused.
//
//===----------------------------------------------------------------------===//

#include "ONNXExportImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::detail;

namespace {

/// Whether `map` reads an operand of `type` the way ONNX (numpy)
/// broadcasting reads it for an output of `outputRank`: trailing dimensions
/// aligned, size-1 dimensions indexed by the constant 0.
bool isBroadcastMap(AffineMap map, ShapedType type, unsigned outputRank) {
  if (map.getNumDims() != outputRank || map.getNumResults() > outputRank ||
      !type.hasRank() || type.getRank() != map.getNumResults())
    return false;
  unsigned offset = outputRank - map.getNumResults();
  for (auto [i, expr] : llvm::enumerate(map.getResults())) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      if (dim.getPosition() != offset + i)
        return false;
    } else if (auto cst = dyn_cast<AffineConstantExpr>(expr)) {
      if (cst.getValue() != 0 || type.getDimSize(i) != 1)
        return false;
    } else {
      return false;
    }
  }
  return true;
}

/// The ONNX operator that `generic` computes, or "" when it is not an
/// elementwise binary op of its two inputs with broadcasting maps.
StringRef getElementwiseOpType(linalg::GenericOp generic) {
  if (generic.getNumDpsInputs() != 2 || generic.getNumDpsInits() != 1 ||
      generic->getNumResults() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops())
    return "";
  unsigned rank = generic.getNumLoops();
  auto maps = generic.getIndexingMapsArray();
  if (!maps[2].isIdentity())
    return "";
  for (unsigned i = 0; i < 2; ++i)
    if (!isBroadcastMap(
            maps[i],
            cast<ShapedType>(generic.getDpsInputOperand(i)->get().getType()),
            rank))
      return "";
  Block &body = generic.getRegion().front();
  if (!llvm::hasSingleElement(body.without_terminator()))
    return "";
  Operation &op = body.front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (op.getNumOperands() != 2 || op.getOperand(0) != body.getArgument(0) ||
      op.getOperand(1) != body.getArgument(1) || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != op.getResult(0))
    return "";
  return llvm::TypeSwitch<Operation *, StringRef>(&op)
      .Case<arith::AddFOp, arith::AddIOp>([](auto) { return "Add"; })
      .Case<arith::SubFOp, arith::SubIOp>([](auto) { return "Sub"; })
      .Case<arith::MulFOp, arith::MulIOp>([](auto) { return "Mul"; })
      .Case<arith::DivFOp, arith::DivSIOp>([](auto) { return "Div"; })
      .Default([](Operation *) { return ""; });
}

} // namespace

LogicalResult ONNXExporter::exportLinalgOp(Operation *op,
                                           onnx::GraphProto &graph) {
  if (auto empty = dyn_cast<tensor::EmptyOp>(op)) {
    // The generics it initializes are checked (and refused) themselves.
    bool onlyInits = llvm::all_of(empty->getUses(), [](OpOperand &use) {
      auto generic = dyn_cast<linalg::GenericOp>(use.getOwner());
      return generic && generic.isDpsInit(&use);
    });
    if (onlyInits)
      return success();
  } else if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
    if (StringRef opType = getElementwiseOpType(generic); !opType.empty()) {
      std::string name = nodeName(op->getLoc());
      if (name.empty())
        name = "/" + opType.str();
      Value result = generic->getResult(0);
      names[result] = addNode(graph, opType, name,
                              {nameOf(generic.getDpsInputOperand(0)->get()),
                               nameOf(generic.getDpsInputOperand(1)->get())},
                              nullptr, graphOutputName(result));
      return success();
    }
  }
  return op->emitError("cannot export '")
         << op->getName()
         << "' to ONNX: only elementwise linalg.generic ops of one binary "
            "arith op (add, sub, mul, div) with broadcasting maps are "
            "exported";
}
