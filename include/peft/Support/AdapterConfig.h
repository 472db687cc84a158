//===- AdapterConfig.h - PEFT adapter_config.json rules ---------*- C++ -*-===//
//
// Hugging Face PEFT (0.10) selects and sizes adapters by module path with a
// few regex rules. The free functions reproduce them for any pass that needs
// them (`peft-load-adapter`, `peft-insert-lora`); `AdapterConfig` is the
// parsed `adapter_config.json`.
//
// Regexes are Python `re` patterns, run with llvm::Regex (POSIX ERE) after
// `translatePythonRegex`: `\d \w \s` (and their negations), `(?:`, lazy
// quantifiers and escaped punctuation are translated; lookarounds, named
// groups, inline flags, backreferences, `\b`, `\A`, `\Z` and `{,n}` are
// rejected. Matching only asks whether a match exists, so backtracking vs
// leftmost-longest makes no difference. Python's `$` also matching before a
// final newline is not reproduced (module paths have no newlines).
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_SUPPORT_ADAPTERCONFIG_H
#define PEFT_SUPPORT_ADAPTERCONFIG_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlir::peft {

/// The POSIX ERE equivalent of the Python `re` pattern `pattern`, or an
/// error naming the unsupported construct.
llvm::Expected<std::string> translatePythonRegex(llvm::StringRef pattern);

/// `re.fullmatch(pattern, path)`. False when the pattern does not translate
/// (check it with `translatePythonRegex` first for a diagnostic).
bool fullMatchPythonRegex(llvm::StringRef pattern, llvm::StringRef path);

/// PEFT's list form of `target_modules`: `path` equals an entry or ends with
/// `"." + entry` (entries are plain names, not regexes).
bool matchesModuleList(llvm::ArrayRef<std::string> names, llvm::StringRef path);

/// Whether `key` of a `rank_pattern`/`alpha_pattern` applies to `path`:
/// `re.match(rf".*\.{key}$", path)`. Note the required `.` before the key: a
/// key never matches a path from its first character.
bool matchesPatternKey(llvm::StringRef key, llvm::StringRef path);

/// The first entry (in order) whose key applies to `path`, or null.
template <typename T>
const std::pair<std::string, T> *
matchPatternKey(llvm::ArrayRef<std::pair<std::string, T>> entries,
                llvm::StringRef path) {
  for (const auto &entry : entries)
    if (matchesPatternKey(entry.first, path))
      return &entry;
  return nullptr;
}

/// Rank and alpha of one layer.
struct RankAndAlpha {
  int64_t rank;
  double alpha;
};

/// PEFT 0.10's per-layer lookup (LoraModel._create_and_replace): the keys of
/// `rankPattern` then of `alphaPattern` are searched in order for the first
/// that applies to `path`; that one key is then looked up in both maps, each
/// falling back to the default. So a rank key that matches hides a
/// different alpha key that would match too.
RankAndAlpha
resolveRankAndAlpha(llvm::ArrayRef<std::pair<std::string, int64_t>> rankPattern,
                    llvm::ArrayRef<std::pair<std::string, double>> alphaPattern,
                    int64_t defaultRank, double defaultAlpha,
                    llvm::StringRef path);

/// `alpha / rank`, or `alpha / sqrt(rank)` for rsLoRA.
double loraScale(double alpha, int64_t rank, bool useRslora);

/// `target_modules` / `feedforward_modules`: null, a list or a regex.
struct ModuleSelector {
  std::vector<std::string> names;
  std::optional<std::string> regex;

  bool empty() const { return names.empty() && !regex; }
  bool matches(llvm::StringRef path) const;
};

enum class PeftType { Lora, IA3 };

/// The fields of adapter_config.json the compiler uses; others are ignored.
struct AdapterConfig {
  PeftType peftType = PeftType::Lora;
  int64_t r = 8;
  double loraAlpha = 8;
  ModuleSelector targetModules;
  /// In file order (PEFT saves with sorted keys), which decides which key
  /// wins when several match.
  std::vector<std::pair<std::string, int64_t>> rankPattern;
  std::vector<std::pair<std::string, double>> alphaPattern;
  bool useRslora = false;
  bool useDora = false;
  bool fanInFanOut = false;
  /// "none", "all" or "lora_only".
  std::string bias = "none";
  /// IA³ only.
  ModuleSelector feedforwardModules;
  std::string baseModelNameOrPath;

  int64_t rankFor(llvm::StringRef path) const;
  double alphaFor(llvm::StringRef path) const;
  /// The LoRA scale of the layer at `path`.
  double scaleFor(llvm::StringRef path) const;
  bool isTarget(llvm::StringRef path) const {
    return targetModules.matches(path);
  }
  bool isFeedforward(llvm::StringRef path) const {
    return feedforwardModules.matches(path);
  }
};

/// Parses the text of an adapter_config.json; `name` labels errors, which
/// name the offending key.
llvm::Expected<AdapterConfig> parseAdapterConfig(llvm::StringRef json,
                                                 llvm::StringRef name);
/// Reads and parses an adapter_config.json file.
llvm::Expected<AdapterConfig> readAdapterConfig(llvm::StringRef path);

} // namespace mlir::peft

#endif // PEFT_SUPPORT_ADAPTERCONFIG_H
