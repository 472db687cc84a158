//===- AdapterConfig.cpp - PEFT adapter_config.json and its module rules --===//

#include "peft/Support/AdapterConfig.h"
#include "peft/Support/Diagnostics.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Regex.h"

#include <cmath>

using namespace mlir::peft;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace {
/// Translates a Python bracket expression starting at `p[i] == '['`; leaves
/// `i` on its closing `]`. POSIX brackets have no escapes, so escaped `]`,
/// `^` and `-` are moved to the positions where they are literal.
Error translateBracket(StringRef p, size_t &i, std::string &out) {
  auto fail = [&](const llvm::Twine &what) {
    return makeError("regex '" + p + "': " + what + " is not supported");
  };
  ++i;
  bool negated = i < p.size() && p[i] == '^';
  if (negated)
    ++i;
  bool closeLiteral = false, caretLiteral = false, dashLiteral = false;
  std::string body;
  if (i < p.size() && p[i] == ']') {
    closeLiteral = true;
    ++i;
  }
  for (; i < p.size() && p[i] != ']'; ++i) {
    char c = p[i];
    if (c == '[' && i + 1 < p.size() && llvm::is_contained(":=.", p[i + 1]))
      return fail("'[" + llvm::Twine(p[i + 1]) + "' in a bracket expression");
    if (c != '\\') {
      body += c;
      continue;
    }
    if (++i == p.size())
      break;
    char e = p[i];
    switch (e) {
    case 'd':
      body += "0-9";
      break;
    case 'w':
      body += "A-Za-z0-9_";
      break;
    case 's':
      body += "[:space:]";
      break;
    case 'n':
      body += '\n';
      break;
    case 't':
      body += '\t';
      break;
    case ']':
      closeLiteral = true;
      break;
    case '^':
      caretLiteral = true;
      break;
    case '-':
      dashLiteral = true;
      break;
    default:
      if (llvm::isAlnum(e))
        return fail("'\\" + llvm::Twine(e) + "' in a bracket expression");
      body += e;
    }
  }
  if (i >= p.size())
    return makeError("regex '" + p + "': unterminated '['");
  out += '[';
  if (negated)
    out += '^';
  if (closeLiteral)
    out += ']';
  out += body;
  if (caretLiteral)
    out += '^';
  if (dashLiteral)
    out += '-';
  out += ']';
  return Error::success();
}

/// `{m}`, `{m,}`, `{m,n}` or `{,n}` at `p[i]`: its length, else 0 (Python
/// then reads the brace literally).
size_t quantifierLength(StringRef p, size_t i) {
  size_t close = p.find('}', i);
  if (close == StringRef::npos)
    return 0;
  StringRef inner = p.slice(i + 1, close);
  auto [lo, hi] = inner.split(',');
  bool digits =
      llvm::all_of(lo, llvm::isDigit) && llvm::all_of(hi, llvm::isDigit);
  if (!digits || (lo.empty() && hi.empty()))
    return 0;
  return close - i + 1;
}

/// Whether `regex` (Python syntax) matches `text` after wrapping the
/// translated pattern in `prefix`/`suffix`.
bool runPythonRegex(StringRef pattern, StringRef prefix, StringRef suffix,
                    StringRef text) {
  Expected<std::string> ere = translatePythonRegex(pattern);
  if (!ere) {
    llvm::consumeError(ere.takeError());
    return false;
  }
  llvm::Regex regex((prefix + *ere + suffix).str());
  return regex.isValid() && regex.match(text);
}
} // namespace

Expected<std::string> mlir::peft::translatePythonRegex(StringRef p) {
  auto fail = [&](const llvm::Twine &what) {
    return makeError("regex '" + p + "': " + what + " is not supported");
  };
  std::string out;
  bool afterQuantifier = false;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    bool quantifier = false;
    switch (c) {
    case '\\': {
      if (i + 1 == p.size())
        return makeError("regex '" + p + "': trailing backslash");
      char e = p[++i];
      switch (e) {
      case 'd':
        out += "[0-9]";
        break;
      case 'D':
        out += "[^0-9]";
        break;
      case 'w':
        out += "[A-Za-z0-9_]";
        break;
      case 'W':
        out += "[^A-Za-z0-9_]";
        break;
      case 's':
        out += "[[:space:]]";
        break;
      case 'S':
        out += "[^[:space:]]";
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      default:
        if (llvm::isAlnum(e))
          return fail("'\\" + llvm::Twine(e) + "'");
        // An escaped character is ordinary in POSIX ERE.
        out += '\\';
        out += e;
      }
      break;
    }
    case '[':
      if (Error err = translateBracket(p, i, out))
        return std::move(err);
      break;
    case '(':
      if (p.substr(i).starts_with("(?:")) {
        out += '(';
        i += 2;
      } else if (p.substr(i).starts_with("(?")) {
        return fail("'(?' group");
      } else {
        out += '(';
      }
      break;
    case '?':
      // After a quantifier `?` makes it lazy, which only changes which match
      // is found, never whether there is one.
      if (afterQuantifier)
        break;
      out += c;
      quantifier = true;
      break;
    case '*':
    case '+':
      out += c;
      quantifier = true;
      break;
    case '{': {
      size_t length = quantifierLength(p, i);
      if (!length) {
        out += "\\{";
        break;
      }
      StringRef q = p.substr(i, length);
      if (q.starts_with("{,"))
        out += "{0" + q.drop_front().str();
      else
        out += q.str();
      i += length - 1;
      quantifier = true;
      break;
    }
    case '}':
      out += "\\}";
      break;
    default:
      out += c;
    }
    afterQuantifier = quantifier;
  }
  std::string why;
  if (!llvm::Regex(out).isValid(why))
    return makeError("regex '" + p + "': " + why);
  return out;
}

bool mlir::peft::fullMatchPythonRegex(StringRef pattern, StringRef path) {
  return runPythonRegex(pattern, "^(", ")$", path);
}

bool mlir::peft::matchesModuleList(llvm::ArrayRef<std::string> names,
                                   StringRef path) {
  return llvm::any_of(names, [&](const std::string &name) {
    return path == name || (path.ends_with(name) && path.size() > name.size() &&
                            path[path.size() - name.size() - 1] == '.');
  });
}

bool mlir::peft::matchesPatternKey(StringRef key, StringRef path) {
  // re.match anchors at the start only; the `$` is part of the pattern, so
  // with an alternation in `key` it binds to the last alternative, as in
  // Python.
  return runPythonRegex((".*\\." + key + "$").str(), "^(", ")", path);
}

RankAndAlpha mlir::peft::resolveRankAndAlpha(
    llvm::ArrayRef<std::pair<std::string, int64_t>> rankPattern,
    llvm::ArrayRef<std::pair<std::string, double>> alphaPattern,
    int64_t defaultRank, double defaultAlpha, StringRef path) {
  std::optional<std::string> key;
  if (const auto *entry = matchPatternKey(rankPattern, path))
    key = entry->first;
  else if (const auto *entry = matchPatternKey(alphaPattern, path))
    key = entry->first;
  RankAndAlpha result{defaultRank, defaultAlpha};
  if (!key)
    return result;
  for (const auto &[k, v] : rankPattern)
    if (k == *key) {
      result.rank = v;
      break;
    }
  for (const auto &[k, v] : alphaPattern)
    if (k == *key) {
      result.alpha = v;
      break;
    }
  return result;
}

double mlir::peft::loraScale(double alpha, int64_t rank, bool useRslora) {
  return useRslora ? alpha / std::sqrt(double(rank)) : alpha / double(rank);
}

bool ModuleSelector::matches(StringRef path) const {
  if (regex)
    return fullMatchPythonRegex(*regex, path);
  return matchesModuleList(names, path);
}

int64_t AdapterConfig::rankFor(StringRef path) const {
  return resolveRankAndAlpha(rankPattern, alphaPattern, r, loraAlpha, path)
      .rank;
}

double AdapterConfig::alphaFor(StringRef path) const {
  return resolveRankAndAlpha(rankPattern, alphaPattern, r, loraAlpha, path)
      .alpha;
}

double AdapterConfig::scaleFor(StringRef path) const {
  RankAndAlpha ra =
      resolveRankAndAlpha(rankPattern, alphaPattern, r, loraAlpha, path);
  return loraScale(ra.alpha, ra.rank, useRslora);
}

//===----------------------------------------------------------------------===//
// Parsing
//===----------------------------------------------------------------------===//

namespace {
/// Finds the keys of the object-valued member `member` of the top-level JSON
/// object in text order. llvm::json::Object does not keep the order, and
/// PEFT takes the first pattern key that matches. `text` is valid JSON.
class KeyOrderScanner {
public:
  explicit KeyOrderScanner(StringRef text) : text(text) {}

  std::vector<std::string> keysOf(StringRef member) {
    pos = 0;
    skipSpaces();
    if (!eat('{'))
      return {};
    while (true) {
      skipSpaces();
      std::optional<std::string> key = readString();
      skipSpaces();
      if (!key || !eat(':'))
        return {};
      skipSpaces();
      if (*key == member && peek() == '{')
        return objectKeys();
      if (!skipValue())
        return {};
      skipSpaces();
      if (!eat(','))
        return {};
    }
  }

private:
  std::vector<std::string> objectKeys() {
    std::vector<std::string> keys;
    eat('{');
    skipSpaces();
    if (eat('}'))
      return keys;
    while (true) {
      skipSpaces();
      std::optional<std::string> key = readString();
      skipSpaces();
      if (!key || !eat(':'))
        return keys;
      keys.push_back(*key);
      skipSpaces();
      if (!skipValue())
        return keys;
      skipSpaces();
      if (!eat(','))
        return keys;
    }
  }

  char peek() const { return pos < text.size() ? text[pos] : '\0'; }
  bool eat(char c) {
    if (peek() != c)
      return false;
    ++pos;
    return true;
  }
  void skipSpaces() {
    while (pos < text.size() && llvm::isSpace(text[pos]))
      ++pos;
  }
  /// Skips a string literal; `pos` must be on its opening quote.
  bool skipString() {
    if (!eat('"'))
      return false;
    for (; pos < text.size(); ++pos) {
      if (text[pos] == '\\')
        ++pos;
      else if (text[pos] == '"') {
        ++pos;
        return true;
      }
    }
    return false;
  }
  std::optional<std::string> readString() {
    size_t start = pos;
    if (!skipString())
      return std::nullopt;
    Expected<llvm::json::Value> value =
        llvm::json::parse(text.slice(start, pos));
    if (!value) {
      llvm::consumeError(value.takeError());
      return std::nullopt;
    }
    if (std::optional<StringRef> s = value->getAsString())
      return s->str();
    return std::nullopt;
  }
  bool skipValue() {
    int depth = 0;
    do {
      char c = peek();
      if (c == '\0')
        return false;
      if (c == '"') {
        if (!skipString())
          return false;
        continue;
      }
      if (c == '{' || c == '[')
        ++depth;
      else if (c == '}' || c == ']')
        --depth;
      else if (depth == 0 && (c == ',' || llvm::isSpace(c)))
        return true;
      if (depth < 0)
        return false;
      ++pos;
    } while (depth > 0 || !llvm::is_contained(",}] \t\r\n", peek()));
    return true;
  }

  StringRef text;
  size_t pos = 0;
};

/// Reads the members of one adapter_config.json; errors name the file and
/// the key.
class ConfigReader {
public:
  ConfigReader(const llvm::json::Object &root, StringRef text, StringRef name)
      : root(root), text(text), name(name) {}

  Error error(StringRef key, const llvm::Twine &message) {
    return makeError("'" + name + "': '" + key + "' " + message);
  }

  /// A missing or null member keeps `out`.
  Error readBool(StringRef key, bool &out) {
    const llvm::json::Value *v = root.get(key);
    if (!v || v->kind() == llvm::json::Value::Null)
      return Error::success();
    std::optional<bool> b = v->getAsBoolean();
    if (!b)
      return error(key, "must be true or false");
    out = *b;
    return Error::success();
  }

  Error readRank(StringRef key, const llvm::json::Value *v, int64_t &out) {
    std::optional<int64_t> i = v ? v->getAsInteger() : std::nullopt;
    if (!i || *i <= 0)
      return error(key, "must be a positive integer");
    out = *i;
    return Error::success();
  }

  Error readNumber(StringRef key, const llvm::json::Value *v, double &out) {
    std::optional<double> d = v ? v->getAsNumber() : std::nullopt;
    if (!d || !std::isfinite(*d))
      return error(key, "must be a finite number");
    out = *d;
    return Error::success();
  }

  Error readString(StringRef key, std::string &out) {
    const llvm::json::Value *v = root.get(key);
    if (!v || v->kind() == llvm::json::Value::Null)
      return Error::success();
    std::optional<StringRef> s = v->getAsString();
    if (!s)
      return error(key, "must be a string");
    out = s->str();
    return Error::success();
  }

  Error readSelector(StringRef key, ModuleSelector &out) {
    const llvm::json::Value *v = root.get(key);
    if (!v || v->kind() == llvm::json::Value::Null)
      return Error::success();
    if (std::optional<StringRef> s = v->getAsString()) {
      if (Expected<std::string> ere = translatePythonRegex(*s); !ere)
        return error(key, "is not a usable regex: " +
                              llvm::toString(ere.takeError()));
      out.regex = s->str();
      return Error::success();
    }
    const llvm::json::Array *array = v->getAsArray();
    if (!array)
      return error(key, "must be a list of module names or a regex string");
    for (const llvm::json::Value &element : *array) {
      std::optional<StringRef> s = element.getAsString();
      if (!s)
        return error(key, "must be a list of strings");
      out.names.push_back(s->str());
    }
    return Error::success();
  }

  /// Reads an object-valued pattern map in file order.
  template <typename T, typename ReadFn>
  Error readPattern(StringRef key, std::vector<std::pair<std::string, T>> &out,
                    ReadFn readValue) {
    const llvm::json::Value *v = root.get(key);
    if (!v || v->kind() == llvm::json::Value::Null)
      return Error::success();
    const llvm::json::Object *object = v->getAsObject();
    if (!object)
      return error(key, "must be an object of regex: value entries");
    std::vector<std::string> order = KeyOrderScanner(text).keysOf(key);
    if (order.size() != object->size()) {
      // Duplicate keys or an unexpected layout: fall back to sorted order.
      order.clear();
      for (const auto &entry : *object)
        order.push_back(entry.first.str());
      llvm::sort(order);
    }
    for (const std::string &patternKey : order) {
      const llvm::json::Value *entry = object->get(patternKey);
      if (Expected<std::string> ere =
              translatePythonRegex(".*\\." + patternKey + "$");
          !ere)
        return error(key, "key is not a usable regex: " +
                              llvm::toString(ere.takeError()));
      T value;
      std::string entryKey = (key + "." + patternKey).str();
      if (Error err = readValue(entryKey, entry, value))
        return err;
      out.emplace_back(patternKey, value);
    }
    return Error::success();
  }

private:
  const llvm::json::Object &root;
  StringRef text;
  StringRef name;
};
} // namespace

Expected<AdapterConfig> mlir::peft::parseAdapterConfig(StringRef json,
                                                       StringRef name) {
  Expected<llvm::json::Value> parsed = llvm::json::parse(json);
  if (!parsed)
    return makeError("'" + name +
                     "': bad JSON: " + llvm::toString(parsed.takeError()));
  const llvm::json::Object *root = parsed->getAsObject();
  if (!root)
    return makeError("'" + name + "': not a JSON object");
  ConfigReader reader(*root, json, name);
  AdapterConfig config;

  std::string peftType;
  if (Error err = reader.readString("peft_type", peftType))
    return std::move(err);
  if (peftType == "LORA")
    config.peftType = PeftType::Lora;
  else if (peftType == "IA3")
    config.peftType = PeftType::IA3;
  else if (peftType.empty())
    return reader.error("peft_type", "is missing");
  else
    return reader.error("peft_type",
                        "is '" + peftType + "'; supported: LORA, IA3");

  if (const llvm::json::Value *r = root->get("r"))
    if (Error err = reader.readRank("r", r, config.r))
      return std::move(err);
  if (const llvm::json::Value *alpha = root->get("lora_alpha"))
    if (Error err = reader.readNumber("lora_alpha", alpha, config.loraAlpha))
      return std::move(err);
  auto readRank = [&](StringRef key, const llvm::json::Value *v, int64_t &out) {
    return reader.readRank(key, v, out);
  };
  auto readNumber = [&](StringRef key, const llvm::json::Value *v,
                        double &out) { return reader.readNumber(key, v, out); };
  if (Error err =
          reader.readPattern("rank_pattern", config.rankPattern, readRank))
    return std::move(err);
  if (Error err =
          reader.readPattern("alpha_pattern", config.alphaPattern, readNumber))
    return std::move(err);
  if (Error err = reader.readSelector("target_modules", config.targetModules))
    return std::move(err);
  if (Error err =
          reader.readSelector("feedforward_modules", config.feedforwardModules))
    return std::move(err);
  if (Error err = reader.readBool("use_rslora", config.useRslora))
    return std::move(err);
  if (Error err = reader.readBool("use_dora", config.useDora))
    return std::move(err);
  if (Error err = reader.readBool("fan_in_fan_out", config.fanInFanOut))
    return std::move(err);
  if (Error err = reader.readString("bias", config.bias))
    return std::move(err);
  if (!llvm::is_contained({"none", "all", "lora_only"}, config.bias))
    return reader.error("bias", "is '" + config.bias +
                                    "'; expected none, all or lora_only");
  if (Error err = reader.readString("base_model_name_or_path",
                                    config.baseModelNameOrPath))
    return std::move(err);
  return config;
}

Expected<AdapterConfig> mlir::peft::readAdapterConfig(StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return makeError("'" + path +
                     "': cannot open: " + buffer.getError().message());
  return parseAdapterConfig((*buffer)->getBuffer(), path);
}
