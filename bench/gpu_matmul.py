#!/usr/bin/env python3
"""GPU matmul benchmark (on demand): peft-mlir's kernels vs cuBLAS.

y = x·Wᵀ in float32 (x: M×K, W: N×K, the PyTorch Linear layout) for
M = 1, 16, 512 and (K, N) = (4096, 4096), (4096, 11008), (11008, 4096).
Our side: a module that fills x and W on the device, then runs zero-fill +
matmul REPEAT times between two rtclock() calls, lowered with
peft-lower-to-nvvm (format=bin) and run by mlir-runner on
libpeft_cuda_runtime.so. cuBLAS side: cublasSgemm (FP32, no TF32) timed with
CUDA events. Writes bench/results/gpu.md.

Needs an NVIDIA GPU with its driver; without one it says so and exits 1.
Environment: PEFT_BUILD (default: build/), LLVM_PREFIX (/usr/lib/llvm-22),
CUDA_HOME (/usr/local/cuda).
"""
import ctypes
import datetime
import os
import platform
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("PEFT_BUILD", os.path.join(ROOT, "build"))
LLVM = os.environ.get("LLVM_PREFIX", "/usr/lib/llvm-22")
CUDA = os.environ.get("CUDA_HOME", "/usr/local/cuda")
SHAPES = [(m, k, n) for m in (1, 16, 512)
          for k, n in ((4096, 4096), (4096, 11008), (11008, 4096))]
WARMUP, REPEAT = 3, 20


def fail(message):
    sys.exit(f"gpu_matmul: {message}")


class Driver:
    """The few CUDA driver calls the cuBLAS side needs."""

    def __init__(self):
        try:
            self.lib = ctypes.CDLL("libcuda.so.1")
        except OSError as e:
            fail(f"no NVIDIA driver (cannot load libcuda.so.1: {e}); this "
                 "benchmark needs a GPU, nothing was measured")
        count = ctypes.c_int(0)
        if self.lib.cuInit(0) != 0 or \
                self.lib.cuDeviceGetCount(ctypes.byref(count)) != 0 or \
                count.value == 0:
            fail("the NVIDIA driver reports no CUDA device; nothing was "
                 "measured")
        self.device = ctypes.c_int(0)
        self.check("cuDeviceGet", ctypes.byref(self.device), 0)
        name = ctypes.create_string_buffer(256)
        self.check("cuDeviceGetName", name, 256, self.device)
        self.name = name.value.decode()
        major, minor = ctypes.c_int(), ctypes.c_int()
        self.check("cuDeviceGetAttribute", ctypes.byref(major), 75,
                   self.device)  # CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
        self.check("cuDeviceGetAttribute", ctypes.byref(minor), 76,
                   self.device)  # ..._MINOR
        self.chip = f"sm_{major.value}{minor.value}"
        self.ctx = ctypes.c_void_p()
        self.check("cuDevicePrimaryCtxRetain", ctypes.byref(self.ctx),
                   self.device)
        self.check("cuCtxSetCurrent", self.ctx)

    def check(self, fn, *args):
        result = getattr(self.lib, fn)(*args)
        if result != 0:
            fail(f"{fn} failed with CUresult {result}")

    def alloc(self, nbytes):
        ptr = ctypes.c_uint64()
        self.check("cuMemAlloc_v2", ctypes.byref(ptr), ctypes.c_size_t(nbytes))
        return ptr

    def free(self, ptr):
        self.check("cuMemFree_v2", ptr)


def cublas_ms(driver, m, k, n):
    """Milliseconds per y = x·Wᵀ with cublasSgemm."""
    try:
        lib = ctypes.CDLL(os.path.join(CUDA, "lib64", "libcublas.so"))
    except OSError as e:
        fail(f"cannot load cuBLAS: {e}")
    handle = ctypes.c_void_p()
    if lib.cublasCreate_v2(ctypes.byref(handle)) != 0:
        fail("cublasCreate failed")
    x, w, y = (driver.alloc(4 * s) for s in (m * k, n * k, m * n))
    driver.check("cuMemsetD32_v2", x, 0x3A83126F, ctypes.c_size_t(m * k))
    driver.check("cuMemsetD32_v2", w, 0x3A83126F, ctypes.c_size_t(n * k))
    alpha, beta = ctypes.c_float(1.0), ctypes.c_float(0.0)
    op_t, op_n = 1, 0

    def gemm():
        # Row-major y[M,N] = x[M,K]·W[N,K]ᵀ is column-major yᵀ = W·xᵀ.
        status = lib.cublasSgemm_v2(handle, op_t, op_n, n, m, k,
                                    ctypes.byref(alpha), w, k, x, k,
                                    ctypes.byref(beta), y, n)
        if status != 0:
            fail(f"cublasSgemm failed with status {status}")

    for _ in range(WARMUP):
        gemm()
    start, stop = ctypes.c_void_p(), ctypes.c_void_p()
    driver.check("cuEventCreate", ctypes.byref(start), 0)
    driver.check("cuEventCreate", ctypes.byref(stop), 0)
    driver.check("cuEventRecord", start, None)
    for _ in range(REPEAT):
        gemm()
    driver.check("cuEventRecord", stop, None)
    driver.check("cuEventSynchronize", stop)
    ms = ctypes.c_float()
    driver.check("cuEventElapsedTime", ctypes.byref(ms), start, stop)
    lib.cublasDestroy_v2(handle)
    for p in (x, w, y):
        driver.free(p)
    return ms.value / REPEAT


def module(m, k, n):
    """The benchmark as MLIR on buffers: peft-lower-to-nvvm maps the fills
    and the matmul to kernels and keeps x, W, y in device memory."""
    mm = ("linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, "
          "affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>] "
          f"ins(%x, %w : memref<{m}x{k}xf32>, memref<{n}x{k}xf32>) "
          f"outs(%y : memref<{m}x{n}xf32>)")
    fill0 = f"linalg.fill ins(%zero : f32) outs(%y : memref<{m}x{n}xf32>)"
    return f"""
func.func private @rtclock() -> f64
func.func private @printF64(f64)
func.func private @printNewline()
func.func @main() {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %warmup = arith.constant {WARMUP} : index
  %repeat = arith.constant {REPEAT} : index
  %zero = arith.constant 0.0 : f32
  %small = arith.constant 1.0e-3 : f32
  %x = memref.alloc() : memref<{m}x{k}xf32>
  %w = memref.alloc() : memref<{n}x{k}xf32>
  %y = memref.alloc() : memref<{m}x{n}xf32>
  linalg.fill ins(%small : f32) outs(%x : memref<{m}x{k}xf32>)
  linalg.fill ins(%small : f32) outs(%w : memref<{n}x{k}xf32>)
  scf.for %i = %c0 to %warmup step %c1 {{
    {fill0}
    {mm}
  }}
  %t0 = func.call @rtclock() : () -> f64
  scf.for %i = %c0 to %repeat step %c1 {{
    {fill0}
    {mm}
  }}
  %t1 = func.call @rtclock() : () -> f64
  %dt = arith.subf %t1, %t0 : f64
  func.call @printF64(%dt) : (f64) -> ()
  func.call @printNewline() : () -> ()
  return
}}
"""


def ours_ms(m, k, n, chip, workdir):
    source = os.path.join(workdir, f"mm_{m}_{k}_{n}.mlir")
    with open(source, "w") as f:
        f.write(module(m, k, n))
    lowered = subprocess.run(
        [os.path.join(BUILD, "bin", "peft-opt"), source,
         f"--peft-lower-to-nvvm=format=bin chip={chip}"],
        capture_output=True, text=True)
    if lowered.returncode != 0:
        fail(f"peft-lower-to-nvvm failed for {m}x{k}x{n}:\n{lowered.stderr}")
    libs = ",".join([os.path.join(BUILD, "lib", "libpeft_cuda_runtime.so"),
                     os.path.join(LLVM, "lib", "libmlir_runner_utils.so"),
                     os.path.join(LLVM, "lib", "libmlir_c_runner_utils.so")])
    run = subprocess.run(
        [os.path.join(LLVM, "bin", "mlir-runner"), "-e", "main",
         "-entry-point-result=void", f"-shared-libs={libs}"],
        input=lowered.stdout, capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"mlir-runner failed for {m}x{k}x{n}:\n{run.stderr}")
    return float(run.stdout.split()[-1]) * 1e3 / REPEAT


def main():
    driver = Driver()
    for tool in (os.path.join(BUILD, "bin", "peft-opt"),
                 os.path.join(BUILD, "lib", "libpeft_cuda_runtime.so")):
        if not os.path.exists(tool):
            fail(f"{tool} is missing: build with scripts/build "
                 "-DPEFT_ENABLE_CUDA_RUNTIME=ON")
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for m, k, n in SHAPES:
            flops = 2.0 * m * n * k
            ours = ours_ms(m, k, n, driver.chip, workdir)
            ref = cublas_ms(driver, m, k, n)
            rows.append((m, k, n, ours, flops / ours / 1e6, ref,
                         flops / ref / 1e6, ref / ours))
            print(f"M={m:4} K={k:5} N={n:5}: ours {ours:8.3f} ms "
                  f"({rows[-1][4]:8.1f} GFLOP/s), cuBLAS {ref:8.3f} ms "
                  f"({rows[-1][6]:8.1f} GFLOP/s)", flush=True)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    out = os.path.join(ROOT, "bench", "results", "gpu.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write("# GPU matmul: peft-mlir kernels vs cuBLAS\n\n")
        f.write(f"- device: {driver.name} ({driver.chip})\n"
                f"- host: {platform.node()}\n"
                f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}\n"
                f"- commit: {commit or 'unknown'}\n"
                "- y = x·Wᵀ, float32, x: M×K, W: N×K; ours = zero fill + "
                "matmul kernels (peft-lower-to-nvvm format=bin for the device's "
                "chip), "
                f"cuBLAS = cublasSgemm (FP32), mean of {REPEAT} runs after "
                f"{WARMUP} warm-up runs\n\n")
        f.write("| M | K | N | ours ms | ours GFLOP/s | cuBLAS ms | "
                "cuBLAS GFLOP/s | ours / cuBLAS |\n")
        f.write("|---:|---:|---:|---:|---:|---:|---:|---:|\n")
        for row in rows:
            f.write("| {} | {} | {} | {:.3f} | {:.1f} | {:.3f} | {:.1f} | "
                    "{:.2f} |\n".format(*row))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
