//===- Calibration.h - gather calibration statistics on the CPU -*- C++ -*-===//
//
// The driver behind `peft-calibrate` and Python's `Module.calibrate`: a copy
// of the model is instrumented (peft-instrument-calibration) so that one call
// returns the statistics of its inputs and nothing else, JIT-compiled once,
// and run on every calibration input; the results are added up in f64 into
// a CalibrationStats, which is written as the statistics file of
// docs/modegpt.md. Memory does not grow with the number of inputs.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_API_CALIBRATION_H
#define PEFT_API_CALIBRATION_H

#include "peft/API/API.h"
#include "peft/Support/CalibrationStats.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::peft::api {

struct CalibrationOptions {
  /// Function to calibrate (empty: the only callable one).
  std::string entry;
  /// What the statistics file says the model is (its `description`).
  std::string modelName;
};

class Calibrator {
public:
  /// Instruments a copy of `model` (which is left as it is; its linear
  /// layers must be raised, and have module paths) and compiles it.
  static llvm::Expected<std::unique_ptr<Calibrator>>
  create(const Module &model, const CalibrationOptions &options = {});
  ~Calibrator();

  /// The inputs a calibration sample must give.
  const runtime::FunctionSignature &getSignature() const { return *function; }

  /// Runs the model on one sample (inputs named as in Module::run) and adds
  /// its statistics.
  llvm::Error add(llvm::ArrayRef<std::pair<std::string, HostTensor>> inputs);

  /// Samples added so far.
  unsigned getNumSamples() const { return numSamples; }
  /// Rows the largest statistic has summed (the calibration tokens).
  int64_t getNumTokens() const { return numTokens; }

  /// The statistics (with the description filled in).
  const CalibrationStats &getStatistics();

  /// One line per layer whose covariance has fewer rows than dimensions
  /// (rank-deficient: the passes regularize it).
  std::vector<std::string> getWarnings() const;

  /// Writes the statistics file atomically.
  llvm::Error write(llvm::StringRef path);

private:
  Calibrator(Module instrumented) : model(std::move(instrumented)) {}

  Module model;
  CalibrationOptions options;
  const runtime::FunctionSignature *function = nullptr;
  /// For each result: the statistics it adds to.
  std::vector<std::vector<std::string>> resultKeys;
  /// Feature count of each `.input_xtx` key, for the warnings.
  std::vector<std::pair<std::string, int64_t>> covariances;
  std::string layers;
  CalibrationStats stats;
  unsigned numSamples = 0;
  int64_t numTokens = 0;
};

} // namespace mlir::peft::api

#endif // PEFT_API_CALIBRATION_H
