//===- RoleInference.h - roles of linear layers from graph topology -*- C++
//-*-===//
//
// Part of peft-raise-linear: decides what each recognized linear layer does in
// its transformer block (q, k, v, o, qkv, gate, up, down, other) from the
// dataflow of the graph alone. Module and tensor names are never consulted.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_DIALECT_PEFT_TRANSFORMS_ROLEINFERENCE_H
#define PEFT_LIB_DIALECT_PEFT_TRANSFORMS_ROLEINFERENCE_H

#include "peft/Dialect/Peft/IR/PeftOps.h"

#include "llvm/ADT/DenseMap.h"

namespace mlir::peft {

/// The role of every `peft.linear` under `root` as the dataflow around it
/// says; layers that match no pattern are `other`. See RoleInference.cpp for
/// the rules.
llvm::DenseMap<Operation *, LinearRole> inferLinearRoles(Operation *root);

} // namespace mlir::peft

#endif // PEFT_LIB_DIALECT_PEFT_TRANSFORMS_ROLEINFERENCE_H
