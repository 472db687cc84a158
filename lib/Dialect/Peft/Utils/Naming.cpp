//===- Naming.cpp - module paths and ONNX node scopes ---------------------===//

#include "peft/Dialect/Peft/Utils/Naming.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

std::string mlir::peft::getNodeScope(StringRef modulePath) {
  std::string scope;
  SmallVector<StringRef> parts;
  modulePath.split(parts, '.');
  for (StringRef part : parts) {
    bool index = !part.empty() && !scope.empty() &&
                 llvm::all_of(part, [](char c) { return llvm::isDigit(c); });
    scope += (index ? "." : "/") + part.str();
  }
  return scope;
}

std::string mlir::peft::getModulePathFromNodeName(StringRef nodeName) {
  if (!nodeName.consume_front("/"))
    return "";
  size_t slash = nodeName.rfind('/');
  if (slash == StringRef::npos || slash == 0)
    return "";
  std::string path = nodeName.take_front(slash).str();
  llvm::replace(path, '/', '.');
  return path;
}
