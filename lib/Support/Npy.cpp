//===- Npy.cpp - NumPy .npy files <-> HostTensor --------------------------===//
//
// The header is a Python dict literal, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// parsed here by a small scanner that accepts exactly the three keys NumPy
// writes (any order, any spacing, trailing commas).
//
//===----------------------------------------------------------------------===//

#include "peft/Support/Npy.h"
#include "peft/Support/Diagnostics.h"
#include "peft/Support/ShapeArithmetic.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>

using namespace mlir::peft;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace {
constexpr StringRef kMagic("\x93NUMPY", 6);

/// The three fields of a .npy header.
struct Header {
  std::string descr;
  bool fortranOrder = false;
  llvm::SmallVector<int64_t, 4> shape;
};

/// Scans the header dict; every method consumes leading spaces first.
class HeaderScanner {
public:
  HeaderScanner(StringRef text, StringRef name) : text(text), name(name) {}

  Expected<Header> parse() {
    Header header;
    bool seenDescr = false, seenOrder = false, seenShape = false;
    if (!consume('{'))
      return error("expected '{'");
    while (!consume('}')) {
      std::string key;
      if (!parseString(key))
        return error("expected a quoted key");
      if (!consume(':'))
        return error("expected ':' after '" + key + "'");
      if (key == "descr") {
        if (!parseString(header.descr))
          return error("'descr' must be a simple type string such as '<f4' "
                       "(structured dtypes are not supported)");
        seenDescr = true;
      } else if (key == "fortran_order") {
        skipSpaces();
        if (text.consume_front("True"))
          header.fortranOrder = true;
        else if (!text.consume_front("False"))
          return error("'fortran_order' must be True or False");
        seenOrder = true;
      } else if (key == "shape") {
        if (Error err = parseShape(header.shape))
          return std::move(err);
        seenShape = true;
      } else {
        return error("unknown header key '" + key + "'");
      }
      if (!consume(',') && !peek('}'))
        return error("expected ',' or '}'");
    }
    if (!seenDescr || !seenOrder || !seenShape)
      return error("header lacks 'descr', 'fortran_order' or 'shape'");
    return header;
  }

private:
  void skipSpaces() { text = text.ltrim(" \t\n"); }
  bool consume(char c) {
    skipSpaces();
    return text.consume_front(StringRef(&c, 1));
  }
  bool peek(char c) {
    skipSpaces();
    return text.starts_with(StringRef(&c, 1));
  }
  bool parseString(std::string &out) {
    skipSpaces();
    if (text.empty() || (text[0] != '\'' && text[0] != '"'))
      return false;
    char quote = text[0];
    size_t end = text.find(quote, 1);
    if (end == StringRef::npos)
      return false;
    out = text.slice(1, end).str();
    text = text.drop_front(end + 1);
    return true;
  }
  Error parseShape(llvm::SmallVectorImpl<int64_t> &shape) {
    if (!consume('('))
      return error("'shape' must be a tuple");
    while (!consume(')')) {
      skipSpaces();
      size_t digits = text.find_first_not_of("0123456789");
      int64_t size;
      if (digits == 0 || text.take_front(digits).getAsInteger(10, size))
        return error("'shape' must hold non-negative integers");
      text = text.drop_front(digits);
      shape.push_back(size);
      if (!consume(',') && !peek(')'))
        return error("expected ',' or ')' in 'shape'");
    }
    return Error::success();
  }
  Error error(const llvm::Twine &message) {
    return fileError(name, "malformed .npy header: " + message);
  }

  StringRef text;
  StringRef name;
};

/// Maps a descr such as "<f4" to an element kind; sets `bigEndian`.
Expected<ElementKind> parseDescr(StringRef descr, StringRef name,
                                 bool &bigEndian) {
  if (descr.size() < 3)
    return fileError(name, "unsupported dtype '" + descr + "'");
  char order = descr[0];
  bigEndian = order == '>' || (order == '=' && llvm::endianness::native ==
                                                   llvm::endianness::big);
  if (order != '<' && order != '>' && order != '|' && order != '=')
    return fileError(name, "unsupported dtype '" + descr + "'");
  StringRef type = descr.drop_front();
  std::optional<ElementKind> kind;
  if (type == "b1")
    kind = ElementKind::Bool;
  else if (type == "i1")
    kind = ElementKind::I8;
  else if (type == "i2")
    kind = ElementKind::I16;
  else if (type == "i4")
    kind = ElementKind::I32;
  else if (type == "i8")
    kind = ElementKind::I64;
  else if (type == "u1")
    kind = ElementKind::U8;
  else if (type == "u2")
    kind = ElementKind::U16;
  else if (type == "u4")
    kind = ElementKind::U32;
  else if (type == "u8")
    kind = ElementKind::U64;
  else if (type == "f2")
    kind = ElementKind::F16;
  else if (type == "f4")
    kind = ElementKind::F32;
  else if (type == "f8")
    kind = ElementKind::F64;
  if (!kind)
    return fileError(name, "unsupported dtype '" + descr +
                               "' (expected bool, int8-64, uint8-64 or "
                               "float16/32/64)");
  return *kind;
}

/// Byte-swaps every element in place.
void byteSwap(HostTensor &tensor) {
  size_t width = getElementSize(tensor.getKind());
  char *p = static_cast<char *>(tensor.getData());
  for (int64_t i = 0, e = tensor.getNumElements(); i < e; ++i, p += width)
    std::reverse(p, p + width);
}

/// Reorders a column-major copy into row-major order.
HostTensor fromFortranOrder(const HostTensor &src) {
  HostTensor dst(src.getKind(), src.getShape());
  llvm::ArrayRef<int64_t> shape = src.getShape();
  size_t width = getElementSize(src.getKind());
  int64_t rank = shape.size();
  llvm::SmallVector<int64_t, 4> index(rank, 0);
  // Column-major strides, in elements.
  llvm::SmallVector<int64_t, 4> strides(rank, 1);
  for (int64_t d = 1; d < rank; ++d)
    strides[d] = strides[d - 1] * shape[d - 1];
  const char *in = static_cast<const char *>(src.getData());
  char *out = static_cast<char *>(dst.getData());
  for (int64_t i = 0, e = src.getNumElements(); i < e; ++i) {
    int64_t offset = 0;
    for (int64_t d = 0; d < rank; ++d)
      offset += index[d] * strides[d];
    std::memcpy(out + i * width, in + offset * width, width);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  return dst;
}

std::string descrFor(ElementKind kind) {
  switch (kind) {
  case ElementKind::Bool:
    return "|b1";
  case ElementKind::I8:
    return "|i1";
  case ElementKind::U8:
    return "|u1";
  case ElementKind::I16:
    return "<i2";
  case ElementKind::I32:
    return "<i4";
  case ElementKind::I64:
    return "<i8";
  case ElementKind::U16:
    return "<u2";
  case ElementKind::U32:
    return "<u4";
  case ElementKind::U64:
    return "<u8";
  case ElementKind::F16:
    return "<f2";
  case ElementKind::F32:
    return "<f4";
  case ElementKind::F64:
    return "<f8";
  case ElementKind::BF16:
    return "";
  }
  return "";
}
} // namespace

Expected<HostTensor> mlir::peft::parseNpy(StringRef bytes, StringRef name) {
  if (!bytes.starts_with(kMagic))
    return fileError(name, "not a .npy file (bad magic)");
  if (bytes.size() < 10)
    return fileError(name, "truncated .npy header");
  unsigned major = uint8_t(bytes[6]);
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = llvm::support::endian::read16le(bytes.data() + 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fileError(name, "truncated .npy header");
    headerLen = llvm::support::endian::read32le(bytes.data() + 8);
    headerStart = 12;
  } else {
    return fileError(name,
                     "unsupported .npy format version " + llvm::Twine(major));
  }
  if (bytes.size() < headerStart + headerLen)
    return fileError(name, "truncated .npy header");
  Expected<Header> header =
      HeaderScanner(bytes.substr(headerStart, headerLen), name).parse();
  if (!header)
    return header.takeError();
  bool bigEndian = false;
  Expected<ElementKind> kind = parseDescr(header->descr, name, bigEndian);
  if (!kind)
    return kind.takeError();

  // The header is untrusted: its size is checked against the payload before
  // anything is allocated, with a product that cannot wrap around.
  std::string described =
      HostTensor::view(*kind, header->shape, nullptr, nullptr).describe();
  std::optional<int64_t> numBytes =
      getCheckedNumBytes(header->shape, getElementSize(*kind));
  if (!numBytes)
    return fileError(name, "malformed .npy header: the shape of " + described +
                               " has more than 2^63 bytes");
  StringRef payload = bytes.drop_front(headerStart + headerLen);
  if (payload.size() != uint64_t(*numBytes))
    return fileError(name, "data holds " + llvm::Twine(payload.size()) +
                               " bytes, but " + described + " needs " +
                               llvm::Twine(*numBytes));
  HostTensor tensor(*kind, header->shape);
  std::memcpy(tensor.getData(), payload.data(), payload.size());
  if (bigEndian && getElementSize(*kind) > 1)
    byteSwap(tensor);
  if (header->fortranOrder && tensor.getRank() > 1)
    return fromFortranOrder(tensor);
  return tensor;
}

Expected<HostTensor> mlir::peft::readNpyFile(StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   "cannot read '" + path +
                                       "': " + buffer.getError().message());
  return parseNpy((*buffer)->getBuffer(), path);
}

Error mlir::peft::writeNpy(llvm::raw_ostream &os, const HostTensor &tensor) {
  std::string descr = descrFor(tensor.getKind());
  if (descr.empty())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "cannot write " + tensor.describe() + " as .npy: NumPy has no " +
            getElementKindName(tensor.getKind()) + " type");
  // NumPy's tuple spelling: (), (5,), (2, 3).
  std::string shape;
  for (auto [i, size] : llvm::enumerate(tensor.getShape()))
    shape += (i ? ", " : "") + std::to_string(size);
  if (tensor.getRank() == 1)
    shape += ",";
  std::string dict = "{'descr': '" + descr +
                     "', 'fortran_order': False, 'shape': (" + shape + ")";
  dict += ", }";
  // Magic, version, length, dict, then spaces and '\n' to a multiple of 64.
  bool v2 = dict.size() + 11 > 65535;
  size_t prefix = v2 ? 12 : 10;
  size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';
  os << kMagic << char(v2 ? 2 : 1) << char(0);
  char len[4];
  if (v2) {
    llvm::support::endian::write32le(len, dict.size());
    os.write(len, 4);
  } else {
    llvm::support::endian::write16le(len, dict.size());
    os.write(len, 2);
  }
  os << dict;
  if (llvm::endianness::native == llvm::endianness::little ||
      getElementSize(tensor.getKind()) == 1) {
    llvm::ArrayRef<char> bytes = tensor.getBytes();
    os.write(bytes.data(), bytes.size());
  } else {
    HostTensor copy(tensor.getKind(), tensor.getShape());
    std::memcpy(copy.getData(), tensor.getData(), tensor.getNumBytes());
    byteSwap(copy);
    os.write(static_cast<const char *>(copy.getData()), copy.getNumBytes());
  }
  return Error::success();
}

Error mlir::peft::writeNpyFile(StringRef path, const HostTensor &tensor) {
  Error err = llvm::writeToOutput(
      path, [&](llvm::raw_ostream &os) { return writeNpy(os, tensor); });
  if (err)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot write '" + path +
                                       "': " + llvm::toString(std::move(err)));
  return Error::success();
}
