//===- CalibrationStatsTest.cpp - the calibration statistics file ---------===//

#include "peft/Support/CalibrationStats.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <cstring>

using namespace mlir::peft;
using numerics::Matrix;

namespace {

std::string errorOf(llvm::Error err) { return llvm::toString(std::move(err)); }
template <typename T> std::string errorOf(llvm::Expected<T> value) {
  EXPECT_FALSE(bool(value));
  return value ? "" : llvm::toString(value.takeError());
}

struct TempDir {
  llvm::SmallString<128> path;
  TempDir() {
    EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("calib-test", path));
  }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
  std::string file(llvm::StringRef name) const {
    llvm::SmallString<128> p(path);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
};

Matrix<double> matrix(int64_t n, double base) {
  Matrix<double> m(n, n);
  for (int64_t i = 0; i < n * n; ++i)
    m.values()[i] = base + double(i);
  return m;
}

TEST(CalibrationStats, AccumulatesWritesAndReadsBack) {
  TempDir dir;
  CalibrationStats stats;
  ASSERT_FALSE(bool(stats.addInputCovariance("m.l.0.down", matrix(3, 1), 5)));
  ASSERT_FALSE(bool(stats.addInputCovariance("m.l.0.down", matrix(3, 10), 7)));
  std::vector<Matrix<double>> q = {matrix(2, 0), matrix(2, 4)};
  std::vector<Matrix<double>> k = {matrix(2, 100)};
  ASSERT_FALSE(bool(stats.addQueryKeyGrams("m.l.0.q", "m.l.0.k", q, k, 12)));
  ASSERT_FALSE(bool(stats.addBlockInfluence("m.l.0", 1.5, 12)));
  ASSERT_FALSE(bool(stats.addBlockInfluence("m.l.0", 0.5, 4)));
  stats.setDescription(R"({"samples": 2})");
  std::string path = dir.file("stats.safetensors");
  ASSERT_FALSE(bool(stats.write(path)));

  // The header length is 8-aligned and so is every tensor's data.
  auto buffer = llvm::MemoryBuffer::getFile(path);
  ASSERT_TRUE(bool(buffer));
  uint64_t headerLength;
  std::memcpy(&headerLength, (*buffer)->getBufferStart(), 8);
  EXPECT_EQ(headerLength % 8, 0u);

  auto read = CalibrationStats::read(path);
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  EXPECT_EQ(read->getDescription(), R"({"samples": 2})");
  auto c = read->getInputCovariance("m.l.0.down", 3);
  ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
  EXPECT_EQ(c->tokens, 12);
  for (int64_t i = 0; i < 9; ++i)
    EXPECT_EQ(c->xtx.values()[i], 11.0 + 2.0 * double(i));
  auto qg = read->getQueryGrams("m.l.0.q", 2, 2);
  ASSERT_TRUE(bool(qg)) << llvm::toString(qg.takeError());
  EXPECT_EQ(qg->tokens, 12);
  EXPECT_EQ(qg->heads[1](1, 1), 7.0);
  auto kg = read->getKeyGrams("m.l.0.k", "m.l.0.q", 1, 2);
  ASSERT_TRUE(bool(kg)) << llvm::toString(kg.takeError());
  EXPECT_EQ(kg->heads[0](0, 1), 101.0);
  auto b = read->getBlockInfluence("m.l.0");
  ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
  EXPECT_EQ(b->sum, 2.0);
  EXPECT_EQ(b->tokens, 16);
  EXPECT_DOUBLE_EQ(b->score(), 0.125);

  // Accumulating into statistics read from a file copies them first.
  ASSERT_FALSE(bool(read->addInputCovariance("m.l.0.down", matrix(3, 0), 1)));
  auto again = read->getInputCovariance("m.l.0.down", 3);
  ASSERT_TRUE(bool(again));
  EXPECT_EQ(again->tokens, 13);
  EXPECT_EQ(again->xtx(0, 0), 11.0);
}

TEST(CalibrationStats, ErrorsNameFileAndKey) {
  TempDir dir;
  CalibrationStats stats;
  ASSERT_FALSE(bool(stats.addInputCovariance("x", matrix(3, 0), 5)));
  std::string path = dir.file("s.safetensors");
  ASSERT_FALSE(bool(stats.write(path)));
  auto read = CalibrationStats::read(path);
  ASSERT_TRUE(bool(read));
  std::string missing = errorOf(read->getInputCovariance("y", 3));
  EXPECT_NE(missing.find(path + ": no key 'y.input_xtx' (the layer was not "
                                "calibrated?)"),
            std::string::npos)
      << missing;
  std::string shape = errorOf(read->getInputCovariance("x", 384));
  EXPECT_NE(shape.find("key 'x.input_xtx': expected F64 [384, 384], got F64 "
                       "[3, 3]"),
            std::string::npos)
      << shape;
  EXPECT_NE(errorOf(read->getBlockInfluence("m.l.3")).find("no key"),
            std::string::npos);

  // Accumulating a different shape or dtype into a key.
  std::string mismatch =
      errorOf(stats.accumulateF64("x.input_xtx", {2, 2}, {1, 2, 3, 4}));
  EXPECT_NE(mismatch.find("cannot accumulate F64 [2, 2] into F64 [3, 3]"),
            std::string::npos)
      << mismatch;
  EXPECT_NE(errorOf(stats.accumulateI64("x.input_xtx", {3, 3},
                                        std::vector<int64_t>(9)))
                .find("cannot accumulate I64"),
            std::string::npos);
  EXPECT_NE(errorOf(stats.accumulateF64("z", {2}, {1.0})).find("1 values"),
            std::string::npos);
}

TEST(CalibrationStats, RejectsOtherSafetensors) {
  TempDir dir;
  std::string path = dir.file("adapter.safetensors");
  // A valid safetensors file without the format metadata.
  std::string header =
      R"({"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string bytes(8, '\0');
  uint64_t n = header.size();
  std::memcpy(bytes.data(), &n, 8);
  bytes += header + std::string(8, '\0');
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << bytes;
  }
  std::string message = errorOf(CalibrationStats::read(path));
  EXPECT_NE(message.find("not a calibration statistics file"),
            std::string::npos)
      << message;
}

TEST(CalibrationStats, FailedWriteLeavesNothing) {
  TempDir dir;
  CalibrationStats stats;
  ASSERT_FALSE(bool(stats.addBlockInfluence("b", 1, 1)));
  std::string path = dir.file("missing-dir/s.safetensors");
  std::string message = errorOf(stats.write(path));
  EXPECT_NE(message.find("cannot write '" + path + "'"), std::string::npos)
      << message;
  EXPECT_FALSE(llvm::sys::fs::exists(path));
  // A successful write leaves only the output, no temporary.
  ASSERT_FALSE(bool(stats.write(dir.file("s.safetensors"))));
  std::error_code ec;
  int entries = 0;
  for (llvm::sys::fs::directory_iterator it(dir.path, ec), end;
       it != end && !ec; it.increment(ec))
    ++entries;
  EXPECT_EQ(entries, 1);
}

} // namespace
