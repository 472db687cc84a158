//===- Weights.cpp - one weight abstraction for every pass ----------------===//

#include "peft/Dialect/Peft/Utils/Weights.h"
#include "peft/Dialect/ONNX/IR/ONNXOps.h"
#include "peft/Support/Codecs.h"
#include "peft/Support/HostTensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Threading.h"
#include "llvm/ADT/APFloat.h"

#include <atomic>
#include <cstring>
#include <sys/mman.h>
#include <unistd.h>

using namespace mlir;
using namespace mlir::peft;

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

bool mlir::peft::isSupportedWeightElementType(Type type) {
  return type.isF16() || type.isBF16() || type.isF32() || type.isF64();
}

/// The width of a packed sub-byte integer type (i2, i3, i4 and their
/// unsigned forms), else 0.
static int subByteBits(Type type) {
  auto i = dyn_cast<IntegerType>(type);
  if (!i || i.isSigned() || i.getWidth() < 2 || i.getWidth() > 4)
    return 0;
  return int(i.getWidth());
}

bool mlir::peft::isStorableWeightElementType(Type type) {
  if (isSupportedWeightElementType(type) || subByteBits(type))
    return true;
  auto i = dyn_cast<IntegerType>(type);
  return i && i.getWidth() == 8 && !i.isSigned();
}

int64_t mlir::peft::getWeightStorageBytes(RankedTensorType type) {
  int64_t n = type.getNumElements();
  if (int bits = subByteBits(type.getElementType()))
    return int64_t(codecs::packedBytes(size_t(n), bits));
  return n * int64_t(type.getElementType().getIntOrFloatBitWidth() / 8);
}

/// Converts `n` stored elements of `type` at `src` to T.
template <typename T>
static void decodeElements(Type type, const char *src, int64_t n, T *out) {
  if (int bits = subByteBits(type)) {
    bool isSigned = !type.isUnsignedInteger();
    for (int64_t i = 0; i < n; ++i)
      out[i] = T(codecs::getPacked(reinterpret_cast<const uint8_t *>(src),
                                   size_t(n), size_t(i), bits, isSigned));
    return;
  }
  if (type.isF32() && std::is_same_v<T, float>) {
    std::memcpy(out, src, n * sizeof(float));
    return;
  }
  if (type.isF64() && std::is_same_v<T, double>) {
    std::memcpy(out, src, n * sizeof(double));
    return;
  }
  ElementKind kind = *getElementKind(type);
  size_t size = getElementSize(kind);
  if (kind == ElementKind::F16 || kind == ElementKind::BF16) {
    // Blobs of 16-bit elements are 2-byte aligned.
    auto *bits = reinterpret_cast<const uint16_t *>(src);
    if constexpr (std::is_same_v<T, float>) {
      if (kind == ElementKind::F16)
        codecs::decodeHalf(bits, out, n);
      else
        codecs::decodeBF16(bits, out, n);
    } else {
      for (int64_t i = 0; i < n; ++i)
        out[i] = T(kind == ElementKind::F16 ? codecs::halfToFloat(bits[i])
                                            : codecs::bf16ToFloat(bits[i]));
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    out[i] = T(readElementAsDouble(kind, src + i * size));
}

/// Rounds `n` values of T once to the float type `type` and stores them.
template <typename T>
static void encodeElements(Type type, const T *values, int64_t n, char *out) {
  if (type.isF32() && std::is_same_v<T, float>) {
    std::memcpy(out, values, n * sizeof(float));
    return;
  }
  if (type.isF64() && std::is_same_v<T, double>) {
    std::memcpy(out, values, n * sizeof(double));
    return;
  }
  ElementKind kind = *getElementKind(type);
  size_t size = getElementSize(kind);
  if (kind == ElementKind::F16 || kind == ElementKind::BF16) {
    auto *halves = reinterpret_cast<uint16_t *>(out);
    auto encodeHalves = [&](const float *src, int64_t count, uint16_t *dst) {
      if (kind == ElementKind::F16)
        codecs::encodeHalf(src, dst, count);
      else
        codecs::encodeBF16(src, dst, count);
    };
    if constexpr (std::is_same_v<T, float>) {
      encodeHalves(values, n, halves);
    } else {
      // Doubles that are exactly floats (e.g. read from an f32 file) round
      // once through the float codecs; a block with any other value rounds
      // once from double.
      constexpr int64_t block = 1024;
      float narrowed[block];
      for (int64_t i0 = 0; i0 < n; i0 += block) {
        int64_t count = std::min(block, n - i0);
        bool exact = true;
        for (int64_t i = 0; i < count; ++i) {
          narrowed[i] = float(values[i0 + i]);
          exact &= double(narrowed[i]) == values[i0 + i] ||
                   std::isnan(values[i0 + i]);
        }
        if (exact) {
          encodeHalves(narrowed, count, halves + i0);
          continue;
        }
        for (int64_t i = i0; i < i0 + count; ++i)
          writeFloatElement(kind, values[i], out + i * size);
      }
    }
    return;
  }
  // Any other pair (e.g. double → f32) rounds once from double.
  for (int64_t i = 0; i < n; ++i)
    writeFloatElement(kind, double(values[i]), out + i * size);
}

//===----------------------------------------------------------------------===//
// Weight
//===----------------------------------------------------------------------===//

std::optional<Weight> Weight::lookup(Value value) {
  if (!value)
    return std::nullopt;
  Operation *def = value.getDefiningOp();
  ElementsAttr attr;
  if (auto init = dyn_cast_or_null<onnx_ir::InitializerOp>(def))
    attr = init.getValue();
  else if (auto cst = dyn_cast_or_null<arith::ConstantOp>(def))
    attr = dyn_cast<ElementsAttr>(cst.getValue());
  if (!attr)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(attr.getType());
  if (!type)
    return std::nullopt;
  return Weight(def, attr, type);
}

std::optional<Weight> Weight::fromAttr(ElementsAttr attr) {
  auto type = attr ? dyn_cast<RankedTensorType>(attr.getType()) : nullptr;
  if (!type)
    return std::nullopt;
  return Weight(nullptr, attr, type);
}

StringRef Weight::getName() const {
  if (auto init = dyn_cast_or_null<onnx_ir::InitializerOp>(def))
    return init.getName();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    return resource.getRawHandle().getKey();
  return "";
}

FailureOr<ArrayRef<char>> Weight::getRawBytes() const {
  int64_t expected = getWeightStorageBytes(type);
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || int64_t(blob->getData().size()) != expected)
      return failure();
    return blob->getData();
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense || dense.isSplat() || subByteBits(getElementType()))
    return failure();
  ArrayRef<char> raw = dense.getRawData();
  if (int64_t(raw.size()) != expected)
    return failure();
  return raw;
}

template <typename T> FailureOr<std::vector<T>> Weight::readValues() const {
  Type elementType = getElementType();
  if (!isStorableWeightElementType(elementType))
    return failure();
  int64_t n = type.getNumElements();
  std::vector<T> out(n);
  if (FailureOr<ArrayRef<char>> bytes = getRawBytes(); succeeded(bytes)) {
    decodeElements<T>(elementType, bytes->data(), n, out.data());
    return out;
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense)
    return failure();
  int64_t i = 0;
  if (isa<FloatType>(elementType)) {
    for (const APFloat &v : dense.getValues<APFloat>()) {
      APFloat wide = v;
      bool losesInfo;
      wide.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven,
                   &losesInfo);
      out[i++] = T(wide.convertToDouble());
    }
  } else {
    bool isUnsigned = elementType.isUnsignedInteger();
    for (const APInt &v : dense.getValues<APInt>())
      out[i++] =
          T(isUnsigned ? double(v.getZExtValue()) : double(v.getSExtValue()));
  }
  return out;
}

template FailureOr<std::vector<float>> Weight::readValues<float>() const;
template FailureOr<std::vector<double>> Weight::readValues<double>() const;

ElementsAttr mlir::peft::getConstantWeight(Value value) {
  std::optional<Weight> weight = Weight::lookup(value);
  return weight ? weight->getAttr() : ElementsAttr();
}

StringRef mlir::peft::getInitializerName(Value value) {
  if (auto init = value.getDefiningOp<onnx_ir::InitializerOp>())
    return init.getName();
  return "";
}

template <typename T>
FailureOr<std::vector<T>> mlir::peft::readConstantOperand(Operation *user,
                                                          Value value,
                                                          const Twine &what) {
  std::optional<Weight> weight = Weight::lookup(value);
  if (!weight)
    return user->emitError() << what
                             << " is not a constant (a runtime argument?): "
                                "cannot fold it";
  FailureOr<std::vector<T>> values = weight->template readValues<T>();
  if (failed(values))
    return user->emitError()
           << "cannot read " << what << " of type " << weight->getType()
           << " (supported: f16, bf16, f32, f64, i8, ui8, i2-i4, ui2-ui4)";
  return values;
}

template FailureOr<std::vector<float>>
mlir::peft::readConstantOperand<float>(Operation *, Value, const Twine &);
template FailureOr<std::vector<double>>
mlir::peft::readConstantOperand<double>(Operation *, Value, const Twine &);

std::string mlir::peft::blobNameFor(StringRef name) {
  std::string out;
  for (char c : name)
    out.push_back(llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_');
  if (out.empty() || llvm::isDigit(out.front()))
    out.insert(out.begin(), '_');
  return out;
}

/// A new mutable heap blob of `bytes` bytes aligned for `type`'s elements.
/// A new mutable blob of `bytes`. A large one is its own anonymous mapping
/// backed by transparent huge pages where the kernel allows it (`madvise`
/// mode): a rewrite writes every byte of it once, and 4 KiB page faults
/// would cost more than the rewrite itself.
static AsmResourceBlob allocateBlob(Type elementType, int64_t bytes) {
  size_t align = std::max<size_t>(1, elementType.getIntOrFloatBitWidth() / 8);
  constexpr size_t hugePage = size_t(2) << 20;
  if (size_t(bytes) < 2 * hugePage)
    return HeapAsmResourceBlob::allocate(bytes, align, /*dataIsMutable=*/true);
  // Map one huge page more than needed and trim to a huge-page boundary.
  size_t length = (size_t(bytes) + hugePage - 1) & ~(hugePage - 1);
  void *mapped = mmap(nullptr, length + hugePage, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED)
    return HeapAsmResourceBlob::allocate(bytes, align, /*dataIsMutable=*/true);
  auto begin = reinterpret_cast<uintptr_t>(mapped);
  uintptr_t aligned = (begin + hugePage - 1) & ~uintptr_t(hugePage - 1);
  if (aligned > begin)
    munmap(mapped, aligned - begin);
  if (size_t tail = begin + length + hugePage - (aligned + length))
    munmap(reinterpret_cast<void *>(aligned + length), tail);
  auto *data = reinterpret_cast<char *>(aligned);
  (void)madvise(data, length, MADV_HUGEPAGE);
  return AsmResourceBlob(
      ArrayRef<char>(data, bytes), align,
      [length](void *data, size_t, size_t) { munmap(data, length); },
      /*dataIsMutable=*/true);
}

template <typename T>
ElementsAttr mlir::peft::createWeightBlob(RankedTensorType type,
                                          ArrayRef<T> values,
                                          StringRef blobName) {
  Type elementType = type.getElementType();
  assert(isSupportedWeightElementType(elementType) && "unsupported weight");
  assert(int64_t(values.size()) == type.getNumElements());
  AsmResourceBlob blob = allocateBlob(elementType, getWeightStorageBytes(type));
  encodeElements<T>(elementType, values.data(), values.size(),
                    blob.getMutableData().data());
  return DenseResourceElementsAttr::get(type, blobNameFor(blobName),
                                        std::move(blob));
}

template ElementsAttr mlir::peft::createWeightBlob<float>(RankedTensorType,
                                                          ArrayRef<float>,
                                                          StringRef);
template ElementsAttr mlir::peft::createWeightBlob<double>(RankedTensorType,
                                                           ArrayRef<double>,
                                                           StringRef);

ElementsAttr mlir::peft::createIntegerWeightBlob(RankedTensorType type,
                                                 ArrayRef<int8_t> values,
                                                 StringRef blobName) {
  Type elementType = type.getElementType();
  assert(isStorableWeightElementType(elementType) && elementType.isInteger() &&
         "not a storable integer type");
  assert(int64_t(values.size()) == type.getNumElements());
  AsmResourceBlob blob = allocateBlob(elementType, getWeightStorageBytes(type));
  auto *out = reinterpret_cast<uint8_t *>(blob.getMutableData().data());
  if (int bits = subByteBits(elementType))
    codecs::packBits(values, bits, out);
  else
    std::memcpy(out, values.data(), values.size());
  return DenseResourceElementsAttr::get(type, blobNameFor(blobName),
                                        std::move(blob));
}

Value mlir::peft::createIntegerWeight(OpBuilder &builder, Location loc,
                                      StringRef name, RankedTensorType type,
                                      ArrayRef<int8_t> values) {
  return arith::ConstantOp::create(
             builder, loc,
             cast<TypedAttr>(createIntegerWeightBlob(type, values, name)))
      .getResult();
}

template <typename T>
Value mlir::peft::createWeight(OpBuilder &builder, Location loc, StringRef name,
                               RankedTensorType type, ArrayRef<T> values) {
  return arith::ConstantOp::create(
             builder, loc,
             cast<TypedAttr>(createWeightBlob<T>(type, values, name)))
      .getResult();
}

template Value mlir::peft::createWeight<float>(OpBuilder &, Location, StringRef,
                                               RankedTensorType,
                                               ArrayRef<float>);
template Value mlir::peft::createWeight<double>(OpBuilder &, Location,
                                                StringRef, RankedTensorType,
                                                ArrayRef<double>);

//===----------------------------------------------------------------------===//
// Rewriting and releasing
//===----------------------------------------------------------------------===//

static std::atomic<int64_t> inPlaceCount{0}, copiedCount{0}, releasedCount{0};

WeightRewriteStats mlir::peft::getWeightRewriteStats() {
  return {inPlaceCount.load(), copiedCount.load(), releasedCount.load()};
}

WeightUpdate::~WeightUpdate() = default;

LogicalResult WeightUpdate::prepareRows() { return success(); }

void WeightUpdate::applyRows(numerics::MatrixRef<float>, int64_t) const {
  llvm_unreachable("applyRows called on an update that is not row-local");
}

LogicalResult WeightUpdate::finishRows(const numerics::NonFinite<float> &) {
  return success();
}

/// Adds the non-finite elements among `count` stored f16/bf16 values at
/// `data` (stored element `first` onwards of a matrix with `cols` columns) to
/// `bad`.
static void scanStoredHalf(Type elementType, const uint16_t *data, size_t count,
                           int64_t first, int64_t cols,
                           numerics::NonFinite<float> &bad) {
  // All exponent bits set: ±inf or NaN, in both formats.
  uint16_t mask = elementType.isF16() ? 0x7c00 : 0x7f80;
  bool any = false;
  for (size_t i = 0; i < count; ++i) // branch-free: vectorizes
    any |= (data[i] & mask) == mask;
  if (!any)
    return;
  for (size_t i = 0; i < count; ++i) {
    if ((data[i] & mask) != mask || bad.count++)
      continue;
    bad.row = (first + int64_t(i)) / cols;
    bad.col = (first + int64_t(i)) % cols;
    decodeElements<float>(elementType, reinterpret_cast<const char *>(data + i),
                          1, &bad.value);
  }
}

/// Row-local update of an f16/bf16 matrix stored at `src`, written to `dst`
/// (which may be `src`). Each panel of rows is widened, updated and rounded
/// back while it sits in a core's cache; the panels are split between the
/// context's threads.
static LogicalResult applyInPanels(WeightUpdate &update, MLIRContext *context,
                                   Type elementType, const char *src, char *dst,
                                   std::pair<int64_t, int64_t> shape) {
  int64_t rows = shape.first, cols = shape.second;
  if (failed(update.prepareRows()))
    return failure();
  // About 512 KiB of f32 a panel, in whole blocks of 16 rows (the GEMM
  // kernels' tile height).
  int64_t panelRows = std::max<int64_t>(
      16, (int64_t(1) << 17) / std::max<int64_t>(cols, 1) / 16 * 16);
  panelRows = std::min(panelRows, rows);
  int64_t panels = rows ? (rows + panelRows - 1) / panelRows : 0;
  int64_t workers = std::min<int64_t>(panels, context->isMultithreadingEnabled()
                                                  ? context->getNumThreads()
                                                  : 1);
  std::vector<numerics::NonFinite<float>> bad(std::max<int64_t>(workers, 1));
  numerics::SingleThreadedBlas singleThreaded;
  parallelFor(context, 0, workers, [&](size_t worker) {
    // A contiguous run of panels a worker: sequential writes to `dst`.
    int64_t begin = panels * worker / workers,
            end = panels * (worker + 1) / workers;
    std::vector<float> scratch(panelRows * cols);
    for (int64_t panel = begin; panel < end; ++panel) {
      int64_t r0 = panel * panelRows, n = std::min(panelRows, rows - r0);
      size_t first = size_t(r0 * cols), count = size_t(n * cols);
      decodeElements<float>(elementType, src + first * 2, count,
                            scratch.data());
      update.applyRows(numerics::MatrixRef<float>(scratch.data(), n, cols), r0);
      encodeElements<float>(elementType, scratch.data(), count,
                            dst + first * 2);
      scanStoredHalf(elementType,
                     reinterpret_cast<const uint16_t *>(dst + first * 2), count,
                     first, cols, bad[worker]);
    }
  });
  // Workers own increasing row ranges: the first one with a hit has the
  // first non-finite element.
  numerics::NonFinite<float> total;
  for (const numerics::NonFinite<float> &b : bad) {
    if (b.count && !total.count) {
      total = b;
      continue;
    }
    total.count += b.count;
  }
  return update.finishRows(total);
}

/// The blob entry behind a resource attribute (null for inline data).
static DialectResourceBlobManager::BlobEntry *getBlobEntry(ElementsAttr attr) {
  auto resource = dyn_cast_or_null<DenseResourceElementsAttr>(attr);
  return resource ? resource.getRawHandle().getResource() : nullptr;
}

/// How many constant ops under the outermost ancestor of `op` hold the blob
/// `entry`.
static int64_t countHolders(Operation *op,
                            DialectResourceBlobManager::BlobEntry *entry) {
  Operation *root = op;
  while (Operation *parent = root->getParentOp())
    root = parent;
  int64_t holders = 0;
  root->walk([&](Operation *candidate) {
    if (!isa<onnx_ir::InitializerOp, arith::ConstantOp>(candidate))
      return;
    if (std::optional<Weight> w = Weight::lookup(candidate->getResult(0));
        w && getBlobEntry(w->getAttr()) == entry)
      ++holders;
  });
  return holders;
}

/// Frees the memory of a blob nobody holds any more. A read-only blob is a
/// view into a mapped file (external data): its pages are handed back to
/// the kernel, since the mapping itself lives as long as other tensors of
/// the file do.
static void releaseBlob(DialectResourceBlobManager::BlobEntry *entry) {
  AsmResourceBlob *blob = entry ? entry->getBlob() : nullptr;
  if (!blob || blob->getData().empty())
    return;
  if (!blob->isMutable()) {
    static const uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
    auto begin = reinterpret_cast<uintptr_t>(blob->getData().data());
    uintptr_t end = begin + blob->getData().size();
    uintptr_t first = (begin + page - 1) & ~(page - 1),
              last = end & ~(page - 1);
    if (last > first)
      (void)madvise(reinterpret_cast<void *>(first), last - first,
                    MADV_DONTNEED);
  }
  entry->setBlob(AsmResourceBlob());
  ++releasedCount;
}

void mlir::peft::eraseWeightIfDead(Value value) {
  Operation *def = value ? value.getDefiningOp() : nullptr;
  if (!def || !def->use_empty() ||
      !isa<onnx_ir::InitializerOp, arith::ConstantOp>(def))
    return;
  std::optional<Weight> weight = Weight::lookup(value);
  auto *entry = weight ? getBlobEntry(weight->getAttr()) : nullptr;
  bool last = entry && countHolders(def, entry) == 1;
  def->erase();
  if (last)
    releaseBlob(entry);
}

/// Rows and columns of the stored matrix of a weight of `type`: a 2-D
/// weight as laid out, anything else as rows of its last dimension.
static std::pair<int64_t, int64_t> storedMatrixShape(RankedTensorType type) {
  if (type.getRank() == 0)
    return {1, 1};
  int64_t cols = type.getShape().back();
  return {cols ? type.getNumElements() / cols : 0, cols};
}

template <typename T>
static LogicalResult applyTyped(WeightUpdate &update, T *data,
                                std::pair<int64_t, int64_t> shape) {
  return update.apply(numerics::MatrixRef<T>(data, shape.first, shape.second));
}

/// Runs `update` on a float weight of `type` stored at `src` (null: read it
/// from `weight`, e.g. an inline splat) and stores the result at `dst`, which
/// may be `src`: in the weight's precision, rounded once to its type. Errors
/// are reported at `owner`.
static LogicalResult applyUpdate(WeightUpdate &update, const Weight &weight,
                                 const char *src, char *dst, Operation *owner) {
  RankedTensorType type = weight.getType();
  Type elementType = type.getElementType();
  auto shape = storedMatrixShape(type);
  auto run = [&](auto zero) -> LogicalResult {
    using T = decltype(zero);
    // Stored as T and aligned for it: update the destination directly.
    if (src && sizeof(T) * 8 == elementType.getIntOrFloatBitWidth() &&
        reinterpret_cast<uintptr_t>(dst) % sizeof(T) == 0) {
      if (src != dst)
        std::memcpy(dst, src, getWeightStorageBytes(type));
      return applyTyped(update, reinterpret_cast<T *>(dst), shape);
    }
    if (src && update.isRowLocal() &&
        (elementType.isF16() || elementType.isBF16()))
      return applyInPanels(update, owner->getContext(), elementType, src, dst,
                           shape);
    // Widen the whole weight, update, round once.
    std::vector<T> values(type.getNumElements());
    if (src) {
      decodeElements<T>(elementType, src, values.size(), values.data());
    } else {
      FailureOr<std::vector<T>> read = weight.readValues<T>();
      if (failed(read))
        return owner->emitError() << "cannot read the weight '"
                                  << weight.getName() << "' of type " << type;
      values = std::move(*read);
    }
    if (failed(applyTyped(update, values.data(), shape)))
      return failure();
    encodeElements<T>(elementType, values.data(), values.size(), dst);
    return success();
  };
  return elementType.isF64() ? run(double()) : run(float());
}

LogicalResult mlir::peft::rewriteWeight(OpOperand &operand, StringRef newName,
                                        WeightUpdate &update) {
  Operation *owner = operand.getOwner();
  std::optional<Weight> weight = Weight::lookup(operand.get());
  if (!weight)
    return owner->emitError()
           << "operand #" << operand.getOperandNumber()
           << " is not a constant weight (a runtime argument?): cannot "
              "rewrite it";
  RankedTensorType type = weight->getType();
  if (!isSupportedWeightElementType(type.getElementType()) ||
      !type.hasStaticShape())
    return owner->emitError() << "cannot rewrite a weight of type " << type
                              << " (supported: static f16, bf16, f32, f64)";
  int64_t bytes = getWeightStorageBytes(type);
  // Weight::lookup only finds values defined by a constant op.
  Operation *def = weight->getDefiningOp();
  bool onlyUse = operand.get().hasOneUse();
  auto *entry = getBlobEntry(weight->getAttr());
  AsmResourceBlob *blob = entry ? entry->getBlob() : nullptr;
  bool soleHolder = entry && countHolders(def, entry) == 1;

  // In place: a mutable blob held by this op alone, used only here.
  if (blob && blob->isMutable() && int64_t(blob->getData().size()) == bytes &&
      onlyUse && soleHolder) {
    char *data = blob->getMutableData().data();
    if (failed(applyUpdate(update, *weight, data, data, owner)))
      return failure();
    ++inPlaceCount;
    return success();
  }

  // A new blob: read in the compute precision, update, store once.
  AsmResourceBlob fresh = allocateBlob(type.getElementType(), bytes);
  FailureOr<ArrayRef<char>> raw = weight->getRawBytes();
  if (failed(applyUpdate(update, *weight,
                         succeeded(raw) ? raw->data() : nullptr,
                         fresh.getMutableData().data(), owner)))
    return failure();

  // A weight used only here keeps its op (and so its ONNX name): only its
  // attribute changes. A shared one is left to its other users.
  if (onlyUse) {
    std::string key =
        weight->getName().empty() ? newName.str() : weight->getName().str();
    auto attr = DenseResourceElementsAttr::get(type, blobNameFor(key),
                                               std::move(fresh));
    if (auto init = dyn_cast<onnx_ir::InitializerOp>(def))
      init.setValueAttr(attr);
    else
      cast<arith::ConstantOp>(def).setValueAttr(attr);
    if (soleHolder)
      releaseBlob(entry);
  } else {
    OpBuilder builder(def);
    auto attr = DenseResourceElementsAttr::get(type, blobNameFor(newName),
                                               std::move(fresh));
    operand.set(
        arith::ConstantOp::create(builder, def->getLoc(), cast<TypedAttr>(attr))
            .getResult());
  }
  ++copiedCount;
  return success();
}
