//===- ONNXSchema.cpp - the schema table of the typed onnx ops ------------===//
//
// Built from GET_OP_LIST: every op class with `kOpType` (the typed ONNX ops)
// contributes an entry. The declared input/output counts are checked against
// the ops' operand/result traits at compile time.
//
//===----------------------------------------------------------------------===//

#include "peft/Dialect/ONNX/IR/ONNXDialect.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringMap.h"

#include <algorithm>
#include <type_traits>

using namespace mlir;
using namespace mlir::peft::onnx_ir;

namespace {

template <typename OpT, typename = void> struct IsTypedOp : std::false_type {};
template <typename OpT>
struct IsTypedOp<OpT, std::void_t<decltype(OpT::kOpType)>> : std::true_type {};

template <typename OpT> constexpr bool operandCountMatches() {
  constexpr int n = OpT::kNumInputs;
  if constexpr (n < 0)
    return OpT::template hasTrait<OpTrait::VariadicOperands>();
  else if constexpr (n == 0)
    return OpT::template hasTrait<OpTrait::ZeroOperands>();
  else if constexpr (n == 1)
    return OpT::template hasTrait<OpTrait::OneOperand>();
  else
    return OpT::template hasTrait<OpTrait::NOperands<n>::template Impl>();
}

template <typename OpT> constexpr bool resultCountMatches() {
  constexpr int n = OpT::kNumOutputs;
  if constexpr (n < 0)
    return OpT::template hasTrait<OpTrait::VariadicResults>();
  else if constexpr (n == 0)
    return OpT::template hasTrait<OpTrait::ZeroResults>();
  else if constexpr (n == 1)
    return OpT::template hasTrait<OpTrait::OneResult>();
  else
    return OpT::template hasTrait<OpTrait::NResults<n>::template Impl>();
}

struct SchemaTable {
  llvm::SmallVector<OpSchema> schemas;
  llvm::StringMap<unsigned> byOpName;
  llvm::StringMap<unsigned> byKey; // "<domain>\n<opType>"
};

StringRef normalizeDomain(StringRef domain) {
  return domain == "ai.onnx" ? StringRef() : domain;
}

llvm::SmallString<64> makeKey(StringRef domain, StringRef opType) {
  llvm::SmallString<64> key(normalizeDomain(domain));
  key.push_back('\n');
  key.append(opType);
  return key;
}

/// Whether `opName` is onnx.<opType>, or onnx.<prefix>.<opType> for an op of
/// another domain whose op_type ai.onnx also has (com.microsoft.Attention is
/// onnx.ms.Attention).
constexpr bool isOpNameOf(StringRef opName, StringRef opType,
                          StringRef domain) {
  constexpr size_t prefix = sizeof("onnx.") - 1;
  size_t n = opName.size(), m = opType.size();
  if (n < prefix + m)
    return false;
  for (size_t i = 0; i < m; ++i)
    if (opName.data()[n - m + i] != opType.data()[i])
      return false;
  return n == prefix + m ||
         (!domain.empty() && opName.data()[n - m - 1] == '.');
}

template <typename OpT>
void addSchema(llvm::SmallVectorImpl<OpSchema> &schemas) {
  if constexpr (IsTypedOp<OpT>::value) {
    static_assert(operandCountMatches<OpT>(),
                  "kNumInputs disagrees with the op's operands");
    static_assert(resultCountMatches<OpT>(),
                  "kNumOutputs disagrees with the op's results");
    static_assert(
        isOpNameOf(OpT::getOperationName(), OpT::kOpType, OpT::kDomain),
        "the op name must be onnx.<op_type> (or "
        "onnx.<prefix>.<op_type> outside ai.onnx)");
    schemas.push_back({OpT::kOpType, OpT::kDomain, OpT::getOperationName(),
                       OpT::kNumInputs, OpT::kNumOutputs});
  }
}

template <typename... OpTs> SchemaTable buildTable() {
  SchemaTable table;
  (addSchema<OpTs>(table.schemas), ...);
  llvm::sort(table.schemas, [](const OpSchema &a, const OpSchema &b) {
    return a.opName < b.opName;
  });
  for (auto [i, schema] : llvm::enumerate(table.schemas)) {
    table.byOpName[schema.opName] = i;
    table.byKey[makeKey(schema.domain, schema.opType)] = i;
  }
  return table;
}

const SchemaTable &getTable() {
  static const SchemaTable table = buildTable<
#define GET_OP_LIST
#include "peft/Dialect/ONNX/IR/ONNXOps.cpp.inc"
      >();
  return table;
}

} // namespace

const OpSchema *mlir::peft::onnx_ir::lookupSchema(StringRef domain,
                                                  StringRef opType) {
  const SchemaTable &table = getTable();
  auto it = table.byKey.find(makeKey(domain, opType));
  return it == table.byKey.end() ? nullptr : &table.schemas[it->second];
}

const OpSchema *mlir::peft::onnx_ir::lookupSchemaByOpName(StringRef opName) {
  const SchemaTable &table = getTable();
  auto it = table.byOpName.find(opName);
  return it == table.byOpName.end() ? nullptr : &table.schemas[it->second];
}

llvm::ArrayRef<OpSchema> mlir::peft::onnx_ir::getAllSchemas() {
  return getTable().schemas;
}
