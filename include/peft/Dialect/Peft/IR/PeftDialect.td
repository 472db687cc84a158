//===- PeftDialect.td - peft dialect definition ------------*- tablegen -*-===//
//
// The `peft` dialect holds the semantic ops that the low-rank techniques
// (LoRA, LR-QAT, MoDeGPT) recognize, rewrite and lower.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_DIALECT_PEFT_IR_PEFTDIALECT_TD
#define PEFT_DIALECT_PEFT_IR_PEFTDIALECT_TD

include "mlir/IR/OpBase.td"

def Peft_Dialect : Dialect {
  let name = "peft";
  let cppNamespace = "::mlir::peft";
  let summary = "Semantic ops for parameter-efficient and low-rank rewrites";
  let description = [{
    The `peft` dialect names the structures that model-level rewrites reason
    about: a linear layer with its role in the transformer block (`peft.linear`)
    and, as the techniques land, LoRA adapters, quantized and LR-QAT linears,
    low-rank factored linears and adapter banks.

    Ops work on tensors. Weights are ordinary SSA values, normally produced by
    `arith.constant` ops over `dense_resource` blobs so that multi-gigabyte
    models are never copied into the IR.
  }];
  let useDefaultAttributePrinterParser = 1;
}

class Peft_Op<string mnemonic, list<Trait> traits = []>
    : Op<Peft_Dialect, mnemonic, traits>;

#endif // PEFT_DIALECT_PEFT_IR_PEFTDIALECT_TD
