//===- CalibrationStats.h - the calibration statistics file -----*- C++ -*-===//
//
// The statistics peft-calibrate gathers and the MoDeGPT and SVD passes read
// (docs/modegpt.md, "Calibration statistics file"). The file is safetensors
// with these keys (module paths as in the model, `.`-separated):
//
//   <path>.input_xtx          F64 [n, n]   Σ xᵀx over the rows of the
//                                          flattened input of linear <path>
//   <path>.input_tokens       I64 [1]      rows accumulated into it
//   <q_path>.q_gram           F64 [heads, d, d]     per query head Σ QᵀQ
//                                                   (post-rotary)
//   <k_path>.k_gram           F64 [kv_heads, d, d]  per key/value head Σ KᵀK
//   <q_path>.qk_tokens        I64 [1]
//   <block>.block_influence   F64 [2]      {Σ (1 − cos(x_in, x_out)), tokens}
//
// and `__metadata__` {"format": "peft-calibration", "version": "1",
// "description": "<JSON text>"}. Tensors are written in key order, each
// 8-byte aligned (the header is padded with spaces to a multiple of 8).
//
// A CalibrationStats holds named F64/I64 tensors: those of a file it read
// stay in the mapped file (memory does not grow with its size) until one is
// accumulated into, which copies it.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_SUPPORT_CALIBRATIONSTATS_H
#define PEFT_SUPPORT_CALIBRATIONSTATS_H

#include "peft/Support/Numerics.h"
#include "peft/Support/SafeTensors.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mlir::peft {

/// The key suffixes of the format.
namespace calib {
inline constexpr llvm::StringLiteral kInputXtx = ".input_xtx";
inline constexpr llvm::StringLiteral kInputTokens = ".input_tokens";
inline constexpr llvm::StringLiteral kQGram = ".q_gram";
inline constexpr llvm::StringLiteral kKGram = ".k_gram";
inline constexpr llvm::StringLiteral kQKTokens = ".qk_tokens";
inline constexpr llvm::StringLiteral kBlockInfluence = ".block_influence";
inline constexpr llvm::StringLiteral kFormat = "peft-calibration";
inline constexpr llvm::StringLiteral kVersion = "1";
} // namespace calib

/// Σ xᵀx at a linear layer's input and the number of rows it sums.
struct InputCovariance {
  numerics::Matrix<double> xtx;
  int64_t tokens = 0;
};

/// Per-head Gram matrices (Σ QᵀQ or Σ KᵀK) and the token count.
struct HeadGrams {
  std::vector<numerics::Matrix<double>> heads;
  int64_t tokens = 0;
};

/// A block's Σ (1 − cos(x_in, x_out)) and token count.
struct BlockInfluence {
  double sum = 0;
  int64_t tokens = 0;
  /// 1 − E[cos(x_in, x_out)] (0 without tokens).
  double score() const { return tokens ? sum / double(tokens) : 0.0; }
};

class CalibrationStats {
public:
  CalibrationStats() = default;
  CalibrationStats(CalibrationStats &&) = default;
  CalibrationStats &operator=(CalibrationStats &&) = default;

  /// Opens and validates `path`: a safetensors file whose metadata says
  /// format "peft-calibration" version "1" and whose tensors are F64 or I64.
  static llvm::Expected<CalibrationStats> read(llvm::StringRef path);

  /// Writes the statistics to `path` atomically: to `<path>.tmp-XXXXXX` in
  /// the same directory, then renamed over `path`; on failure nothing is
  /// left at `path` (nor the temporary).
  llvm::Error write(llvm::StringRef path) const;

  //===--------------------------------------------------------------------===//
  // Generic tensors
  //===--------------------------------------------------------------------===//

  /// Adds `values` to the F64 tensor `key` (created as zeros of `shape` when
  /// missing). Errors: a key holding I64 or another shape, a wrong number
  /// of values.
  llvm::Error accumulateF64(llvm::StringRef key, llvm::ArrayRef<int64_t> shape,
                            llvm::ArrayRef<double> values);
  /// The same for an I64 tensor.
  llvm::Error accumulateI64(llvm::StringRef key, llvm::ArrayRef<int64_t> shape,
                            llvm::ArrayRef<int64_t> values);

  bool contains(llvm::StringRef key) const { return tensors.count(key.str()); }
  /// The keys, sorted.
  std::vector<std::string> keys() const;
  /// "F64" or "I64" and the shape of `key`, or an error naming the file.
  llvm::Expected<std::pair<std::string, llvm::SmallVector<int64_t, 3>>>
  describe(llvm::StringRef key) const;
  /// The elements of `key` (row-major); errors name the file and key, and
  /// say what was expected when the dtype or shape differs from `shape`.
  llvm::Expected<std::vector<double>>
  getF64(llvm::StringRef key, llvm::ArrayRef<int64_t> shape) const;
  llvm::Expected<std::vector<int64_t>>
  getI64(llvm::StringRef key, llvm::ArrayRef<int64_t> shape) const;

  //===--------------------------------------------------------------------===//
  // The format's statistics
  //===--------------------------------------------------------------------===//

  llvm::Error addInputCovariance(llvm::StringRef path,
                                 numerics::MatrixRef<const double> xtx,
                                 int64_t tokens);
  /// `<path>.input_xtx` as [n, n] (`n` the layer's input features) and
  /// `<path>.input_tokens`.
  llvm::Expected<InputCovariance> getInputCovariance(llvm::StringRef path,
                                                     int64_t n) const;

  /// Adds per-head Σ QᵀQ (`qGrams`, one [d, d] per query head) under
  /// `qPath` and Σ KᵀK under `kPath`, and `tokens` to `<qPath>.qk_tokens`.
  llvm::Error addQueryKeyGrams(llvm::StringRef qPath, llvm::StringRef kPath,
                               llvm::ArrayRef<numerics::Matrix<double>> qGrams,
                               llvm::ArrayRef<numerics::Matrix<double>> kGrams,
                               int64_t tokens);
  /// `<qPath>.q_gram` as [heads, d, d] and `<qPath>.qk_tokens`.
  llvm::Expected<HeadGrams> getQueryGrams(llvm::StringRef qPath, int64_t heads,
                                          int64_t d) const;
  /// `<kPath>.k_gram` as [kvHeads, d, d] and `<qPath>.qk_tokens`.
  llvm::Expected<HeadGrams> getKeyGrams(llvm::StringRef kPath,
                                        llvm::StringRef qPath, int64_t kvHeads,
                                        int64_t d) const;

  llvm::Error addBlockInfluence(llvm::StringRef blockPrefix,
                                double sumOneMinusCos, int64_t tokens);
  llvm::Expected<BlockInfluence>
  getBlockInfluence(llvm::StringRef blockPrefix) const;

  /// The `description` metadata entry (JSON text; "{}" when unset).
  const std::string &getDescription() const { return description; }
  void setDescription(std::string json) { description = std::move(json); }
  /// The file it was read from, or "calibration statistics".
  llvm::StringRef getName() const { return name; }

private:
  struct Tensor {
    bool isF64 = true;
    llvm::SmallVector<int64_t, 3> shape;
    /// Owned little-endian bytes, or a view into `file` while `owned` is
    /// empty and `view` set.
    std::vector<char> owned;
    llvm::ArrayRef<char> view;
    llvm::ArrayRef<char> bytes() const {
      return owned.empty() && !view.empty() ? view : llvm::ArrayRef(owned);
    }
  };
  llvm::Error keyError(llvm::StringRef key, const llvm::Twine &message) const;
  llvm::Expected<const Tensor *> lookup(llvm::StringRef key, bool isF64,
                                        llvm::ArrayRef<int64_t> shape,
                                        llvm::StringRef hint) const;
  llvm::Expected<Tensor *> getOrCreate(llvm::StringRef key, bool isF64,
                                       llvm::ArrayRef<int64_t> shape,
                                       size_t numValues);

  std::map<std::string, Tensor, std::less<>> tensors;
  std::string description = "{}";
  std::string name = "calibration statistics";
  std::unique_ptr<SafeTensorsFile> file;
};

} // namespace mlir::peft

#endif // PEFT_SUPPORT_CALIBRATIONSTATS_H
