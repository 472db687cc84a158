//===- ONNXExportImpl.h - the exporter state its files share ----*- C++ -*-===//
//
// ONNXExport.cpp writes the graph, tensors and `onnx` ops; ONNXExportPeft.cpp
// writes `peft` ops as the standard operators they stand for
// (ONNXExportBank.cpp: routed adapter banks, ONNXExportQuantized.cpp:
// quantized linears); ONNXExportLinalg.cpp elementwise linalg ops. All work
// on the one exporter state declared here.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_TARGET_ONNX_ONNXEXPORTIMPL_H
#define PEFT_LIB_TARGET_ONNX_ONNXEXPORTIMPL_H

#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Target/ONNX/ONNXExport.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

#include "ONNXLibrary.h"

#include <string>

namespace mlir::peft::detail {

/// The ai.onnx opset of a module that records none (a model not imported).
constexpr int64_t kDefaultOpsetVersion = 17;

class ONNXExporter {
public:
  ONNXExporter(ModuleOp module, const ONNXExportOptions &options)
      : module(module), options(options) {}

  /// Builds the ModelProto. With `dataStream` set, initializers at or above
  /// the threshold are appended to it and referenced as `dataLocation`.
  LogicalResult build(onnx::ModelProto &model, llvm::raw_ostream *dataStream,
                      StringRef dataLocation);
  /// Whether any initializer needs external data under the options.
  bool needsExternalData();

private:
  //===--------------------------------------------------------------------===//
  // Graph, tensors and onnx ops (ONNXExport.cpp)
  //===--------------------------------------------------------------------===//

  func::FuncOp getGraphFunc();
  int64_t externalThreshold();
  LogicalResult exportGraph(Region &region, onnx::GraphProto &graph,
                            bool isMain);
  LogicalResult exportOp(Operation *op, onnx::GraphProto &graph);
  LogicalResult exportTensor(ElementsAttr value, Location loc,
                             onnx::TensorProto &tensor, bool allowExternal);
  LogicalResult exportAttribute(StringRef name, Attribute value, Location loc,
                                onnx::AttributeProto &out);
  LogicalResult exportType(Type type, ArrayAttr dimParams, Location loc,
                           StringRef what, onnx::TypeProto &out);
  std::string freshName(StringRef hint);
  std::string nameOf(Value value);

  //===--------------------------------------------------------------------===//
  // peft ops (ONNXExportPeft.cpp)
  //===--------------------------------------------------------------------===//

  LogicalResult exportPeftOp(Operation *op, onnx::GraphProto &graph);
  std::string exportLinear(LinearOp op, const std::string &input,
                           StringRef scope, onnx::GraphProto &graph,
                           StringRef outputName);
  LogicalResult exportQLinear(QLinearOp op, StringRef scope,
                              onnx::GraphProto &graph);
  LogicalResult exportQLinearMatMulNBits(QLinearOp op, StringRef scope,
                                         onnx::GraphProto &graph);
  LogicalResult exportQLinearQDQ(QLinearOp op, StringRef scope,
                                 onnx::GraphProto &graph);
  /// With the QDQ form, raises the model's ai.onnx opset (before any node is
  /// written) to what its quantized layers need.
  LogicalResult raiseOpsetForQuantizedForm();
  LogicalResult exportLoraBank(LoraBankOp op, StringRef scope,
                               onnx::GraphProto &graph);
  FailureOr<std::string> addTransposedFactor(onnx::GraphProto &graph,
                                             Value value, StringRef name,
                                             StringRef nodeScope, Location loc);
  /// Adds `domain` at `version` to the model's opset imports if missing.
  void requireOpset(StringRef domain, int64_t version);
  std::string addNode(onnx::GraphProto &graph, StringRef opType,
                      const Twine &name, ArrayRef<std::string> inputs,
                      onnx::NodeProto **created = nullptr,
                      StringRef outputName = "");
  std::string graphOutputName(Value value);
  /// An initializer holding `value`, named `name` (made unique); external
  /// data only where `allowExternal` and the options say so.
  FailureOr<std::string> addInitializer(onnx::GraphProto &graph, StringRef name,
                                        ElementsAttr value, Location loc,
                                        bool allowExternal = false);
  FailureOr<std::string> addScalar(onnx::GraphProto &graph, StringRef name,
                                   Type elementType, double value,
                                   Location loc);
  FailureOr<std::string> addReduceL2(onnx::GraphProto &graph, const Twine &name,
                                     const std::string &input, int64_t axis,
                                     Location loc);
  int64_t opsetVersion();
  /// Reductions: `axes` as an attribute or an input, as the opset requires.
  static bool isReduceWithAxes(Operation *op);
  LogicalResult exportReduceAxes(Operation *op, onnx::GraphProto &graph,
                                 onnx::NodeProto &node,
                                 SmallVectorImpl<std::string> &inputs);

  //===--------------------------------------------------------------------===//
  // Elementwise linalg ops (ONNXExportLinalg.cpp)
  //===--------------------------------------------------------------------===//

  LogicalResult exportLinalgOp(Operation *op, onnx::GraphProto &graph);

  ModuleOp module;
  const ONNXExportOptions &options;
  /// The model being built (set by build()).
  onnx::ModelProto *builtModel = nullptr;
  llvm::raw_ostream *dataStream = nullptr;
  std::string dataLocation;
  int64_t dataOffset = 0;
  llvm::DenseMap<Value, std::string> names;
  llvm::StringSet<> usedNames, usedNodeNames;
  unsigned nextName = 0;
};

/// Whether `value` is used only as the weight, scales or zero points of
/// peft.qlinear ops, which export new initializers of their own.
bool onlyFeedsQLinearParams(Value value);

/// Whether `value` is a constant used only as a factor (U or V) of
/// peft.lowrank ops, which export its transpose as an initializer instead.
bool onlyFeedsLowRankFactors(Value value);

/// Adds an INT (one value) or INTS attribute to `node`.
void addIntAttribute(onnx::NodeProto &node, StringRef name, int64_t value);
void addIntsAttribute(onnx::NodeProto &node, StringRef name,
                      ArrayRef<int64_t> values);

/// The node name the importer recorded in the location, if any.
std::string nodeName(Location loc);

} // namespace mlir::peft::detail

#endif // PEFT_LIB_TARGET_ONNX_ONNXEXPORTIMPL_H
