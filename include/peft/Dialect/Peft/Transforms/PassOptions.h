//===- PassOptions.h - typed options of the peft passes ---------*- C++ -*-===//
//
// The value types of the peft pass options that are not plain strings or
// numbers, with their llvm::cl parsers: a bad value is an error when the
// option is parsed (on the command line or in a pipeline string), naming the
// entry, not when the pass runs. Enum options list their values in --help.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_DIALECT_PEFT_TRANSFORMS_PASSOPTIONS_H
#define PEFT_DIALECT_PEFT_TRANSFORMS_PASSOPTIONS_H

#include "peft/Dialect/Peft/IR/PeftOps.h"
#include "peft/Support/LrqatCheckpoint.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

namespace mlir::peft {

/// How `peft-insert-lora` initializes A and B.
enum class LoraInitKind { Zeros, Gaussian, Kaiming, PiSSA, OLoRA };

/// One scale per output channel or per group of input features.
enum class QuantGranularity { Channel, Group };
/// How `peft-quantize-weights` chooses scales.
enum class ScaleMethod { MinMax, Lp };

/// `peft-combine-adapters{mode=}`: PEFT's add_weighted_adapter combination
/// types (peft/Support/LowRank.h, lowrank::CombineMode).
enum class AdapterCombineMode { Cat, Svd, Linear };
/// `peft-lowrank-svd{whitening=}`: plain or activation-whitened SVD.
enum class LowRankWhitening { None, Activation };
/// `peft-select-rank{policy=}`: the rank policies of peft/Support/LowRank.h.
enum class RankPolicyKind { Energy, Distance, Threshold };

/// One `regex=value` entry of `rank-pattern` or `alpha-pattern`: `key` is a
/// Python regex matched against the end of a module path (PEFT's
/// `rank_pattern` rule), `value` a rank or an alpha.
template <typename T> struct PatternEntry {
  std::string key;
  T value{};
};
using RankPatternEntry = PatternEntry<int64_t>;
using AlphaPatternEntry = PatternEntry<double>;

/// One `from=to` entry of `module-map`: a module path prefix rewrite.
struct ModuleMapEntry {
  std::string from, to;
};

/// Parses `text` as `regex=rank` (an integer > 0) or `regex=alpha` (a finite
/// number > 0); the key must be a usable regex. On failure returns false and
/// sets `error`, which quotes the entry.
template <typename T>
bool parsePatternEntry(llvm::StringRef text, PatternEntry<T> &entry,
                       std::string &error);
/// `path` rewritten by the first `module-map` entry whose `from` is a dotted
/// prefix of it (an empty `from` prefixes every path; an empty `to` strips
/// the prefix); `path` itself when none matches.
std::string applyModuleMap(llvm::ArrayRef<ModuleMapEntry> map,
                           llvm::StringRef path);

/// Parses `text` as `from=to` (either side may be empty).
bool parseModuleMapEntry(llvm::StringRef text, ModuleMapEntry &entry,
                         std::string &error);

template <typename T>
llvm::raw_ostream &operator<<(llvm::raw_ostream &os,
                              const PatternEntry<T> &entry) {
  return os << entry.key << "=" << entry.value;
}
inline llvm::raw_ostream &operator<<(llvm::raw_ostream &os,
                                     const ModuleMapEntry &entry) {
  return os << entry.from << "=" << entry.to;
}

namespace detail {
/// An llvm::cl parser for a value type with a `parse...Entry` function.
template <typename T> class EntryParser : public llvm::cl::basic_parser<T> {
public:
  using llvm::cl::basic_parser<T>::basic_parser;

  bool parse(llvm::cl::Option &option, llvm::StringRef, llvm::StringRef arg,
             T &value) {
    std::string error;
    bool ok;
    if constexpr (std::is_same_v<T, ModuleMapEntry>)
      ok = parseModuleMapEntry(arg, value, error);
    else
      ok = parsePatternEntry(arg, value, error);
    return ok ? false : option.error(error);
  }
  llvm::StringRef getValueName() const override {
    if constexpr (std::is_same_v<T, ModuleMapEntry>)
      return "from=to";
    else if constexpr (std::is_integral_v<decltype(T::value)>)
      return "regex=rank";
    else
      return "regex=alpha";
  }
  void printOptionDiff(const llvm::cl::Option &, const T &,
                       const llvm::cl::OptionValue<T> &, size_t) const {}
};
} // namespace detail

} // namespace mlir::peft

namespace llvm::cl {
/// Every parser of LinearRole knows the role names (listed by --help). The
/// `cl::values` modifier would not do for `roles`: MLIR's ListOption parses
/// its elements with a parser of its own, which the modifier never reaches.
template <> parser<mlir::peft::LinearRole>::parser(Option &option);

template <typename T>
class parser<mlir::peft::PatternEntry<T>>
    : public mlir::peft::detail::EntryParser<mlir::peft::PatternEntry<T>> {
public:
  using Base = mlir::peft::detail::EntryParser<mlir::peft::PatternEntry<T>>;
  using Base::Base;
};
template <>
class parser<mlir::peft::ModuleMapEntry>
    : public mlir::peft::detail::EntryParser<mlir::peft::ModuleMapEntry> {
public:
  using EntryParser::EntryParser;
};
} // namespace llvm::cl

#endif // PEFT_DIALECT_PEFT_TRANSFORMS_PASSOPTIONS_H
