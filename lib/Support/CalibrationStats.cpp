//===- CalibrationStats.cpp - the calibration statistics file -------------===//

#include "peft/Support/CalibrationStats.h"
#include "peft/Support/Diagnostics.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir::peft;
using numerics::Matrix;
using numerics::MatrixRef;

static std::string bracketShape(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    text += (i ? ", " : "") + std::to_string(d);
  return text + "]";
}

static int64_t numElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

llvm::Error CalibrationStats::keyError(llvm::StringRef key,
                                       const llvm::Twine &message) const {
  return makeError(name + ": key '" + key + "': " + message);
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

llvm::Expected<CalibrationStats> CalibrationStats::read(llvm::StringRef path) {
  auto file = SafeTensorsFile::open(path);
  if (!file)
    return file.takeError();
  CalibrationStats stats;
  stats.name = path.str();
  const auto &meta = (*file)->metadata();
  auto format = meta.find("format");
  if (format == meta.end() || format->second != calib::kFormat)
    return makeError(path +
                     ": not a calibration statistics file (its "
                     "__metadata__ must have \"format\": \"" +
                     calib::kFormat + "\")");
  auto version = meta.find("version");
  if (version == meta.end() || version->second != calib::kVersion)
    return makeError(path + ": calibration statistics version '" +
                     (version == meta.end() ? "" : version->second) +
                     "' is not supported (expected '" + calib::kVersion + "')");
  if (auto d = meta.find("description"); d != meta.end())
    stats.description = d->second;
  for (const SafeTensor &t : (*file)->tensors()) {
    if (t.dtype != "F64" && t.dtype != "I64")
      return makeError(path + ": tensor '" + t.name + "' is " + t.describe() +
                       "; calibration statistics are F64 or I64");
    Tensor &tensor = stats.tensors[t.name];
    tensor.isF64 = t.dtype == "F64";
    tensor.shape.assign(t.shape.begin(), t.shape.end());
    tensor.view = t.data;
  }
  stats.file = std::move(*file);
  return stats;
}

std::vector<std::string> CalibrationStats::keys() const {
  std::vector<std::string> out;
  for (const auto &entry : tensors)
    out.push_back(entry.first);
  return out;
}

llvm::Expected<std::pair<std::string, llvm::SmallVector<int64_t, 3>>>
CalibrationStats::describe(llvm::StringRef key) const {
  auto it = tensors.find(key);
  if (it == tensors.end())
    return makeError(name + ": no key '" + key + "'");
  return std::make_pair(std::string(it->second.isF64 ? "F64" : "I64"),
                        it->second.shape);
}

llvm::Expected<const CalibrationStats::Tensor *>
CalibrationStats::lookup(llvm::StringRef key, bool isF64,
                         llvm::ArrayRef<int64_t> shape,
                         llvm::StringRef hint) const {
  auto it = tensors.find(key);
  if (it == tensors.end())
    return makeError(name + ": no key '" + key + "'" +
                     (hint.empty() ? "" : " (" + hint + ")"));
  const Tensor &t = it->second;
  const char *dtype = isF64 ? "F64" : "I64";
  if (t.isF64 != isF64 || llvm::ArrayRef<int64_t>(t.shape) != shape)
    return keyError(key, llvm::Twine("expected ") + dtype + " " +
                             bracketShape(shape) + ", got " +
                             (t.isF64 ? "F64" : "I64") + " " +
                             bracketShape(t.shape));
  return &t;
}

template <typename T> static std::vector<T> decode(llvm::ArrayRef<char> bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  if (!values.empty())
    std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

llvm::Expected<std::vector<double>>
CalibrationStats::getF64(llvm::StringRef key,
                         llvm::ArrayRef<int64_t> shape) const {
  auto t = lookup(key, /*isF64=*/true, shape, "");
  if (!t)
    return t.takeError();
  return decode<double>((*t)->bytes());
}

llvm::Expected<std::vector<int64_t>>
CalibrationStats::getI64(llvm::StringRef key,
                         llvm::ArrayRef<int64_t> shape) const {
  auto t = lookup(key, /*isF64=*/false, shape, "");
  if (!t)
    return t.takeError();
  return decode<int64_t>((*t)->bytes());
}

/// The token count `key` holds, checked: I64 [1], not negative.
static llvm::Expected<int64_t>
readTokens(const CalibrationStats &stats, llvm::StringRef key,
           llvm::Expected<std::vector<int64_t>> values) {
  if (!values)
    return values.takeError();
  if ((*values)[0] < 0)
    return makeError(stats.getName() + ": key '" + key +
                     "': negative token count " + llvm::Twine((*values)[0]));
  return (*values)[0];
}

llvm::Expected<InputCovariance>
CalibrationStats::getInputCovariance(llvm::StringRef path, int64_t n) const {
  std::string key = (path + calib::kInputXtx).str();
  auto t = lookup(key, /*isF64=*/true, {n, n}, "the layer was not calibrated?");
  if (!t)
    return t.takeError();
  std::string tokensKey = (path + calib::kInputTokens).str();
  auto tokens = readTokens(*this, tokensKey, getI64(tokensKey, {1}));
  if (!tokens)
    return tokens.takeError();
  InputCovariance c;
  c.xtx = Matrix<double>(n, n);
  c.xtx.values() = decode<double>((*t)->bytes());
  c.tokens = *tokens;
  return c;
}

static llvm::Expected<HeadGrams>
splitHeads(llvm::Expected<std::vector<double>> values, int64_t heads,
           int64_t d) {
  if (!values)
    return values.takeError();
  HeadGrams grams;
  for (int64_t h = 0; h < heads; ++h) {
    Matrix<double> m(d, d);
    std::copy_n(values->begin() + h * d * d, d * d, m.values().begin());
    grams.heads.push_back(std::move(m));
  }
  return grams;
}

llvm::Expected<HeadGrams> CalibrationStats::getQueryGrams(llvm::StringRef qPath,
                                                          int64_t heads,
                                                          int64_t d) const {
  std::string key = (qPath + calib::kQGram).str();
  if (auto t = lookup(key, true, {heads, d, d},
                      "the attention was not "
                      "calibrated?");
      !t)
    return t.takeError();
  auto grams = splitHeads(getF64(key, {heads, d, d}), heads, d);
  if (!grams)
    return grams.takeError();
  std::string tokensKey = (qPath + calib::kQKTokens).str();
  auto tokens = readTokens(*this, tokensKey, getI64(tokensKey, {1}));
  if (!tokens)
    return tokens.takeError();
  grams->tokens = *tokens;
  return grams;
}

llvm::Expected<HeadGrams> CalibrationStats::getKeyGrams(llvm::StringRef kPath,
                                                        llvm::StringRef qPath,
                                                        int64_t kvHeads,
                                                        int64_t d) const {
  std::string key = (kPath + calib::kKGram).str();
  if (auto t = lookup(key, true, {kvHeads, d, d},
                      "the attention was not "
                      "calibrated?");
      !t)
    return t.takeError();
  auto grams = splitHeads(getF64(key, {kvHeads, d, d}), kvHeads, d);
  if (!grams)
    return grams.takeError();
  std::string tokensKey = (qPath + calib::kQKTokens).str();
  auto tokens = readTokens(*this, tokensKey, getI64(tokensKey, {1}));
  if (!tokens)
    return tokens.takeError();
  grams->tokens = *tokens;
  return grams;
}

llvm::Expected<BlockInfluence>
CalibrationStats::getBlockInfluence(llvm::StringRef blockPrefix) const {
  std::string key = (blockPrefix + calib::kBlockInfluence).str();
  if (auto t = lookup(key, true, {2}, "the block was not calibrated?"); !t)
    return t.takeError();
  auto values = getF64(key, {2});
  if (!values)
    return values.takeError();
  double tokens = (*values)[1];
  if (!(tokens >= 0) || tokens != std::floor(tokens))
    return keyError(key, "the token count " + llvm::formatv("{0}", tokens) +
                             " is not a non-negative integer");
  return BlockInfluence{(*values)[0], int64_t(tokens)};
}

//===----------------------------------------------------------------------===//
// Accumulating
//===----------------------------------------------------------------------===//

llvm::Expected<CalibrationStats::Tensor *>
CalibrationStats::getOrCreate(llvm::StringRef key, bool isF64,
                              llvm::ArrayRef<int64_t> shape, size_t numValues) {
  for (int64_t d : shape)
    if (d < 0)
      return keyError(key, "negative dimension in " + bracketShape(shape));
  if (int64_t(numValues) != numElements(shape))
    return keyError(key, llvm::Twine(numValues) + " values for shape " +
                             bracketShape(shape));
  auto [it, inserted] = tensors.try_emplace(key.str());
  Tensor &t = it->second;
  if (inserted) {
    t.isF64 = isF64;
    t.shape.assign(shape.begin(), shape.end());
    t.owned.assign(numValues * 8, 0);
    return &t;
  }
  if (t.isF64 != isF64 || llvm::ArrayRef<int64_t>(t.shape) != shape)
    return keyError(key, llvm::Twine("cannot accumulate ") +
                             (isF64 ? "F64 " : "I64 ") + bracketShape(shape) +
                             " into " + (t.isF64 ? "F64 " : "I64 ") +
                             bracketShape(t.shape));
  if (t.owned.empty() && !t.view.empty())
    t.owned.assign(t.view.begin(), t.view.end());
  t.view = {};
  return &t;
}

template <typename T>
static void addInto(std::vector<char> &bytes, llvm::ArrayRef<T> values) {
  for (size_t i = 0; i < values.size(); ++i) {
    T v;
    std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
    v += values[i];
    std::memcpy(bytes.data() + i * sizeof(T), &v, sizeof(T));
  }
}

llvm::Error CalibrationStats::accumulateF64(llvm::StringRef key,
                                            llvm::ArrayRef<int64_t> shape,
                                            llvm::ArrayRef<double> values) {
  auto t = getOrCreate(key, /*isF64=*/true, shape, values.size());
  if (!t)
    return t.takeError();
  addInto((*t)->owned, values);
  return llvm::Error::success();
}

llvm::Error CalibrationStats::accumulateI64(llvm::StringRef key,
                                            llvm::ArrayRef<int64_t> shape,
                                            llvm::ArrayRef<int64_t> values) {
  auto t = getOrCreate(key, /*isF64=*/false, shape, values.size());
  if (!t)
    return t.takeError();
  addInto((*t)->owned, values);
  return llvm::Error::success();
}

llvm::Error CalibrationStats::addInputCovariance(llvm::StringRef path,
                                                 MatrixRef<const double> xtx,
                                                 int64_t tokens) {
  if (xtx.rows != xtx.cols)
    return makeError(llvm::formatv("{0}: the covariance of '{1}' is {2}x{3}, "
                                   "not square",
                                   name, path, xtx.rows, xtx.cols));
  Matrix<double> copy = Matrix<double>::copyOf(xtx);
  if (llvm::Error err = accumulateF64((path + calib::kInputXtx).str(),
                                      {xtx.rows, xtx.cols}, copy.values()))
    return err;
  return accumulateI64((path + calib::kInputTokens).str(), {1}, {tokens});
}

static llvm::Expected<std::vector<double>>
stackHeads(llvm::ArrayRef<Matrix<double>> grams, llvm::StringRef what) {
  std::vector<double> values;
  for (const Matrix<double> &g : grams) {
    if (g.getRows() != grams[0].getRows() || g.getRows() != g.getCols())
      return makeError(what + ": the per-head Gram matrices must be square "
                              "and of one size");
    values.insert(values.end(), g.values().begin(), g.values().end());
  }
  return values;
}

llvm::Error
CalibrationStats::addQueryKeyGrams(llvm::StringRef qPath, llvm::StringRef kPath,
                                   llvm::ArrayRef<Matrix<double>> qGrams,
                                   llvm::ArrayRef<Matrix<double>> kGrams,
                                   int64_t tokens) {
  if (qGrams.empty() || kGrams.empty())
    return makeError(name + ": no per-head Gram matrices for '" + qPath + "'");
  auto q = stackHeads(qGrams, qPath);
  if (!q)
    return q.takeError();
  auto k = stackHeads(kGrams, kPath);
  if (!k)
    return k.takeError();
  int64_t d = qGrams[0].getRows(), dk = kGrams[0].getRows();
  if (llvm::Error err = accumulateF64((qPath + calib::kQGram).str(),
                                      {int64_t(qGrams.size()), d, d}, *q))
    return err;
  if (llvm::Error err = accumulateF64((kPath + calib::kKGram).str(),
                                      {int64_t(kGrams.size()), dk, dk}, *k))
    return err;
  return accumulateI64((qPath + calib::kQKTokens).str(), {1}, {tokens});
}

llvm::Error CalibrationStats::addBlockInfluence(llvm::StringRef blockPrefix,
                                                double sumOneMinusCos,
                                                int64_t tokens) {
  return accumulateF64((blockPrefix + calib::kBlockInfluence).str(), {2},
                       {sumOneMinusCos, double(tokens)});
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

llvm::Error CalibrationStats::write(llvm::StringRef path) const {
  // The header: every tensor in key order, data back to back (8-byte
  // elements, so each stays 8-aligned after the padded header).
  std::string header;
  {
    llvm::raw_string_ostream os(header);
    llvm::json::OStream j(os);
    j.object([&] {
      j.attributeObject("__metadata__", [&] {
        j.attribute("description", description);
        j.attribute("format", calib::kFormat);
        j.attribute("version", calib::kVersion);
      });
      int64_t offset = 0;
      for (const auto &entry : tensors) {
        const Tensor &t = entry.second;
        int64_t size = int64_t(t.bytes().size());
        j.attributeObject(entry.first, [&] {
          j.attribute("dtype", t.isF64 ? "F64" : "I64");
          j.attributeArray("shape", [&] {
            for (int64_t d : t.shape)
              j.value(d);
          });
          j.attributeArray("data_offsets", [&] {
            j.value(offset);
            j.value(offset + size);
          });
        });
        offset += size;
      }
    });
  }
  header.append((8 - header.size() % 8) % 8, ' ');

  llvm::Expected<llvm::sys::fs::TempFile> temp =
      llvm::sys::fs::TempFile::create(path + ".tmp-%%%%%%");
  if (!temp)
    return makeError("cannot write '" + path +
                     "': " + llvm::toString(temp.takeError()));
  {
    llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    uint64_t length = header.size();
    char lengthBytes[8];
    for (int i = 0; i < 8; ++i)
      lengthBytes[i] = char((length >> (8 * i)) & 0xff);
    os.write(lengthBytes, 8);
    os << header;
    for (const auto &entry : tensors) {
      llvm::ArrayRef<char> bytes = entry.second.bytes();
      os.write(bytes.data(), bytes.size());
    }
    os.flush();
    if (os.has_error()) {
      std::string message = os.error().message();
      os.clear_error();
      llvm::consumeError(temp->discard());
      return makeError("cannot write '" + path + "': " + message);
    }
  }
  if (llvm::Error err = temp->keep(path)) {
    std::string message = llvm::toString(std::move(err));
    llvm::consumeError(temp->discard());
    return makeError("cannot write '" + path + "': " + message);
  }
  return llvm::Error::success();
}
