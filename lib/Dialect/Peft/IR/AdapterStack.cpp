//===- AdapterStack.cpp - the ordered adapter stack of a layer ------------===//
//
// A layer's adapters form one chain from the layer's output: each adapter's
// base is the result of the adapter below it. This file finds the chain,
// verifies it, and decides which merge-state changes the chain allows.
//
//===----------------------------------------------------------------------===//

#include "peft/Dialect/Peft/IR/PeftOps.h"

using namespace mlir;
using namespace mlir::peft;

LinearLikeOpInterface mlir::peft::getAdapterLayer(Operation *adapter) {
  auto current = dyn_cast<AdapterOpInterface>(adapter);
  // Bounded: SSA use-def chains in graph regions may be cyclic.
  for (int steps = 0; current && steps < (1 << 20); ++steps) {
    Value base = current.getAdapterBase();
    Operation *def = base.getDefiningOp();
    if (auto layer = dyn_cast_or_null<LinearLikeOpInterface>(def))
      return layer.getLinearOutput() == base ? layer : LinearLikeOpInterface();
    current = dyn_cast_or_null<AdapterOpInterface>(def);
  }
  return {};
}

/// The adapter other than `except` that stacks directly on `value`.
static AdapterOpInterface findAdapterOn(Value value, Operation *except) {
  for (Operation *user : value.getUsers())
    if (auto adapter = dyn_cast<AdapterOpInterface>(user);
        adapter && user != except && adapter.getAdapterBase() == value)
      return adapter;
  return {};
}

LogicalResult mlir::peft::verifyAdapterOp(Operation *op) {
  auto adapter = cast<AdapterOpInterface>(op);
  if (op->getNumResults() != 1)
    return op->emitOpError("an adapter has exactly one result");
  Value base = adapter.getAdapterBase();
  Operation *def = base.getDefiningOp();
  if (!isa_and_nonnull<LinearLikeOpInterface, AdapterOpInterface>(def))
    return op->emitOpError("base must be the output of a linear layer "
                           "(peft.linear) or the result of another adapter on "
                           "that layer");
  if (!getAdapterLayer(op))
    return op->emitOpError("base does not lead down to a linear layer's "
                           "output");
  if (AdapterOpInterface other = findAdapterOn(base, op))
    return op->emitOpError("adapters ")
           << adapter.describeAdapter() << " and " << other.describeAdapter()
           << " both stack on the same value; a layer's adapters form one "
              "ordered stack";
  return success();
}

SmallVector<AdapterOpInterface>
mlir::peft::getAdapterStack(LinearLikeOpInterface layer) {
  SmallVector<AdapterOpInterface> stack;
  Value top = layer.getLinearOutput();
  while (AdapterOpInterface next = findAdapterOn(top, nullptr)) {
    stack.push_back(next);
    top = next->getResult(0);
  }
  return stack;
}

Value mlir::peft::getAdapterStackTop(LinearLikeOpInterface layer) {
  SmallVector<AdapterOpInterface> stack = getAdapterStack(layer);
  return stack.empty() ? layer.getLinearOutput() : stack.back()->getResult(0);
}

LogicalResult mlir::peft::checkMergeStateChange(AdapterOpInterface adapter,
                                                bool toMerged) {
  LinearLikeOpInterface layer = adapter.getLayer();
  SmallVector<AdapterOpInterface> stack = getAdapterStack(layer);
  auto *it = llvm::find(stack, adapter);
  assert(it != stack.end() && "adapter not in its layer's stack");
  size_t index = it - stack.begin();
  StringRef verb = toMerged ? "merge" : "unmerge";
  for (size_t j = 0; j < stack.size(); ++j) {
    AdapterOpInterface other = stack[j];
    if (j == index ||
        (adapter.passesBaseThrough() && other.passesBaseThrough()))
      continue;
    bool below = j < index;
    // Below must be merged, above must not be.
    if (below == other.isMerged())
      continue;
    InFlightDiagnostic diag =
        adapter->emitError()
        << "cannot " << verb << " adapter " << adapter.describeAdapter()
        << " of layer " << layer.describeLayer() << ": adapter "
        << other.describeAdapter()
        << (below ? " below it is not merged" : " above it is merged");
    AdapterOpInterface dependent = other.passesBaseThrough() ? adapter : other;
    diag << ", and the output of " << dependent.describeAdapter()
         << " depends on the layer's weight (DoRA normalization or IA³ "
            "scaling); "
         << (below ? "merge " : "unmerge ") << other.describeAdapter()
         << " first";
    diag.attachNote(other->getLoc())
        << "adapter " << other.describeAdapter() << " is here";
    return failure();
  }
  return success();
}
