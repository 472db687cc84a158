//===- MockCudaDriver.h - a scriptable libcuda.so.1 for runtime tests -----===//
//
// The tests link this library, whose soname is libcuda.so.1, so that the
// runtime's driver calls land here on machines without a GPU: each call
// returns `result[call]` (CUDA_SUCCESS by default) and records its arguments.
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_UNITTESTS_RUNTIME_MOCKCUDADRIVER_H
#define PEFT_UNITTESTS_RUNTIME_MOCKCUDADRIVER_H

#include <cuda.h>

#include <cstddef>
#include <string>

enum class MockCall {
  Init,
  MemAlloc,
  MemHostRegister,
  ModuleLoadDataEx,
  ModuleGetFunction,
  LaunchKernel,
  Count
};

struct MockCudaState {
  CUresult result[static_cast<int>(MockCall::Count)] = {};
  int contextDepth = 0; // pushes minus pops
  int driverCalls = 0;  // calls other than error-name lookups
  void *hostRegisterPtr = nullptr;
  size_t hostRegisterBytes = 0;
  unsigned launchGrid[3] = {}, launchBlock[3] = {};
  std::string jitLog; // written to the JIT error log buffer

  CUresult &operator[](MockCall call) { return result[static_cast<int>(call)]; }
};

extern "C" MockCudaState *peftMockCuda();

#endif // PEFT_UNITTESTS_RUNTIME_MOCKCUDADRIVER_H
