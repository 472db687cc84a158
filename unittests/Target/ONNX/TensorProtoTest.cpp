//===- TensorProtoTest.cpp - ONNX TensorProto files <-> HostTensor --------===//

#include "peft/Target/ONNX/TensorProto.h"
#include "../../Support/TensorFileTesting.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace mlir::peft;
using namespace mlir::peft::test;

namespace {
TEST(TensorProto, RoundTripAndTypedFields) {
  HostTensor t(ElementKind::I64, {2, 2});
  auto values = t.getMutableValues<int64_t>();
  for (int i = 0; i < 4; ++i)
    values[i] = i - 2;
  std::string name;
  auto back = parseTensorProto(serializeTensorProto(t, "ids"), "ids.pb", &name);
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(name, "ids");
  EXPECT_EQ(back->getShape(), t.getShape());
  EXPECT_EQ(back->getBytes(), t.getBytes());
  EXPECT_NE(errorText(parseTensorProto("\xff\xff", "bad.pb")).find("'bad.pb'"),
            std::string::npos);
}

/// A serialized TensorProto written field by field, so that tests can claim
/// shapes no HostTensor could hold: dims (1), data_type (2), float_data (4,
/// packed), name (8), raw_data (9).
struct ProtoWriter {
  std::string bytes;
  void varint(uint64_t v) {
    for (; v >= 0x80; v >>= 7)
      bytes += char(v | 0x80);
    bytes += char(v);
  }
  void tag(int field, int wireType) { varint(uint64_t(field) << 3 | wireType); }
  void lengthDelimited(int field, llvm::StringRef data) {
    tag(field, 2);
    varint(data.size());
    bytes += data.str();
  }
  ProtoWriter &dims(std::initializer_list<int64_t> sizes) {
    for (int64_t d : sizes) {
      tag(1, 0);
      varint(uint64_t(d));
    }
    return *this;
  }
  ProtoWriter &dataType(int type) {
    tag(2, 0);
    varint(type);
    return *this;
  }
  ProtoWriter &floatData(std::initializer_list<float> values) {
    lengthDelimited(4, rawBytes<float>(values));
    return *this;
  }
  ProtoWriter &name(llvm::StringRef n) {
    lengthDelimited(8, n);
    return *this;
  }
  ProtoWriter &rawData(llvm::StringRef data) {
    lengthDelimited(9, data);
    return *this;
  }
};

constexpr int kFloat = 1, kDouble = 11;

TEST(TensorProto, WriterMatchesTheProtobufEncoding) {
  HostTensor t(ElementKind::F32, {2});
  t.getMutableValues<float>()[0] = 1.5f;
  t.getMutableValues<float>()[1] = -2.0f;
  auto back = parseTensorProto(ProtoWriter()
                                   .dims({2})
                                   .dataType(kFloat)
                                   .name("w")
                                   .rawData(rawBytes<float>({1.5f, -2.0f}))
                                   .bytes,
                               "w.pb");
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->getBytes(), t.getBytes());
  back = parseTensorProto(
      ProtoWriter().dims({2}).dataType(kFloat).floatData({1.5f, -2.0f}).bytes,
      "w.pb");
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->getBytes(), t.getBytes());
}

TEST(TensorProto, ShapeProductOverflow) {
  // 2^32 * 2^32 wraps to 0, which "matched" an empty float_data.
  std::string msg = errorText(parseTensorProto(ProtoWriter()
                                                   .dims({1LL << 32, 1LL << 32})
                                                   .dataType(kFloat)
                                                   .name("w")
                                                   .bytes,
                                               "huge.pb"));
  EXPECT_NE(msg.find("'huge.pb'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("tensor 'w': the shape of f32[4294967296x4294967296] has "
                     "more than 2^63 bytes"),
            std::string::npos)
      << msg;
  // Four sizes of 65536, as in the ONNX initializer regression.
  msg = errorText(parseTensorProto(ProtoWriter()
                                       .dims({65536, 65536, 65536, 65536})
                                       .dataType(kFloat)
                                       .rawData("")
                                       .bytes,
                                   "raw.pb"));
  EXPECT_NE(msg.find("has more than 2^63 bytes"), std::string::npos) << msg;
  // 2^62 doubles: the element count fits, the byte count does not.
  msg = errorText(parseTensorProto(
      ProtoWriter().dims({1LL << 62}).dataType(kDouble).bytes, "bytes.pb"));
  EXPECT_NE(msg.find("has more than 2^63 bytes"), std::string::npos) << msg;
  // A negative size.
  msg = errorText(parseTensorProto(
      ProtoWriter().dims({2, -3}).dataType(kFloat).bytes, "neg.pb"));
  EXPECT_NE(msg.find("negative dimension -3"), std::string::npos) << msg;
}

TEST(TensorProto, ShapeClaimsMoreBytesThanPresent) {
  // 2^40 floats (4 TiB) backed by 8 bytes: compared, never allocated.
  std::string msg =
      errorText(parseTensorProto(ProtoWriter()
                                     .dims({1LL << 40})
                                     .dataType(kFloat)
                                     .name("w")
                                     .rawData(rawBytes<float>({1, 2}))
                                     .bytes,
                                 "claims.pb"));
  EXPECT_NE(msg.find("'claims.pb'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("tensor 'w': raw_data holds 8 bytes, but "
                     "f32[1099511627776] needs 4398046511104"),
            std::string::npos)
      << msg;
  msg = errorText(parseTensorProto(
      ProtoWriter().dims({1LL << 40}).dataType(kFloat).floatData({1, 2}).bytes,
      "typed.pb"));
  EXPECT_NE(msg.find("float_data holds 2 values, but f32[1099511627776] needs "
                     "1099511627776"),
            std::string::npos)
      << msg;
}

TEST(TensorProto, Uint16ReadAsBFloat16WhenExpected) {
  // onnx < 1.14 wrote bfloat16 test data as UINT16 protos of the same bits.
  HostTensor bits(ElementKind::U16, {2});
  bits.getMutableValues<uint16_t>()[0] = 0x3f80; // 1.0
  bits.getMutableValues<uint16_t>()[1] = 0xc040; // -3.0
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("bf16", "pb", path));
  ASSERT_FALSE(static_cast<bool>(writeTensorProtoFile(path, bits, "x")));
  auto asBF16 = readTensorFile(path, ElementKind::BF16);
  ASSERT_TRUE(static_cast<bool>(asBF16)) << llvm::toString(asBF16.takeError());
  EXPECT_EQ(asBF16->getKind(), ElementKind::BF16);
  EXPECT_EQ(getElementAsDouble(*asBF16, 0), 1.0);
  EXPECT_EQ(getElementAsDouble(*asBF16, 1), -3.0);
  // Other expectations leave the kind alone for the caller to check.
  auto asF16 = readTensorFile(path, ElementKind::F16);
  ASSERT_TRUE(static_cast<bool>(asF16)) << llvm::toString(asF16.takeError());
  EXPECT_EQ(asF16->getKind(), ElementKind::U16);
  llvm::sys::fs::remove(path);
}
} // namespace
