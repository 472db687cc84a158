//===- PeftInterfaces.td - layer and adapter interfaces ----*- tablegen -*-===//
//
// Passes dispatch on these interfaces, not on the concrete ops: a quantized
// or factored linear joins by implementing LinearLikeOpInterface, an adapter
// bank by implementing AdapterOpInterface.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_DIALECT_PEFT_IR_PEFTINTERFACES_TD
#define PEFT_DIALECT_PEFT_IR_PEFTINTERFACES_TD

include "mlir/IR/OpBase.td"

def Peft_LinearLikeOpInterface : OpInterface<"LinearLikeOpInterface"> {
  let cppNamespace = "::mlir::peft";
  let description = [{
    A layer that computes `y = x·Wᵀ (+ b)` on the last dimension of its input
    (`peft.linear` today; quantized and factored linears later). It has one
    result, the layer's output, on which adapters stack. Its weight may be a
    dense float matrix (which merges fold into) or something else (packed
    integers, factors): `getDenseWeightOperand` is null for the latter.
  }];
  let methods = [
    // The defaults read the operands and attributes every linear-like op of
    // the dialect has: `input`, `path`, `role` and an optional `bias`.
    InterfaceMethod<"The layer's input (features on its last dimension).",
      "::mlir::Value", "getLinearInput", (ins), [{}],
      [{ return $_op.getInput(); }]>,
    InterfaceMethod<"The layer's output, on which adapters stack.",
      "::mlir::Value", "getLinearOutput", (ins), [{}],
      [{ return $_op->getResult(0); }]>,
    InterfaceMethod<"Number of input features (the contracted dimension).",
      "int64_t", "getInFeatures">,
    InterfaceMethod<"Number of output features.", "int64_t", "getOutFeatures">,
    InterfaceMethod<"The module path of the source framework, if known.",
      "std::optional<::llvm::StringRef>", "getModulePath", (ins), [{}],
      [{ return $_op.getPath(); }]>,
    InterfaceMethod<"The layer's role in its transformer block.",
      "::mlir::peft::LinearRole", "getLinearRole", (ins), [{}],
      [{ return $_op.getRole(); }]>,
    InterfaceMethod<"Records the layer's role (role inference).",
      "void", "setLinearRole", (ins "::mlir::peft::LinearRole":$role), [{}],
      [{ $_op.setRole(role); }]>,
    InterfaceMethod<[{The operand holding the dense float weight the layer
      computes with, or null when it has none (packed integers, factors).}],
      "::mlir::OpOperand *", "getDenseWeightOperand", (ins), [{}],
      [{ return nullptr; }]>,
    InterfaceMethod<"The storage layout of the dense weight.",
      "::mlir::peft::WeightLayout", "getDenseWeightLayout", (ins), [{}],
      [{ return ::mlir::peft::WeightLayout::out_in; }]>,
    InterfaceMethod<"The bias operand, or null.",
      "::mlir::OpOperand *", "getBiasOperand", (ins), [{}],
      [{ return $_op.getBias() ? &$_op.getBiasMutable()[0] : nullptr; }]>,
  ];
  let extraSharedClassDeclaration = [{
    /// How diagnostics name the layer: its quoted module path, else
    /// "<unnamed layer>".
    std::string describeLayer() {
      if (auto path = $_op.getModulePath())
        return ("'" + *path + "'").str();
      return "<unnamed layer>";
    }
  }];
}

def Peft_AdapterOpInterface : OpInterface<"AdapterOpInterface"> {
  let cppNamespace = "::mlir::peft";
  let description = [{
    An adapter on a linear layer. Its single result replaces its `base`,
    which is the layer's output or the result of the adapter below it: the
    adapters of a layer form one explicit, ordered stack, bottom (nearest the
    layer) to top (see docs/lora.md, "Adapter stacks").

    Merge and unmerge fold an adapter into the layer's dense weight and out
    again. Whether a merge-state change is allowed depends on the stack
    (`checkMergeStateChange`): an adapter whose result is its base plus a
    term independent of the layer's weight (`passesBaseThrough`, plain LoRA)
    commutes with any other such adapter; any other adapter (DoRA, IA³) may
    change state only when every adapter below it is merged and every
    adapter above it is not.
  }];
  let methods = [
    InterfaceMethod<"The value this adapter adds to (its stack predecessor).",
      "::mlir::Value", "getAdapterBase">,
    InterfaceMethod<"The adapter's name (PEFT's adapter name, `default`).",
      "::llvm::StringRef", "getAdapterName">,
    InterfaceMethod<[{Whether the adapter can be folded into the layer's
      weight at all (constant parameters, a dense layer).}],
      "bool", "isMergeable">,
    InterfaceMethod<"Whether the adapter is folded into the weight now.",
      "bool", "isMerged">,
    InterfaceMethod<[{Whether the result is the base plus a term that does not
      depend on the layer's weight or output (plain LoRA), so that merging
      other adapters does not change it.}], "bool", "passesBaseThrough">,
    InterfaceMethod<[{Whether the adapter stays in the IR after a merge,
      marked merged, so that it can be unmerged; false when a merge folds it
      and erases it (IA³).}], "bool", "isReversible">,
    InterfaceMethod<[{Folds the adapter into the layer's dense weight. An
      adapter that keeps no state once folded (IA³) erases itself. Does not
      check the stack rule: callers use checkMergeStateChange first.}],
      "::llvm::LogicalResult", "merge">,
    InterfaceMethod<"Takes a merged adapter out of the layer's weight again.",
      "::llvm::LogicalResult", "unmerge">,
  ];
  let extraSharedClassDeclaration = [{
    /// The layer at the bottom of this adapter's stack (null in invalid IR).
    ::mlir::peft::LinearLikeOpInterface getLayer() {
      return ::mlir::peft::getAdapterLayer($_op);
    }
    /// How diagnostics name the adapter: "'name' (op name)".
    std::string describeAdapter() {
      return ("'" + $_op.getAdapterName() + "' (" +
              $_op->getName().getStringRef() + ")").str();
    }
  }];
  let verify = [{ return ::mlir::peft::verifyAdapterOp($_op); }];
}

#endif // PEFT_DIALECT_PEFT_IR_PEFTINTERFACES_TD
