//===- CudaRuntimeWrappers.cpp - mgpu* host runtime on the CUDA driver ----===//
//
// The functions that MLIR's gpu-to-llvm conversion (and the gpu.binary
// offloading translation) emit calls to, with the signatures MLIR 22 emits,
// implemented on the CUDA driver API. Every call runs in the primary context
// of the default device. A failing driver call is reported on stderr with the
// wrapper, the driver function and the CUresult name and text, then the
// process aborts: generated host code has no way to look at an error, and
// carrying on would only turn it into wrong numbers.
//
// Environment:
//   PEFT_CUDA_SYNC=1   synchronize after every launch, so that a faulting
//                      kernel is reported at its launch.
//
//===----------------------------------------------------------------------===//

#include <cuda.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#define PEFT_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

[[noreturn]] void fail(const char *wrapper, const char *call, CUresult result) {
  const char *name = nullptr, *text = nullptr;
  if (cuGetErrorName(result, &name) != CUDA_SUCCESS)
    name = "unknown CUresult";
  if (cuGetErrorString(result, &text) != CUDA_SUCCESS)
    text = "";
  std::fprintf(stderr, "peft_cuda_runtime: %s: %s failed: %s (%d): %s\n",
               wrapper, call, name, static_cast<int>(result), text);
  std::fflush(stderr);
  std::abort();
}

/// Checks a driver call made in wrapper `__func__`.
#define CHECK(call)                                                            \
  do {                                                                         \
    CUresult result_ = (call);                                                 \
    if (result_ != CUDA_SUCCESS)                                               \
      fail(__func__, #call, result_);                                          \
  } while (false)

int defaultDevice = 0;
CUcontext primaryContext = nullptr;
std::once_flag contextOnce;

CUcontext context(const char *wrapper) {
  std::call_once(contextOnce, [wrapper] {
    CUresult result = cuInit(0);
    if (result != CUDA_SUCCESS)
      fail(wrapper, "cuInit(0)", result);
    CUdevice device;
    result = cuDeviceGet(&device, defaultDevice);
    if (result != CUDA_SUCCESS)
      fail(wrapper, "cuDeviceGet", result);
    result = cuDevicePrimaryCtxRetain(&primaryContext, device);
    if (result != CUDA_SUCCESS)
      fail(wrapper, "cuDevicePrimaryCtxRetain", result);
  });
  return primaryContext;
}

/// Makes the primary context current for one wrapper call.
class ContextGuard {
public:
  explicit ContextGuard(const char *wrapper) : wrapper(wrapper) {
    CUresult result = cuCtxPushCurrent(context(wrapper));
    if (result != CUDA_SUCCESS)
      fail(wrapper, "cuCtxPushCurrent", result);
  }
  ~ContextGuard() {
    CUresult result = cuCtxPopCurrent(nullptr);
    if (result != CUDA_SUCCESS)
      fail(wrapper, "cuCtxPopCurrent", result);
  }

private:
  const char *wrapper;
};

bool syncAfterLaunch() {
  static const bool sync = [] {
    const char *value = std::getenv("PEFT_CUDA_SYNC");
    return value && *value && std::strcmp(value, "0") != 0;
  }();
  return sync;
}

/// MLIR's ranked memref descriptor, as passed to the *MemRef wrappers.
struct MemRefDescriptor {
  char *allocated;
  char *aligned;
  int64_t offset;
  int64_t sizesAndStrides[]; // sizes[rank], then strides[rank]
};

/// The bytes a (possibly strided) memref spans from its first element.
void memrefExtent(int64_t rank, const MemRefDescriptor *desc,
                  int64_t elementSize, char *&begin, size_t &bytes) {
  begin = desc->aligned + desc->offset * elementSize;
  int64_t last = 0;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = desc->sizesAndStrides[d];
    if (size == 0) {
      bytes = 0;
      return;
    }
    last += (size - 1) * desc->sizesAndStrides[rank + d];
  }
  bytes = static_cast<size_t>(last + 1) * elementSize;
}

} // namespace

//===----------------------------------------------------------------------===//
// Modules and launches
//===----------------------------------------------------------------------===//

/// A cubin or fatbin (gpu-module-to-binary format=bin|fatbin).
PEFT_EXPORT void *mgpuModuleLoad(void *data, size_t /*size*/) {
  ContextGuard guard(__func__);
  CUmodule module = nullptr;
  CHECK(cuModuleLoadData(&module, data));
  return module;
}

/// NUL-terminated PTX (format=isa), compiled by the driver's JIT; its log is
/// printed when compilation fails.
PEFT_EXPORT void *mgpuModuleLoadJIT(void *data, int optLevel) {
  ContextGuard guard(__func__);
  char log[8192] = {0};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                            CU_JIT_OPTIMIZATION_LEVEL};
  void *values[] = {log, reinterpret_cast<void *>(sizeof(log)),
                    reinterpret_cast<void *>(static_cast<intptr_t>(optLevel))};
  CUmodule module = nullptr;
  CUresult result = cuModuleLoadDataEx(&module, data, 3, options, values);
  if (result != CUDA_SUCCESS) {
    std::fprintf(stderr, "peft_cuda_runtime: PTX JIT log:\n%s\n", log);
    fail(__func__, "cuModuleLoadDataEx", result);
  }
  return module;
}

PEFT_EXPORT void mgpuModuleUnload(void *module) {
  ContextGuard guard(__func__);
  CHECK(cuModuleUnload(static_cast<CUmodule>(module)));
}

PEFT_EXPORT void *mgpuModuleGetFunction(void *module, const char *name) {
  ContextGuard guard(__func__);
  CUfunction function = nullptr;
  CUresult result =
      cuModuleGetFunction(&function, static_cast<CUmodule>(module), name);
  if (result != CUDA_SUCCESS) {
    std::fprintf(stderr, "peft_cuda_runtime: no kernel '%s' in the module\n",
                 name);
    fail(__func__, "cuModuleGetFunction", result);
  }
  return function;
}

/// Kernels that ask for more than the default 48 KiB of dynamic shared
/// memory must opt in first.
static void allowSharedMemory(CUfunction function, int32_t smem) {
  if (smem <= 48 * 1024)
    return;
  CHECK(cuFuncSetAttribute(
      function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem));
}

PEFT_EXPORT void mgpuLaunchKernel(void *function, intptr_t gridX,
                                  intptr_t gridY, intptr_t gridZ,
                                  intptr_t blockX, intptr_t blockY,
                                  intptr_t blockZ, int32_t smem, void *stream,
                                  void **params, void **extra,
                                  size_t /*paramsCount*/) {
  ContextGuard guard(__func__);
  auto f = static_cast<CUfunction>(function);
  allowSharedMemory(f, smem);
  CHECK(cuLaunchKernel(f, gridX, gridY, gridZ, blockX, blockY, blockZ, smem,
                       static_cast<CUstream>(stream), params, extra));
  if (syncAfterLaunch())
    CHECK(cuStreamSynchronize(static_cast<CUstream>(stream)));
}

PEFT_EXPORT void mgpuLaunchClusterKernel(void *function, intptr_t clusterX,
                                         intptr_t clusterY, intptr_t clusterZ,
                                         intptr_t gridX, intptr_t gridY,
                                         intptr_t gridZ, intptr_t blockX,
                                         intptr_t blockY, intptr_t blockZ,
                                         int32_t smem, void *stream,
                                         void **params, void **extra) {
  ContextGuard guard(__func__);
  auto f = static_cast<CUfunction>(function);
  allowSharedMemory(f, smem);
  CUlaunchAttribute cluster;
  std::memset(&cluster, 0, sizeof(cluster));
  cluster.id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
  cluster.value.clusterDim.x = clusterX;
  cluster.value.clusterDim.y = clusterY;
  cluster.value.clusterDim.z = clusterZ;
  CUlaunchConfig config;
  std::memset(&config, 0, sizeof(config));
  config.gridDimX = gridX;
  config.gridDimY = gridY;
  config.gridDimZ = gridZ;
  config.blockDimX = blockX;
  config.blockDimY = blockY;
  config.blockDimZ = blockZ;
  config.sharedMemBytes = smem;
  config.hStream = static_cast<CUstream>(stream);
  config.attrs = &cluster;
  config.numAttrs = 1;
  CHECK(cuLaunchKernelEx(&config, f, params, extra));
  if (syncAfterLaunch())
    CHECK(cuStreamSynchronize(static_cast<CUstream>(stream)));
}

//===----------------------------------------------------------------------===//
// Streams and events
//===----------------------------------------------------------------------===//

PEFT_EXPORT void *mgpuStreamCreate() {
  ContextGuard guard(__func__);
  CUstream stream = nullptr;
  CHECK(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING));
  return stream;
}

PEFT_EXPORT void mgpuStreamDestroy(void *stream) {
  ContextGuard guard(__func__);
  CHECK(cuStreamDestroy(static_cast<CUstream>(stream)));
}

PEFT_EXPORT void mgpuStreamSynchronize(void *stream) {
  ContextGuard guard(__func__);
  CHECK(cuStreamSynchronize(static_cast<CUstream>(stream)));
}

PEFT_EXPORT void mgpuStreamWaitEvent(void *stream, void *event) {
  ContextGuard guard(__func__);
  CHECK(cuStreamWaitEvent(static_cast<CUstream>(stream),
                          static_cast<CUevent>(event), /*flags=*/0));
}

PEFT_EXPORT void *mgpuEventCreate() {
  ContextGuard guard(__func__);
  CUevent event = nullptr;
  CHECK(cuEventCreate(&event, CU_EVENT_DISABLE_TIMING));
  return event;
}

PEFT_EXPORT void mgpuEventDestroy(void *event) {
  ContextGuard guard(__func__);
  CHECK(cuEventDestroy(static_cast<CUevent>(event)));
}

PEFT_EXPORT void mgpuEventSynchronize(void *event) {
  ContextGuard guard(__func__);
  CHECK(cuEventSynchronize(static_cast<CUevent>(event)));
}

PEFT_EXPORT void mgpuEventRecord(void *event, void *stream) {
  ContextGuard guard(__func__);
  CHECK(cuEventRecord(static_cast<CUevent>(event),
                      static_cast<CUstream>(stream)));
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

/// Device memory, or managed memory (reachable from host and device) for
/// `gpu.alloc host_shared`. Zero bytes give a null pointer.
PEFT_EXPORT void *mgpuMemAlloc(uint64_t sizeBytes, void * /*stream*/,
                               bool isHostShared) {
  if (sizeBytes == 0)
    return nullptr;
  ContextGuard guard(__func__);
  CUdeviceptr ptr = 0;
  if (isHostShared)
    CHECK(cuMemAllocManaged(&ptr, sizeBytes, CU_MEM_ATTACH_GLOBAL));
  else
    CHECK(cuMemAlloc(&ptr, sizeBytes));
  return reinterpret_cast<void *>(ptr);
}

/// Frees after the work queued on `stream` (which may still use the buffer).
PEFT_EXPORT void mgpuMemFree(void *ptr, void *stream) {
  if (!ptr)
    return;
  ContextGuard guard(__func__);
  if (stream)
    CHECK(cuStreamSynchronize(static_cast<CUstream>(stream)));
  CHECK(cuMemFree(reinterpret_cast<CUdeviceptr>(ptr)));
}

/// Any direction: unified addressing tells host from device pointers.
PEFT_EXPORT void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                            void *stream) {
  if (sizeBytes == 0)
    return;
  ContextGuard guard(__func__);
  CHECK(cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                      reinterpret_cast<CUdeviceptr>(src), sizeBytes,
                      static_cast<CUstream>(stream)));
}

PEFT_EXPORT void mgpuMemset32(void *dst, unsigned int value, size_t count,
                              void *stream) {
  if (count == 0)
    return;
  ContextGuard guard(__func__);
  CHECK(cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                         static_cast<CUstream>(stream)));
}

PEFT_EXPORT void mgpuMemset16(void *dst, unsigned short value, size_t count,
                              void *stream) {
  if (count == 0)
    return;
  ContextGuard guard(__func__);
  CHECK(cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                         static_cast<CUstream>(stream)));
}

/// Page-locks host memory and maps it for the device (gpu.host_register).
PEFT_EXPORT void mgpuMemHostRegister(void *ptr, uint64_t sizeBytes) {
  if (sizeBytes == 0)
    return;
  ContextGuard guard(__func__);
  CHECK(cuMemHostRegister(ptr, sizeBytes,
                          CU_MEMHOSTREGISTER_PORTABLE |
                              CU_MEMHOSTREGISTER_DEVICEMAP));
}

PEFT_EXPORT void mgpuMemHostUnregister(void *ptr) {
  ContextGuard guard(__func__);
  CHECK(cuMemHostUnregister(ptr));
}

PEFT_EXPORT void mgpuMemHostRegisterMemRef(int64_t rank,
                                           MemRefDescriptor *descriptor,
                                           int64_t elementSizeBytes) {
  char *begin;
  size_t bytes;
  memrefExtent(rank, descriptor, elementSizeBytes, begin, bytes);
  mgpuMemHostRegister(begin, bytes);
}

PEFT_EXPORT void mgpuMemHostUnregisterMemRef(int64_t rank,
                                             MemRefDescriptor *descriptor,
                                             int64_t elementSizeBytes) {
  char *begin;
  size_t bytes;
  memrefExtent(rank, descriptor, elementSizeBytes, begin, bytes);
  if (bytes != 0)
    mgpuMemHostUnregister(begin);
}

/// Chooses the device; only before the first other call (the context of the
/// device is created then, once).
PEFT_EXPORT void mgpuSetDefaultDevice(int32_t device) {
  if (primaryContext && device != defaultDevice) {
    std::fprintf(stderr,
                 "peft_cuda_runtime: mgpuSetDefaultDevice(%d) after device "
                 "%d was initialized\n",
                 device, defaultDevice);
    std::abort();
  }
  defaultDevice = device;
}
