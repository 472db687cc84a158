//===- LrqatCheckpoint.h - trained LR-QAT checkpoints -----------*- C++ -*-===//
//
// Reads the LR-QAT checkpoint format of docs/quantization.md: a directory
// with `lrqat_config.json` and `lrqat_model.safetensors` (keys `P.phi0`,
// `P.scale`, `P.lora_A`, `P.lora_B` per module path P). Everything is
// validated here, before any IR changes: the config's fields, every key's
// presence, dtype and shape, finite values, positive scales, Φ0 on its grid,
// and no tensor left over. Errors name the file and the tensor.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_SUPPORT_LRQATCHECKPOINT_H
#define PEFT_SUPPORT_LRQATCHECKPOINT_H

#include "peft/Support/SafeTensors.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::peft {

/// How Φ0 is stored (docs/quantization.md, `phi`).
enum class PhiFormat { Fixed, Int, Float16, BFloat16, Float32 };

/// The `phi` spelling of `format`.
llvm::StringRef stringifyPhiFormat(PhiFormat format);

struct LrqatConfig {
  int bits = 4;
  PhiFormat phi = PhiFormat::Fixed;
  double alpha = 1;
  int64_t rank = 0;
  /// 0: per channel.
  int64_t groupSize = 0;
  std::vector<std::string> modules;
};

/// One adapted layer's tensors, checked against the config.
struct LrqatModule {
  std::string path;
  int64_t out = 0, in = 0;
  /// Φ0 as stored (int8 for `fixed` and `int`) and decoded to its value.
  const SafeTensor *phi0 = nullptr;
  std::vector<double> phiValues;
  /// [out, groups], [out, rank], [rank, in].
  std::vector<double> scale, loraA, loraB;
};

class LrqatCheckpoint {
public:
  /// Opens `path` (the directory, or its safetensors file with the config
  /// beside it) and validates everything.
  static llvm::Expected<std::unique_ptr<LrqatCheckpoint>>
  open(llvm::StringRef path);

  const LrqatConfig &getConfig() const { return config; }
  llvm::ArrayRef<LrqatModule> getModules() const { return modules; }
  /// Scales per row of a layer with `in` input features.
  int64_t groupsPerRow(int64_t in) const {
    return config.groupSize ? (in + config.groupSize - 1) / config.groupSize
                            : 1;
  }

private:
  LrqatConfig config;
  std::unique_ptr<SafeTensorsFile> file;
  std::vector<LrqatModule> modules;
};

} // namespace mlir::peft

#endif // PEFT_SUPPORT_LRQATCHECKPOINT_H
