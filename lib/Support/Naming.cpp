//===- Naming.cpp - module paths and ONNX node scopes ---------------------===//

#include "peft/Support/Naming.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir::peft;
using llvm::SmallVector;
using llvm::StringRef;

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

mlir::peft::RuntimeAdapterInputNames
mlir::peft::getRuntimeAdapterInputNames(StringRef modulePath,
                                        StringRef adapter) {
  std::string suffix = adapter == "default" ? "" : ("." + adapter).str();
  return {(modulePath + ".lora_A" + suffix + ".weight").str(),
          (modulePath + ".lora_B" + suffix + ".weight").str(),
          (modulePath + ".lora_scale" + suffix).str()};
}

bool mlir::peft::parseRuntimeAdapterInputName(StringRef name, std::string &path,
                                              std::string &adapter,
                                              char &which) {
  for (auto [marker, kind] : {std::pair<StringRef, char>{".lora_A", 'A'},
                              {".lora_B", 'B'},
                              {".lora_scale", 's'}}) {
    size_t at = name.rfind(marker);
    if (at == StringRef::npos || at == 0)
      continue;
    StringRef rest = name.drop_front(at + marker.size());
    if (kind != 's') {
      if (!rest.consume_back(".weight"))
        continue;
    }
    if (!rest.empty() && !rest.consume_front("."))
      continue;
    path = name.take_front(at).str();
    adapter = rest.empty() ? "default" : rest.str();
    which = kind;
    return true;
  }
  return false;
}

RuntimeBankInputNames
mlir::peft::getRuntimeBankInputNames(StringRef modulePath) {
  return {(modulePath + ".bank_A").str(), (modulePath + ".bank_B").str(),
          (modulePath + ".bank_offsets").str(),
          (modulePath + ".bank_scales").str()};
}

bool mlir::peft::parseRuntimeBankInputName(StringRef name, std::string &path,
                                           char &which) {
  for (auto [suffix, kind] : {std::pair<StringRef, char>{".bank_A", 'A'},
                              {".bank_B", 'B'},
                              {".bank_offsets", 'o'},
                              {".bank_scales", 's'}}) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      path = name.drop_back(suffix.size()).str();
      which = kind;
      return true;
    }
  }
  return false;
}
