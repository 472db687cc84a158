# -*- Python -*-
# lit configuration for peft-mlir.

import os
import shutil
import subprocess
import sys

import lit.formats
import lit.util
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "PEFT"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py",
                   "lit.site.cfg.py", "Inputs", "cmake-consumer",
                   "export.test.mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.peft_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(
    ("%peft_plugin", os.path.join(config.peft_lib_dir, "libPeftPlugin.so")))
config.substitutions.append(
    ("%mlir_runner_utils",
     os.path.join(config.llvm_lib_dir, "libmlir_runner_utils.so")))
config.substitutions.append(
    ("%mlir_c_runner_utils",
     os.path.join(config.llvm_lib_dir, "libmlir_c_runner_utils.so")))

# Fixture generators (test/**/Inputs/*.py) need `onnx` and `numpy`: the
# venv's python (scripts/build passes it; its onnx is the release of the C++
# library), else the python that runs lit.
python = config.python_executable or sys.executable
config.substitutions.append(("%python", python))
# The ONNX package CMake found (peft-opt --version prints it).
config.substitutions.append(("%onnx_version", config.onnx_version))

# torch: that python also has torch and onnx (Debian's python3-torch through
# the venv's system site packages), so fixtures can be exported from PyTorch
# modules. Looked up, not imported: importing torch costs a second per run.
if subprocess.run(
        [python, "-c", "import importlib.util as u, sys; "
         "sys.exit(not all(u.find_spec(m) for m in ('torch', 'onnx')))"],
        capture_output=True).returncode == 0:
    config.available_features.add("torch")

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()  # FileCheck, not, count, split-file

# Our tools first, then LLVM's (the stock mlir-opt, mlir-runner).
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.peft_tools_dir, append_path=True)
tool_dirs = [config.peft_tools_dir, config.llvm_tools_dir]
tools = [
    "peft-opt",
    "peft-translate",
    "peft-run",
    "peft-calibrate",
    ToolSubst("mlir-opt", unresolved="fatal"),
    ToolSubst("mlir-runner", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Features -------------------------------------------------------------------
# nvptx: LLVM was built with the NVPTX backend (PTX can be generated).
if "NVPTX" in config.llvm_targets_to_build.split(";"):
    config.available_features.add("nvptx")


def find_ptxas():
    for root in [config.cuda_toolkit_root, os.environ.get("CUDA_HOME"),
                 os.environ.get("CUDA_PATH"), "/usr/local/cuda"]:
        if root:
            candidate = os.path.join(root, "bin", "ptxas")
            if os.access(candidate, os.X_OK):
                return candidate
    return shutil.which("ptxas")


# ptxas: the CUDA assembler is available (cubin can be produced).
ptxas = find_ptxas()
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))


def has_cuda_device():
    smi = shutil.which("nvidia-smi")
    if not smi:
        return False
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True,
                             timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


# cuda-device: an NVIDIA GPU and its driver are present.
if has_cuda_device():
    config.available_features.add("cuda-device")
# fuzzer: the libFuzzer target for the ONNX importer was built.
if config.enable_fuzzer:
    config.available_features.add("fuzzer")
    tools.append("peft-onnx-fuzzer")
    llvm_config.add_tool_substitutions(["peft-onnx-fuzzer"], tool_dirs)
if config.enable_python:
    config.available_features.add("python")
