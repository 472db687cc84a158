//===- TensorFileTesting.h - tensor file test helpers -----------*- C++ -*-===//

#ifndef PEFT_UNITTESTS_SUPPORT_TENSORFILETESTING_H
#define PEFT_UNITTESTS_SUPPORT_TENSORFILETESTING_H

#include "peft/Support/HostTensor.h"

#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <string>

namespace mlir::peft::test {

/// The bytes of `values` as they lie in memory (little-endian here).
template <typename T> std::string rawBytes(std::initializer_list<T> values) {
  std::string bytes(values.size() * sizeof(T), '\0');
  std::memcpy(bytes.data(), values.begin(), bytes.size());
  return bytes;
}

/// The message of a read that must fail ("" and a test failure otherwise).
inline std::string errorText(llvm::Expected<HostTensor> result) {
  EXPECT_FALSE(static_cast<bool>(result));
  return result ? "" : llvm::toString(result.takeError());
}

} // namespace mlir::peft::test

#endif // PEFT_UNITTESTS_SUPPORT_TENSORFILETESTING_H
