//===- TensorFilesTest.cpp - .npy reader and writer, tensor comparison ----===//

#include "TensorFileTesting.h"
#include "peft/Support/Npy.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace mlir::peft;
using namespace mlir::peft::test;

namespace {
/// A .npy file: magic, version, header padded to 64 bytes, then `data`.
std::string makeNpy(llvm::StringRef dict, llvm::StringRef data,
                    char major = 1) {
  std::string header = dict.str();
  size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64)
    header += ' ';
  header += '\n';
  std::string bytes = std::string("\x93NUMPY", 6) + major + '\0';
  if (major == 1) {
    bytes += char(header.size() & 0xff);
    bytes += char(header.size() >> 8);
  } else {
    for (int i = 0; i < 4; ++i)
      bytes += char((header.size() >> (8 * i)) & 0xff);
  }
  return bytes + header + data.str();
}

TEST(Npy, ReadsFloat32) {
  auto t = parseNpy(makeNpy("{'descr': '<f4', 'fortran_order': False, "
                            "'shape': (2, 3), }",
                            rawBytes<float>({1, 2, 3, 4, 5, 6})),
                    "x.npy");
  ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  EXPECT_EQ(t->getKind(), ElementKind::F32);
  EXPECT_EQ(t->getShape(), llvm::ArrayRef<int64_t>({2, 3}));
  EXPECT_EQ(t->getValues<float>()[5], 6.0f);
  EXPECT_EQ(t->describe(), "f32[2x3]");
}

TEST(Npy, HeaderKeysInAnyOrderVersion2AndScalar) {
  auto t = parseNpy(makeNpy("{\"shape\": (), \"fortran_order\": False, "
                            "\"descr\": \"<i8\"}",
                            rawBytes<int64_t>({-7}), /*major=*/2),
                    "s.npy");
  ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  EXPECT_EQ(t->getRank(), 0);
  EXPECT_EQ(t->getValues<int64_t>()[0], -7);
}

TEST(Npy, FortranOrderIsTransposedToRowMajor) {
  // Column-major [[1, 2, 3], [4, 5, 6]] is stored 1 4 2 5 3 6.
  auto t = parseNpy(makeNpy("{'descr': '<i4', 'fortran_order': True, "
                            "'shape': (2, 3), }",
                            rawBytes<int32_t>({1, 4, 2, 5, 3, 6})),
                    "f.npy");
  ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  EXPECT_EQ(t->getValues<int32_t>().vec(),
            std::vector<int32_t>({1, 2, 3, 4, 5, 6}));
}

TEST(Npy, BigEndianIsSwapped) {
  std::string data("\x00\x00\x00\x01\x00\x00\x01\x00", 8);
  auto t = parseNpy(makeNpy("{'descr': '>u4', 'fortran_order': False, "
                            "'shape': (2,), }",
                            data),
                    "b.npy");
  ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  EXPECT_EQ(t->getValues<uint32_t>().vec(), std::vector<uint32_t>({1, 256}));
}

TEST(Npy, BoolAndFloat16) {
  auto b = parseNpy(makeNpy("{'descr': '|b1', 'fortran_order': False, "
                            "'shape': (3,), }",
                            std::string("\x01\x00\x01", 3)),
                    "b.npy");
  ASSERT_TRUE(static_cast<bool>(b)) << llvm::toString(b.takeError());
  EXPECT_EQ(b->getKind(), ElementKind::Bool);
  EXPECT_EQ(getElementAsDouble(*b, 2), 1.0);
  // 0x3c00 = 1.0, 0xc000 = -2.0 in IEEE half precision.
  auto h = parseNpy(makeNpy("{'descr': '<f2', 'fortran_order': False, "
                            "'shape': (2,), }",
                            rawBytes<uint16_t>({0x3c00, 0xc000})),
                    "h.npy");
  ASSERT_TRUE(static_cast<bool>(h)) << llvm::toString(h.takeError());
  EXPECT_EQ(getElementAsDouble(*h, 0), 1.0);
  EXPECT_EQ(getElementAsDouble(*h, 1), -2.0);
}

TEST(Npy, Errors) {
  EXPECT_NE(errorText(parseNpy("not numpy", "a.npy")).find("bad magic"),
            std::string::npos);
  std::string msg = errorText(parseNpy(
      makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }",
              rawBytes<float>({1, 2})),
      "short.npy"));
  EXPECT_NE(msg.find("'short.npy'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("needs 16"), std::string::npos) << msg;
  msg = errorText(parseNpy(
      makeNpy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
              rawBytes<float>({1, 2})),
      "c.npy"));
  EXPECT_NE(msg.find("unsupported dtype '<c8'"), std::string::npos) << msg;
  msg = errorText(
      parseNpy(makeNpy("{'descr': [('a', '<f4')], 'fortran_order': False, "
                       "'shape': (1,), }",
                       rawBytes<float>({1})),
               "s.npy"));
  EXPECT_NE(msg.find("structured"), std::string::npos) << msg;
  msg = errorText(
      parseNpy(std::string("\x93NUMPY\x01\x00\x50\x00{", 11), "t.npy"));
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  msg = errorText(readNpyFile("/nonexistent/x.npy"));
  EXPECT_NE(msg.find("cannot read '/nonexistent/x.npy'"), std::string::npos)
      << msg;
}

// Untrusted sizes: the header's shape is checked against the payload with
// products that cannot wrap around, before anything is allocated.
TEST(Npy, ShapeProductOverflow) {
  // 2^32 * 2^32 wraps to 0, which "matched" the empty payload.
  std::string msg =
      errorText(parseNpy(makeNpy("{'descr': '<f4', 'fortran_order': False, "
                                 "'shape': (4294967296, 4294967296), }",
                                 ""),
                         "huge.npy"));
  EXPECT_NE(msg.find("'huge.npy'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("f32[4294967296x4294967296] has more than 2^63 bytes"),
            std::string::npos)
      << msg;
  // The element count fits, the byte count does not.
  msg = errorText(parseNpy(makeNpy("{'descr': '<f8', 'fortran_order': False, "
                                   "'shape': (4611686018427387904,), }",
                                   ""),
                           "bytes.npy"));
  EXPECT_NE(msg.find("has more than 2^63 bytes"), std::string::npos) << msg;
  // No elements, but sizes whose product (a stride) overflows.
  msg = errorText(parseNpy(makeNpy("{'descr': '<f4', 'fortran_order': True, "
                                   "'shape': (0, 4294967296, 4294967296), }",
                                   ""),
                           "empty.npy"));
  EXPECT_NE(msg.find("has more than 2^63 bytes"), std::string::npos) << msg;
  // Sizes past int64 are not integers at all.
  msg = errorText(parseNpy(makeNpy("{'descr': '<f4', 'fortran_order': False, "
                                   "'shape': (18446744073709551616,), }",
                                   ""),
                           "big.npy"));
  EXPECT_NE(msg.find("'shape' must hold non-negative integers"),
            std::string::npos)
      << msg;
}

TEST(Npy, HeaderClaimsMoreBytesThanPresent) {
  // 2^40 floats (4 TiB) with 8 bytes of payload: an error, not an attempt to
  // allocate 4 TiB.
  std::string msg =
      errorText(parseNpy(makeNpy("{'descr': '<f4', 'fortran_order': False, "
                                 "'shape': (1099511627776,), }",
                                 rawBytes<float>({1, 2})),
                         "claims.npy"));
  EXPECT_NE(msg.find("'claims.npy'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("data holds 8 bytes, but f32[1099511627776] needs "
                     "4398046511104"),
            std::string::npos)
      << msg;
  // An empty tensor with sizes that fit reads.
  auto t = parseNpy(makeNpy("{'descr': '<f4', 'fortran_order': False, "
                            "'shape': (0, 1099511627776), }",
                            ""),
                    "empty.npy");
  ASSERT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  EXPECT_EQ(t->getNumElements(), 0);
}

TEST(Npy, WriteReadRoundTrip) {
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{}, {5}, {2, 3}, {2, 0, 4}}) {
    HostTensor t(ElementKind::F64, shape);
    for (auto [i, v] : llvm::enumerate(t.getMutableValues<double>()))
      v = double(i) * 0.5;
    std::string bytes;
    llvm::raw_string_ostream os(bytes);
    ASSERT_FALSE(static_cast<bool>(writeNpy(os, t)));
    EXPECT_EQ((bytes.find('\n') + 1) % 64, size_t(0)) << "header is padded";
    auto back = parseNpy(bytes, "rt.npy");
    ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
    EXPECT_EQ(back->getShape(), t.getShape());
    EXPECT_EQ(back->getBytes(), t.getBytes());
  }
}

TEST(Npy, WriteFileLeavesNothingOnFailure) {
  HostTensor bf(ElementKind::BF16, {2});
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("npy-test", dir));
  llvm::SmallString<128> path(dir);
  llvm::sys::path::append(path, "bf.npy");
  llvm::Error err = writeNpyFile(path, bf);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("NumPy has no bf16"),
            std::string::npos);
  std::error_code ec;
  llvm::sys::fs::directory_iterator it(dir, ec), end;
  EXPECT_TRUE(it == end) << "left " << it->path();
  llvm::sys::fs::remove_directories(dir);
}

TEST(Compare, AllcloseSemantics) {
  HostTensor a(ElementKind::F32, {3}), b(ElementKind::F32, {3});
  auto av = a.getMutableValues<float>(), bv = b.getMutableValues<float>();
  av[0] = 1.0f, bv[0] = 1.0f;
  av[1] = 2.001f, bv[1] = 2.0f;
  av[2] = 0.0f, bv[2] = 0.0f;
  CompareResult ok = compareTensors(a, b, /*rtol=*/1e-3, /*atol=*/0);
  EXPECT_EQ(ok.numMismatches, 0);
  EXPECT_NEAR(ok.maxRelError, 5e-4, 1e-5);
  CompareResult bad = compareTensors(a, b, /*rtol=*/1e-4, /*atol=*/0);
  EXPECT_EQ(bad.numMismatches, 1);
  EXPECT_EQ(bad.worstIndex, 1);
}
} // namespace
