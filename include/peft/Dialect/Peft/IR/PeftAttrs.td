//===- PeftAttrs.td - peft dialect enums and attributes ----*- tablegen -*-===//

#ifndef PEFT_DIALECT_PEFT_IR_PEFTATTRS_TD
#define PEFT_DIALECT_PEFT_IR_PEFTATTRS_TD

include "peft/Dialect/Peft/IR/PeftDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Peft_WeightLayout : I32EnumAttr<"WeightLayout",
    "storage layout of a linear layer's weight matrix", [
      I32EnumAttrCase<"out_in", 0>,
      I32EnumAttrCase<"in_out", 1>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::peft";
}
def Peft_WeightLayoutAttr
    : EnumAttr<Peft_Dialect, Peft_WeightLayout, "layout">;

def Peft_LinearRole : I32EnumAttr<"LinearRole",
    "role of a linear layer inside a transformer block", [
      I32EnumAttrCase<"q", 0>, I32EnumAttrCase<"k", 1>,
      I32EnumAttrCase<"v", 2>, I32EnumAttrCase<"o", 3>,
      I32EnumAttrCase<"qkv", 4>, I32EnumAttrCase<"gate", 5>,
      I32EnumAttrCase<"up", 6>, I32EnumAttrCase<"down", 7>,
      I32EnumAttrCase<"other", 8>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::peft";
}
def Peft_LinearRoleAttr : EnumAttr<Peft_Dialect, Peft_LinearRole, "role">;

#endif // PEFT_DIALECT_PEFT_IR_PEFTATTRS_TD
