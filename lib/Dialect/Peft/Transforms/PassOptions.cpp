//===- PassOptions.cpp - parsers of the typed peft pass options -----------===//

#include "peft/Dialect/Peft/Transforms/PassOptions.h"
#include "peft/Support/AdapterConfig.h"

#include <cmath>

using namespace mlir::peft;
using llvm::StringRef;

namespace {
/// Splits `regex=value` at the last '=' (a regex may contain '=') and checks
/// the key, which PEFT matches as `.*\.{key}$`.
bool splitPatternEntry(StringRef text, StringRef what, StringRef &key,
                       StringRef &value, std::string &error) {
  std::tie(key, value) = text.rsplit('=');
  if (!text.contains('=') || key.empty() || value.empty()) {
    error = ("entry '" + text + "' is not 'regex=" + what + "'").str();
    return false;
  }
  if (llvm::Expected<std::string> ere =
          translatePythonRegex((".*\\." + key + "$").str());
      !ere) {
    error = ("entry '" + text + "': " + llvm::toString(ere.takeError())).str();
    return false;
  }
  return true;
}
} // namespace

bool mlir::peft::parsePatternEntry(StringRef text, RankPatternEntry &entry,
                                   std::string &error) {
  StringRef key, value;
  if (!splitPatternEntry(text, "rank", key, value, error))
    return false;
  int64_t rank;
  if (value.getAsInteger(10, rank) || rank <= 0) {
    error =
        ("entry '" + text + "': the rank '" + value + "' is not an integer > 0")
            .str();
    return false;
  }
  entry = {key.str(), rank};
  return true;
}

bool mlir::peft::parsePatternEntry(StringRef text, AlphaPatternEntry &entry,
                                   std::string &error) {
  StringRef key, value;
  if (!splitPatternEntry(text, "alpha", key, value, error))
    return false;
  double alpha;
  if (value.getAsDouble(alpha) || !std::isfinite(alpha) || alpha <= 0) {
    error = ("entry '" + text + "': the alpha '" + value +
             "' is not a finite number > 0")
                .str();
    return false;
  }
  entry = {key.str(), alpha};
  return true;
}

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
