//===- TensorProto.h - ONNX TensorProto files <-> HostTensor ----*- C++ -*-===//
//
// The format of the ONNX backend test data (test_data_set_0/input_0.pb):
// one serialized onnx.TensorProto. Data in raw_data or in the typed fields
// (float_data, int32_data, ...) is read; external data and strings are not.
// Part of the ONNX target, not of PeftSupport: it is protobuf.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_TARGET_ONNX_TENSORPROTO_H
#define PEFT_TARGET_ONNX_TENSORPROTO_H

#include "peft/Support/HostTensor.h"

#include "llvm/Support/Error.h"

#include <string>

namespace mlir::peft {

/// Parses a serialized TensorProto; `name` labels errors. The tensor's own
/// name goes to `*tensorName` when given.
llvm::Expected<HostTensor> parseTensorProto(llvm::StringRef bytes,
                                            llvm::StringRef name,
                                            std::string *tensorName = nullptr);
/// Reads a .pb file holding one TensorProto.
llvm::Expected<HostTensor>
readTensorProtoFile(llvm::StringRef path, std::string *tensorName = nullptr);

/// Serializes `tensor` as a TensorProto with raw_data.
std::string serializeTensorProto(const HostTensor &tensor,
                                 llvm::StringRef tensorName);
/// Writes a TensorProto file through a temporary file renamed into place.
llvm::Error writeTensorProtoFile(llvm::StringRef path, const HostTensor &tensor,
                                 llvm::StringRef tensorName);

/// Reads `path` as .npy or TensorProto, by extension (.npy / .pb) or, failing
/// that, by content (the .npy magic).
llvm::Expected<HostTensor> readTensorFile(llvm::StringRef path);
/// As above, for a value of element kind `expected`: the ONNX backend test
/// data written before onnx 1.14 (numpy has no bfloat16) stores bfloat16
/// tensors as UINT16 TensorProtos of the same bits, so a ui16 file read for
/// a bf16 value is seen as bf16. Otherwise the tensor is returned as read
/// (a kind mismatch is the caller's to report).
llvm::Expected<HostTensor> readTensorFile(llvm::StringRef path,
                                          ElementKind expected);

} // namespace mlir::peft

#endif // PEFT_TARGET_ONNX_TENSORPROTO_H
