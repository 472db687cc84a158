//===- LoraUtils.cpp - shared weight arithmetic of the LoRA passes --------===//

#include "LoraUtils.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Dialect/Peft/Utils/Weights.h"

#include "mlir/IR/Builders.h"

#include <cmath>

using namespace mlir;
using namespace mlir::peft;

std::string mlir::peft::describeLayer(LinearOp linear) {
  if (auto path = linear.getPath())
    return ("'" + *path + "'").str();
  return "<unnamed layer>";
}

Value mlir::peft::getAdapterStackTop(LinearOp linear) {
  Value top = linear.getResult();
  for (bool found = true; found;) {
    found = false;
    for (Operation *user : top.getUsers())
      if (auto lora = dyn_cast<LoraOp>(user); lora && lora.getBase() == top) {
        top = lora.getResult();
        found = true;
        break;
      }
  }
  return top;
}

bool mlir::peft::isSelectedAdapter(std::optional<StringRef> adapter,
                                   ArrayRef<std::string> names) {
  if (names.empty())
    return true;
  StringRef name = adapter ? *adapter : StringRef("default");
  return llvm::is_contained(names, name);
}

FailureOr<std::vector<float>>
mlir::peft::readConstantOperand(Operation *user, Value value, StringRef what) {
  ElementsAttr attr = getConstantWeight(value);
  if (!attr)
    return user->emitError() << what
                             << " is not a constant (a runtime argument?): "
                                "cannot fold it";
  FailureOr<std::vector<float>> values = readWeightAsF32(attr);
  if (failed(values))
    return user->emitError()
           << "cannot read " << what << " of type " << attr.getType()
           << " (supported: f16, bf16, f32, f64 blobs)";
  return values;
}

FailureOr<std::vector<float>> mlir::peft::readWeightOutIn(LinearOp linear) {
  FailureOr<std::vector<float>> w =
      readConstantOperand(linear, linear.getWeight(),
                          "the weight of layer " + describeLayer(linear));
  if (failed(w) || linear.getLayout() == WeightLayout::out_in)
    return w;
  int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
  std::vector<float> t(w->size());
  for (int64_t i = 0; i < in; ++i)
    for (int64_t o = 0; o < out; ++o)
      t[o * in + i] = (*w)[i * out + o];
  return t;
}

LogicalResult mlir::peft::replaceWeight(LinearOp linear, ArrayRef<float> wOutIn,
                                        StringRef suffix) {
  int64_t in = linear.getInFeatures(), out = linear.getOutFeatures();
  for (int64_t k = 0, e = out * in; k < e; ++k)
    if (!std::isfinite(wOutIn[k]))
      return linear.emitError()
             << "the new weight of layer " << describeLayer(linear)
             << " has a non-finite value (" << wOutIn[k] << ") at [" << k / in
             << ", " << k % in << "]";

  std::vector<float> stored;
  ArrayRef<float> values = wOutIn;
  if (linear.getLayout() == WeightLayout::in_out) {
    stored.resize(wOutIn.size());
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < in; ++i)
        stored[i * out + o] = wOutIn[o * in + i];
    values = stored;
  }

  Value oldWeight = linear.getWeight();
  StringRef oldName = getInitializerName(oldWeight);
  std::string name =
      oldName.empty()
          ? (linear.getPath() ? *linear.getPath() : StringRef("linear")).str() +
                ".weight"
          : oldName.str();
  if (!oldWeight.hasOneUse())
    name += suffix.str();

  Operation *oldDef = oldWeight.getDefiningOp();
  OpBuilder builder(linear);
  if (oldDef)
    builder.setInsertionPoint(oldDef);
  Value newWeight =
      createWeight(builder, oldDef ? oldDef->getLoc() : linear.getLoc(), name,
                   linear.getWeight().getType(), values);
  linear.getWeightMutable().assign(newWeight);
  if (oldDef && oldDef->use_empty())
    oldDef->erase();
  return success();
}

std::vector<float> mlir::peft::loraDelta(ArrayRef<float> a, ArrayRef<float> b,
                                         int64_t out, int64_t in, int64_t rank,
                                         double scale) {
  std::vector<float> delta(out * in, 0.0f);
  const float s = static_cast<float>(scale);
  for (int64_t o = 0; o < out; ++o) {
    float *row = delta.data() + o * in;
    for (int64_t r = 0; r < rank; ++r) {
      const float bv = b[o * rank + r];
      if (bv == 0.0f)
        continue;
      const float *arow = a.data() + r * in;
      for (int64_t i = 0; i < in; ++i)
        row[i] += bv * arow[i];
    }
    for (int64_t i = 0; i < in; ++i)
      row[i] *= s;
  }
  return delta;
}

FailureOr<std::vector<float>> mlir::peft::readLoraDelta(LoraOp lora) {
  LinearOp linear = lora.getLinear();
  std::string layer = describeLayer(linear);
  FailureOr<std::vector<float>> a, b;
  if (failed(a = readConstantOperand(lora, lora.getLoraA(),
                                     "lora_A of layer " + layer)) ||
      failed(b = readConstantOperand(lora, lora.getLoraB(),
                                     "lora_B of layer " + layer)))
    return failure();
  return loraDelta(*a, *b, linear.getOutFeatures(), linear.getInFeatures(),
                   lora.getRank(), lora.getScale().convertToDouble());
}

std::vector<float> mlir::peft::rowNorms(ArrayRef<float> m, int64_t rows,
                                        int64_t cols) {
  std::vector<float> norms(rows);
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c)
      sum += double(m[r * cols + c]) * m[r * cols + c];
    norms[r] = static_cast<float>(std::sqrt(sum));
  }
  return norms;
}
