//===- PassOptions.cpp - parsers of the typed peft pass options -----------===//

#include "peft/Dialect/Peft/Transforms/PassOptions.h"
#include "peft/Support/AdapterConfig.h"

#include <cmath>

using namespace mlir::peft;
using llvm::StringRef;

template <typename T>
bool mlir::peft::parsePatternEntry(StringRef text, PatternEntry<T> &entry,
                                   std::string &error) {
  constexpr bool isRank = std::is_integral_v<T>;
  StringRef what = isRank ? "rank" : "alpha";
  // The last '=' splits: a regex may contain '='.
  auto [key, value] = text.rsplit('=');
  if (!text.contains('=') || key.empty() || value.empty()) {
    error = ("entry '" + text + "' is not 'regex=" + what + "'").str();
    return false;
  }
  // PEFT matches the key as `.*\.{key}$`.
  if (llvm::Expected<std::string> ere =
          translatePythonRegex((".*\\." + key + "$").str());
      !ere) {
    error = ("entry '" + text + "': " + llvm::toString(ere.takeError())).str();
    return false;
  }
  T parsed;
  bool bad;
  if constexpr (isRank)
    bad = value.getAsInteger(10, parsed) || parsed <= 0;
  else
    bad = value.getAsDouble(parsed) || !std::isfinite(parsed) || parsed <= 0;
  if (bad) {
    error = ("entry '" + text + "': the " + what + " '" + value + "' is not " +
             (isRank ? "an integer > 0" : "a finite number > 0"))
                .str();
    return false;
  }
  entry = {key.str(), parsed};
  return true;
}

template bool mlir::peft::parsePatternEntry(StringRef, RankPatternEntry &,
                                            std::string &);
template bool mlir::peft::parsePatternEntry(StringRef, AlphaPatternEntry &,
                                            std::string &);

bool mlir::peft::parseModuleMapEntry(StringRef text, ModuleMapEntry &entry,
                                     std::string &error) {
  if (!text.contains('=')) {
    error = ("entry '" + text + "' is not 'from=to'").str();
    return false;
  }
  auto [from, to] = text.split('=');
  entry = {from.str(), to.str()};
  return true;
}

template <>
llvm::cl::parser<LinearRole>::parser(Option &option)
    : generic_parser_base(option) {
  auto help = [](LinearRole role) -> StringRef {
    switch (role) {
    case LinearRole::q:
      return "query projection";
    case LinearRole::k:
      return "key projection";
    case LinearRole::v:
      return "value projection";
    case LinearRole::o:
      return "attention output projection";
    case LinearRole::qkv:
      return "fused q, k and v projection";
    case LinearRole::gate:
      return "gated MLP: the activated branch";
    case LinearRole::up:
      return "MLP up projection";
    case LinearRole::down:
      return "MLP down projection";
    case LinearRole::other:
      return "any other linear (heads, poolers, classifiers)";
    }
    llvm_unreachable("unknown role");
  };
  for (uint32_t i = 0; i <= getMaxEnumValForLinearRole(); ++i)
    if (std::optional<LinearRole> role = symbolizeLinearRole(i))
      // Not addLiteralOption: with the option's name not set yet, it would
      // register each role as a top-level flag (`-o`, `-q`, ...).
      Values.emplace_back(stringifyLinearRole(*role), *role, help(*role));
}

std::string mlir::peft::applyModuleMap(llvm::ArrayRef<ModuleMapEntry> map,
                                       StringRef path) {
  for (const ModuleMapEntry &entry : map) {
    StringRef from = entry.from, to = entry.to;
    std::string rest;
    if (from.empty())
      rest = ("." + path).str();
    else if (path == from || path.starts_with((from + ".").str()))
      rest = path.drop_front(from.size()).str();
    else
      continue;
    if (to.empty())
      return StringRef(rest).drop_front().str();
    return (to + rest).str();
  }
  return path.str();
}
