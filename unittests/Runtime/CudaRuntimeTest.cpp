//===- CudaRuntimeTest.cpp - the mgpu* wrappers against a mock driver -----===//
//
// No GPU is needed: MockCudaDriver stands in for libcuda.so.1. What is tested
// is the wrappers' own logic (contexts, argument handling, error reports).
//
//===----------------------------------------------------------------------===//

#include "MockCudaDriver.h"

#include <gtest/gtest.h>

#include <cstdint>

// The runtime's entry points, with the signatures gpu-to-llvm emits.
extern "C" {
void *mgpuModuleLoadJIT(void *data, int optLevel);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuStreamCreate();
void mgpuStreamDestroy(void *stream);
void *mgpuMemAlloc(uint64_t sizeBytes, void *stream, bool isHostShared);
void mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor,
                               int64_t elementSizeBytes);
}

namespace {

class CudaRuntime : public ::testing::Test {
protected:
  void SetUp() override { *peftMockCuda() = MockCudaState(); }
  MockCudaState &mock() { return *peftMockCuda(); }
};

/// A 2-D memref descriptor: allocated, aligned, offset, sizes, strides.
struct Descriptor2D {
  void *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
};

TEST_F(CudaRuntime, NoDeviceIsReportedWithTheCallAndTheErrorName) {
  // A fresh process: the driver is initialized once per process.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  mock()[MockCall::Init] = CUDA_ERROR_NO_DEVICE;
  EXPECT_DEATH(mgpuStreamCreate(),
               "peft_cuda_runtime: mgpuStreamCreate: cuInit\\(0\\) failed: "
               "CUDA_ERROR_NO_DEVICE \\(100\\): mock driver error");
}

TEST_F(CudaRuntime, EveryCallRunsInThePrimaryContext) {
  void *stream = mgpuStreamCreate();
  EXPECT_NE(stream, nullptr);
  mgpuStreamDestroy(stream);
  EXPECT_EQ(mock().contextDepth, 0);
  EXPECT_GT(mock().driverCalls, 0);
}

TEST_F(CudaRuntime, LaunchPassesTheGridAndReportsFailures) {
  void *stream = mgpuStreamCreate();
  mgpuLaunchKernel(reinterpret_cast<void *>(0x10), 43, 2, 1, 256, 1, 1, 0,
                   stream, nullptr, nullptr, 0);
  EXPECT_EQ(mock().launchGrid[0], 43u);
  EXPECT_EQ(mock().launchGrid[1], 2u);
  EXPECT_EQ(mock().launchBlock[0], 256u);
  mock()[MockCall::LaunchKernel] = CUDA_ERROR_INVALID_VALUE;
  EXPECT_DEATH(mgpuLaunchKernel(reinterpret_cast<void *>(0x10), 1, 1, 1, 2048,
                                1, 1, 0, stream, nullptr, nullptr, 0),
               "mgpuLaunchKernel: cuLaunchKernel\\(.*\\) failed: "
               "CUDA_ERROR_INVALID_VALUE");
}

TEST_F(CudaRuntime, JITFailurePrintsTheLog) {
  mock()[MockCall::ModuleLoadDataEx] = CUDA_ERROR_INVALID_PTX;
  mock().jitLog = "ptxas application ptx input, line 7; error";
  char ptx[] = ".version 8.0";
  EXPECT_DEATH(mgpuModuleLoadJIT(ptx, 3),
               "PTX JIT log:\n.*line 7; error(.|\n)*mgpuModuleLoadJIT: "
               "cuModuleLoadDataEx failed: CUDA_ERROR_INVALID_PTX");
}

TEST_F(CudaRuntime, MissingKernelIsNamed) {
  mock()[MockCall::ModuleGetFunction] = CUDA_ERROR_NOT_FOUND;
  EXPECT_DEATH(
      mgpuModuleGetFunction(reinterpret_cast<void *>(0x20), "model_kernel_3"),
      "no kernel 'model_kernel_3'");
}

TEST_F(CudaRuntime, EmptyAllocationNeedsNoDriver) {
  EXPECT_EQ(mgpuMemAlloc(0, nullptr, false), nullptr);
  EXPECT_EQ(mock().driverCalls, 0);
  EXPECT_NE(mgpuMemAlloc(64, nullptr, false), nullptr);
}

TEST_F(CudaRuntime, HostRegisterCoversTheMemRefExtent) {
  float data[64];
  // A 2x3 view at element offset 2 of a row-major 2x6 array, every other
  // column: elements 2, 4, 6 and 8, 10, 12, i.e. 11 floats from data + 2.
  Descriptor2D view{data, data, 2, {2, 3}, {6, 2}};
  mgpuMemHostRegisterMemRef(2, &view, sizeof(float));
  EXPECT_EQ(mock().hostRegisterPtr, static_cast<void *>(data + 2));
  EXPECT_EQ(mock().hostRegisterBytes, 11 * sizeof(float));

  Descriptor2D dense{data, data, 0, {4, 16}, {16, 1}};
  mgpuMemHostRegisterMemRef(2, &dense, sizeof(float));
  EXPECT_EQ(mock().hostRegisterBytes, sizeof(data));
}

} // namespace
