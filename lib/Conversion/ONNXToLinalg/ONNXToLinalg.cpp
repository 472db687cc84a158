//===- ONNXToLinalg.cpp - the convert-onnx-to-linalg pass -----------------===//

#include "peft/Conversion/ONNXToLinalg/ONNXToLinalg.h"
#include "ShapeUtils.h"
#include "peft/Dialect/ONNX/IR/ONNXDialect.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::peft {
#define GEN_PASS_DEF_CONVERTONNXTOLINALG
#include "peft/Conversion/Passes.h.inc"
} // namespace mlir::peft

using namespace mlir;
using namespace mlir::peft;

ONNXTypeConverter::ONNXTypeConverter() {
  addConversion([](Type type) -> std::optional<Type> {
    if (isa<NoneType, IndexType, FloatType>(type))
      return type;
    if (auto intType = dyn_cast<IntegerType>(type))
      return IntegerType::get(type.getContext(), intType.getWidth());
    // Types that are not ONNX values (the memrefs of runtime helpers a
    // function declares, ...) stay as they are: rejecting them would make
    // every such function illegal.
    if (!isa<TensorType>(type))
      return type;
    return std::nullopt;
  });
  addConversion([this](RankedTensorType type) -> std::optional<Type> {
    Type element = convertType(type.getElementType());
    if (!element || !isa<IntegerType, FloatType, IndexType>(element))
      return std::nullopt;
    return RankedTensorType::get(type.getShape(), element);
  });
  // Unranked tensors have no conversion: their producer cannot be lowered.
  addConversion(
      [](UnrankedTensorType) -> std::optional<Type> { return std::nullopt; });
  // Signedness is a view: the bits stay the same.
  auto cast = [](OpBuilder &b, Type type, ValueRange inputs,
                 Location loc) -> Value {
    return UnrealizedConversionCastOp::create(b, loc, type, inputs)
        .getResult(0);
  };
  addSourceMaterialization(cast);
  addTargetMaterialization(cast);
}

std::string mlir::peft::describeONNXNode(Operation *op) {
  std::string name;
  Location loc = op->getLoc();
  if (auto nameLoc = dyn_cast<NameLoc>(loc))
    name = nameLoc.getName().str();
  StringRef opType = op->getName().getStringRef();
  opType.consume_front("onnx.");
  if (auto node = dyn_cast<onnx_ir::NodeOp>(op))
    opType = node.getOpType();
  return "'" + name + "' (" + opType.str() + ")";
}

void mlir::peft::populateONNXToLinalgPatterns(const TypeConverter &converter,
                                              RewritePatternSet &patterns,
                                              bool indexChecks) {
  populateONNXElementwiseToLinalgPatterns(converter, patterns);
  populateONNXReductionToLinalgPatterns(converter, patterns);
  populateONNXContractionToLinalgPatterns(converter, patterns);
  populateONNXQuantizationToLinalgPatterns(converter, patterns);
  populateONNXDataMovementToLinalgPatterns(converter, patterns, indexChecks);
  populateONNXPadToLinalgPatterns(converter, patterns);
  populateONNXResizeToLinalgPatterns(converter, patterns);
  populateONNXShapeToLinalgPatterns(converter, patterns);
}

namespace {
struct ConvertONNXToLinalgPass
    : public peft::impl::ConvertONNXToLinalgBase<ConvertONNXToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    ONNXTypeConverter converter;

    ConversionTarget target(*ctx);
    target.addIllegalDialect<onnx_ir::ONNXDialect>();
    // Omitted optional inputs disappear with the ops that used them.
    target.addLegalOp<onnx_ir::NoneOp>();
    target.addLegalDialect<arith::ArithDialect, cf::ControlFlowDialect,
                           linalg::LinalgDialect, math::MathDialect,
                           scf::SCFDialect, tensor::TensorDialect>();
    target.addLegalOp<UnrealizedConversionCastOp>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return converter.isLegal(op); });
    // Everything else (peft ops, upstream ops) is left alone.
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    RewritePatternSet patterns(ctx);
    populateONNXToLinalgPatterns(converter, patterns, indexChecks);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    FrozenRewritePatternSet frozen(std::move(patterns));

    // Find what cannot be lowered first, so each failure names its node and
    // nothing is half rewritten. The analysis clones the enclosing op, which
    // races with sibling functions converted on other threads: run it on a
    // private module holding a copy of this function, and map results back
    // by walk order (a clone has the same structure).
    OwningOpRef<ModuleOp> scratch = ModuleOp::create(func.getLoc());
    if (auto parent = func->getParentOfType<ModuleOp>())
      (*scratch)->setAttrs(parent->getAttrDictionary());
    auto copy = cast<func::FuncOp>(func->clone());
    scratch->push_back(copy);
    DenseSet<Operation *> legalizable;
    ConversionConfig analysis;
    analysis.legalizableOps = &legalizable;
    onnx_to_linalg::MatchFailureLog reasons;
    if (failed(applyAnalysisConversion(copy, target, frozen, analysis)))
      return signalPassFailure();
    SmallVector<Operation *> originals, copies;
    func.walk([&](Operation *op) { originals.push_back(op); });
    copy.walk([&](Operation *op) { copies.push_back(op); });
    bool failedAny = false;
    for (auto [op, cloned] : llvm::zip_equal(originals, copies)) {
      if (!isa<onnx_ir::ONNXDialect>(op->getDialect()) ||
          isa<onnx_ir::NoneOp, onnx_ir::YieldOp>(op) ||
          legalizable.contains(cloned))
        continue;
      InFlightDiagnostic diag = op->emitError("cannot lower ONNX node ")
                                << describeONNXNode(op) << ": ";
      ArrayRef<std::string> why = reasons.getReasons(cloned);
      auto unranked = [](Value value) {
        return !isa<RankedTensorType, NoneType>(value.getType());
      };
      if (!why.empty())
        diag << llvm::join(why, "; ");
      else if (llvm::any_of(op->getOperands(), unranked) ||
               llvm::any_of(op->getResults(), unranked))
        diag << "an operand or result is not a ranked tensor (its rank is "
                "unknown after shape inference)";
      else
        diag << "no lowering for these operand/result types or attributes";
      failedAny = true;
    }
    if (failedAny)
      return signalPassFailure();

    if (failed(applyPartialConversion(func, target, frozen)))
      return signalPassFailure();
    func.walk([](onnx_ir::NoneOp op) {
      if (op->use_empty())
        op->erase();
    });
  }
};
} // namespace
