//===- SafeTensorsTest.cpp - safetensors header validation ----------------===//

#include "peft/Support/SafeTensors.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace mlir::peft;

namespace {
/// A safetensors file: little-endian header length, `header`, `data`.
std::string makeFile(llvm::StringRef header, llvm::StringRef data,
                     uint64_t lengthField = ~uint64_t(0)) {
  uint64_t length = lengthField == ~uint64_t(0) ? header.size() : lengthField;
  std::string bytes;
  for (int i = 0; i < 8; ++i)
    bytes += char((length >> (8 * i)) & 0xff);
  return bytes + header.str() + data.str();
}

std::string floats(std::initializer_list<float> values) {
  std::string bytes(values.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), values.begin(), bytes.size());
  return bytes;
}

llvm::Expected<std::unique_ptr<SafeTensorsFile>>
parse(const std::string &bytes) {
  return SafeTensorsFile::parse(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "t.safetensors"),
      "t.safetensors");
}

/// The error text of a parse that must fail.
std::string errorOf(const std::string &bytes) {
  auto file = parse(bytes);
  EXPECT_FALSE(static_cast<bool>(file));
  return file ? "" : llvm::toString(file.takeError());
}

const char *kGoodHeader =
    R"({"__metadata__":{"format":"pt"},)"
    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},)"
    R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";

TEST(SafeTensors, ReadsTensorsAndMetadata) {
  auto file = parse(makeFile(kGoodHeader, floats({1, 2, 3, 4, 5, 6})));
  ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
  ASSERT_EQ((*file)->tensors().size(), 2u);
  EXPECT_EQ((*file)->tensors()[0].name, "a"); // sorted by name
  const SafeTensor *b = (*file)->lookup("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dtype, "F32");
  EXPECT_EQ(b->describe(), "F32[2]");
  float values[2];
  std::memcpy(values, b->data.data(), sizeof(values));
  EXPECT_EQ(values[0], 5.0f);
  EXPECT_EQ(values[1], 6.0f);
  EXPECT_EQ((*file)->lookup("c"), nullptr);
  EXPECT_EQ((*file)->metadata().at("format"), "pt");
}

TEST(SafeTensors, OpensAFileFromDisk) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("st", "safetensors", path));
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << makeFile(kGoodHeader, floats({1, 2, 3, 4, 5, 6}));
  }
  auto file = SafeTensorsFile::open(path);
  llvm::sys::fs::remove(path);
  ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
  EXPECT_EQ((*file)->lookup("a")->getNumElements(), 4);
}

TEST(SafeTensors, MissingFileNamesIt) {
  auto file = SafeTensorsFile::open("/nonexistent/x.safetensors");
  ASSERT_FALSE(static_cast<bool>(file));
  EXPECT_NE(llvm::toString(file.takeError()).find("/nonexistent/x.safetensors"),
            std::string::npos);
}

TEST(SafeTensors, EmptyTensorsAndScalars) {
  auto file = parse(
      makeFile(R"({"e":{"dtype":"BF16","shape":[0,3],"data_offsets":[0,0]},)"
               R"("s":{"dtype":"I64","shape":[],"data_offsets":[0,8]}})",
               std::string(8, '\0')));
  ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
  EXPECT_EQ((*file)->lookup("e")->data.size(), 0u);
  EXPECT_EQ((*file)->lookup("s")->getNumElements(), 1);
}

TEST(SafeTensors, TruncatedHeaderLength) {
  EXPECT_NE(errorOf("\x10\0\0").find("shorter than the 8-byte header length"),
            std::string::npos);
}

TEST(SafeTensors, HeaderLengthPastEndOfFile) {
  std::string text = errorOf(makeFile(kGoodHeader, "", 1000));
  EXPECT_NE(text.find("'t.safetensors': header length 1000 runs past the end"),
            std::string::npos)
      << text;
}

TEST(SafeTensors, TruncatedHeaderIsBadJSON) {
  // The length field agrees with the (cut) header; the JSON does not close.
  std::string header = kGoodHeader;
  std::string text =
      errorOf(makeFile(header.substr(0, header.size() - 10), ""));
  EXPECT_NE(text.find("bad JSON header"), std::string::npos) << text;
}

TEST(SafeTensors, BadJSON) {
  EXPECT_NE(errorOf(makeFile("{\"a\": ", "")).find("bad JSON header"),
            std::string::npos);
  EXPECT_NE(errorOf(makeFile("[1, 2]", "")).find("not an object"),
            std::string::npos);
  EXPECT_NE(errorOf(makeFile(R"({"__metadata__":{"k":1}})", ""))
                .find("'__metadata__' entry 'k' is not a string"),
            std::string::npos);
  EXPECT_NE(
      errorOf(
          makeFile(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})",
                   floats({1})))
          .find("tensor 'a': 'shape' must be an array of non-negative"),
      std::string::npos);
  EXPECT_NE(
      errorOf(makeFile(R"({"a":{"dtype":"F32","shape":[1]}})", floats({1})))
          .find("tensor 'a': 'data_offsets' must be [begin, end]"),
      std::string::npos);
  EXPECT_NE(
      errorOf(
          makeFile(
              R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":0}})",
              floats({1})))
          .find("unknown header field 'x'"),
      std::string::npos);
}

TEST(SafeTensors, OffsetsOutOfRange) {
  std::string text = errorOf(
      makeFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
               floats({1, 2})));
  EXPECT_NE(text.find("tensor 'a': data_offsets [4, 12] are out of range of "
                      "the data section (8 bytes)"),
            std::string::npos)
      << text;
  EXPECT_NE(
      errorOf(
          makeFile(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})",
                   floats({1, 2})))
          .find("out of range"),
      std::string::npos);
}

TEST(SafeTensors, SizeShapeMismatch) {
  std::string text = errorOf(
      makeFile(R"({"a":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}})",
               floats({1, 2})));
  EXPECT_NE(text.find("tensor 'a': 8 bytes of data for F16[3], which needs 6"),
            std::string::npos)
      << text;
  text = errorOf(makeFile(
      R"({"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
      floats({1, 2})));
  EXPECT_NE(text.find("more than 2^63"), std::string::npos) << text;
}

// Untrusted sizes: products that overflow, and shapes that claim more bytes
// than the data section holds, are errors that name the tensor and the file.
TEST(SafeTensors, ShapeProductOverflow) {
  // 2^40 * 2^40 overflows; a saturating product followed by the last size 1
  // used to forget that and report a made-up size.
  std::string text = errorOf(makeFile(
      R"({"w":{"dtype":"F32","shape":[1099511627776,1099511627776,1],"data_offsets":[0,8]}})",
      floats({1, 2})));
  EXPECT_NE(text.find("'t.safetensors'"), std::string::npos) << text;
  EXPECT_NE(text.find("tensor 'w': 8 bytes of data for "
                      "F32[1099511627776x1099511627776x1], which needs more "
                      "than 2^63"),
            std::string::npos)
      << text;
  // A trailing 0 brought the saturated product back to 0 and the tensor was
  // accepted as empty, with sizes whose strides overflow.
  text = errorOf(makeFile(
      R"({"w":{"dtype":"F32","shape":[1099511627776,1099511627776,0],"data_offsets":[0,0]}})",
      ""));
  EXPECT_NE(text.find("tensor 'w': 0 bytes of data for "
                      "F32[1099511627776x1099511627776x0], which needs more "
                      "than 2^63"),
            std::string::npos)
      << text;
  // Element count fits, byte count does not: 2^62 elements of 8 bytes.
  text = errorOf(makeFile(
      R"({"w":{"dtype":"I64","shape":[4611686018427387904],"data_offsets":[0,8]}})",
      floats({1, 2})));
  EXPECT_NE(text.find("which needs more than 2^63"), std::string::npos) << text;
  // Sizes past int64 are not integers the reader accepts at all.
  text = errorOf(makeFile(
      R"({"w":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,8]}})",
      floats({1, 2})));
  EXPECT_NE(text.find("tensor 'w': 'shape' must be an array of non-negative "
                      "integers"),
            std::string::npos)
      << text;
}

TEST(SafeTensors, ShapeClaimsMoreBytesThanPresent) {
  // 2^40 floats (4 TiB) backed by 8 bytes: compared, never allocated.
  std::string text = errorOf(makeFile(
      R"({"w":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,8]}})",
      floats({1, 2})));
  EXPECT_NE(text.find("tensor 'w': 8 bytes of data for F32[1099511627776], "
                      "which needs 4398046511104"),
            std::string::npos)
      << text;
  // Offsets that claim more than the data section holds.
  text = errorOf(makeFile(
      R"({"w":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4398046511104]}})",
      floats({1, 2})));
  EXPECT_NE(text.find("tensor 'w': data_offsets [0, 4398046511104] are out of "
                      "range of the data section (8 bytes)"),
            std::string::npos)
      << text;
  // An empty tensor with sizes that fit is fine.
  auto file = parse(makeFile(
      R"({"w":{"dtype":"F32","shape":[0,1099511627776],"data_offsets":[0,0]}})",
      ""));
  ASSERT_TRUE(static_cast<bool>(file)) << llvm::toString(file.takeError());
  EXPECT_EQ((*file)->lookup("w")->getNumElements(), 0);
}

TEST(SafeTensors, Overlapping) {
  std::string text = errorOf(
      makeFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
               floats({1, 2, 3})));
  EXPECT_NE(text.find("tensor 'b': data overlaps tensor 'a'"),
            std::string::npos)
      << text;
}

TEST(SafeTensors, UnknownDType) {
  std::string text = errorOf(
      makeFile(R"({"a":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}})",
               floats({1})));
  EXPECT_NE(text.find("tensor 'a': unknown or unsupported dtype 'F12'"),
            std::string::npos)
      << text;
}

TEST(SafeTensors, DTypeSizes) {
  EXPECT_EQ(getSafeTensorsDTypeSize("F64"), 8u);
  EXPECT_EQ(getSafeTensorsDTypeSize("BF16"), 2u);
  EXPECT_EQ(getSafeTensorsDTypeSize("BOOL"), 1u);
  EXPECT_EQ(getSafeTensorsDTypeSize("U32"), 4u);
  EXPECT_EQ(getSafeTensorsDTypeSize("f32"), 0u);
}
} // namespace
