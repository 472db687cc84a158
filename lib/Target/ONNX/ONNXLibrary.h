//===- ONNXLibrary.h - the ONNX C++ library, as our code names it -*- C++
//-*-===//
//
// Every file of ours that uses the ONNX library includes it through this
// header. scripts/setup builds ONNX (docs/onnx.md) with its own protobuf
// package, ONNX_NAMESPACE=onnx_peft: Debian's libtorch links Debian's
// libonnx 1.12, which registers onnx/onnx-ml.proto (package `onnx`) in the
// process-wide descriptor pool of the shared libprotobuf, and a second
// registration of that file, by our static copy, aborts the process. Under
// its own package our copy registers onnx/onnx_onnx_peft-ml.proto instead and
// its C++ symbols cannot meet Debian's either. The wire format is the same.
// Our code keeps writing `onnx::`.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_LIB_TARGET_ONNX_ONNXLIBRARY_H
#define PEFT_LIB_TARGET_ONNX_ONNXLIBRARY_H

#include "peft/Config.h"

#include "onnx/common/version.h"
#include "onnx/onnx_pb.h"

#include <string_view>

// The ONNX headers seen here must be those of the package CMake found, never
// Debian's /usr/include/onnx (1.12, no version macros) ahead of them.
#if !defined(ONNX_VERSION_MAJOR) || !defined(ONNX_VERSION_MINOR)
#error "ONNX headers older than 1.23 (Debian's /usr/include/onnx first?)"
#endif
static_assert(ONNX_VERSION_MAJOR > 1 || ONNX_VERSION_MINOR >= 23,
              "peft-mlir needs ONNX >= 1.23");
static_assert(std::string_view(ONNX_VERSION_STRING) ==
                  std::string_view(PEFT_ONNX_VERSION_STRING),
              "the ONNX headers are not those of the ONNX package CMake found");

namespace onnx = ONNX_NAMESPACE;

#endif // PEFT_LIB_TARGET_ONNX_ONNXLIBRARY_H
