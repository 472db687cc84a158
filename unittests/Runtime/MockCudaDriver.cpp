//===- MockCudaDriver.cpp - a scriptable libcuda.so.1 for runtime tests ---===//

#include "MockCudaDriver.h"

#include <cstring>

#define MOCK_EXPORT extern "C" __attribute__((visibility("default")))

namespace {
MockCudaState state;

CUresult call(MockCall which) {
  ++state.driverCalls;
  return state[which];
}
CUresult ok() {
  ++state.driverCalls;
  return CUDA_SUCCESS;
}
// Distinct non-null handles.
template <typename T> T handle(int id) {
  return reinterpret_cast<T>(static_cast<intptr_t>(0x1000 + id));
}
} // namespace

MOCK_EXPORT MockCudaState *peftMockCuda() { return &state; }

MOCK_EXPORT CUresult cuGetErrorName(CUresult error, const char **name) {
  switch (error) {
  case CUDA_SUCCESS:
    *name = "CUDA_SUCCESS";
    return CUDA_SUCCESS;
  case CUDA_ERROR_INVALID_VALUE:
    *name = "CUDA_ERROR_INVALID_VALUE";
    return CUDA_SUCCESS;
  case CUDA_ERROR_NO_DEVICE:
    *name = "CUDA_ERROR_NO_DEVICE";
    return CUDA_SUCCESS;
  case CUDA_ERROR_INVALID_PTX:
    *name = "CUDA_ERROR_INVALID_PTX";
    return CUDA_SUCCESS;
  case CUDA_ERROR_NOT_FOUND:
    *name = "CUDA_ERROR_NOT_FOUND";
    return CUDA_SUCCESS;
  default:
    *name = nullptr;
    return CUDA_ERROR_INVALID_VALUE;
  }
}
MOCK_EXPORT CUresult cuGetErrorString(CUresult, const char **text) {
  *text = "mock driver error";
  return CUDA_SUCCESS;
}

MOCK_EXPORT CUresult cuInit(unsigned) { return call(MockCall::Init); }
MOCK_EXPORT CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  *device = ordinal;
  return ok();
}
MOCK_EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice) {
  *ctx = handle<CUcontext>(1);
  return ok();
}
MOCK_EXPORT CUresult cuCtxPushCurrent(CUcontext) {
  ++state.contextDepth;
  return ok();
}
MOCK_EXPORT CUresult cuCtxPopCurrent(CUcontext *) {
  --state.contextDepth;
  return ok();
}

MOCK_EXPORT CUresult cuModuleLoadData(CUmodule *module, const void *) {
  *module = handle<CUmodule>(2);
  return ok();
}
MOCK_EXPORT CUresult cuModuleLoadDataEx(CUmodule *module, const void *,
                                        unsigned count, CUjit_option *options,
                                        void **values) {
  for (unsigned i = 0; i < count; ++i)
    if (options[i] == CU_JIT_ERROR_LOG_BUFFER)
      std::strcpy(static_cast<char *>(values[i]), state.jitLog.c_str());
  *module = handle<CUmodule>(3);
  return call(MockCall::ModuleLoadDataEx);
}
MOCK_EXPORT CUresult cuModuleUnload(CUmodule) { return ok(); }
MOCK_EXPORT CUresult cuModuleGetFunction(CUfunction *function, CUmodule,
                                         const char *) {
  *function = handle<CUfunction>(4);
  return call(MockCall::ModuleGetFunction);
}
MOCK_EXPORT CUresult cuFuncSetAttribute(CUfunction, CUfunction_attribute, int) {
  return ok();
}
MOCK_EXPORT CUresult cuLaunchKernel(CUfunction, unsigned gx, unsigned gy,
                                    unsigned gz, unsigned bx, unsigned by,
                                    unsigned bz, unsigned, CUstream, void **,
                                    void **) {
  unsigned grid[] = {gx, gy, gz}, block[] = {bx, by, bz};
  std::memcpy(state.launchGrid, grid, sizeof(grid));
  std::memcpy(state.launchBlock, block, sizeof(block));
  return call(MockCall::LaunchKernel);
}
MOCK_EXPORT CUresult cuLaunchKernelEx(const CUlaunchConfig *, CUfunction,
                                      void **, void **) {
  return call(MockCall::LaunchKernel);
}

MOCK_EXPORT CUresult cuStreamCreate(CUstream *stream, unsigned) {
  *stream = handle<CUstream>(5);
  return ok();
}
MOCK_EXPORT CUresult cuStreamDestroy(CUstream) { return ok(); }
MOCK_EXPORT CUresult cuStreamSynchronize(CUstream) { return ok(); }
MOCK_EXPORT CUresult cuStreamWaitEvent(CUstream, CUevent, unsigned) {
  return ok();
}
MOCK_EXPORT CUresult cuEventCreate(CUevent *event, unsigned) {
  *event = handle<CUevent>(6);
  return ok();
}
MOCK_EXPORT CUresult cuEventDestroy(CUevent) { return ok(); }
MOCK_EXPORT CUresult cuEventSynchronize(CUevent) { return ok(); }
MOCK_EXPORT CUresult cuEventRecord(CUevent, CUstream) { return ok(); }

MOCK_EXPORT CUresult cuMemAlloc(CUdeviceptr *ptr, size_t) {
  *ptr = 0x2000;
  return call(MockCall::MemAlloc);
}
MOCK_EXPORT CUresult cuMemAllocManaged(CUdeviceptr *ptr, size_t, unsigned) {
  *ptr = 0x3000;
  return ok();
}
MOCK_EXPORT CUresult cuMemFree(CUdeviceptr) { return ok(); }
MOCK_EXPORT CUresult cuMemcpyAsync(CUdeviceptr, CUdeviceptr, size_t, CUstream) {
  return ok();
}
MOCK_EXPORT CUresult cuMemsetD32Async(CUdeviceptr, unsigned, size_t, CUstream) {
  return ok();
}
MOCK_EXPORT CUresult cuMemsetD16Async(CUdeviceptr, unsigned short, size_t,
                                      CUstream) {
  return ok();
}
MOCK_EXPORT CUresult cuMemHostRegister(void *ptr, size_t bytes, unsigned) {
  state.hostRegisterPtr = ptr;
  state.hostRegisterBytes = bytes;
  return call(MockCall::MemHostRegister);
}
MOCK_EXPORT CUresult cuMemHostUnregister(void *) { return ok(); }
