# Shared helpers for the scripts in this folder (sourced, not run).
PEFT_ROOT=${PEFT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
PEFT_BUILD=${PEFT_BUILD:-$PEFT_ROOT/build}
PEFT_CACHE=${PEFT_CACHE:-$HOME/.cache/peft-mlir}
PEFT_VENV=${PEFT_VENV:-$PEFT_CACHE/venv}
# The ONNX C++ library, built from PyPI's source distribution by scripts/setup
# (static, PIC) and installed outside the repository; see docs/onnx.md.
PEFT_ONNX_VERSION=$(sed -n 's/^set(PEFT_ONNX_VERSION \([0-9.]*\))$/\1/p' \
  "$PEFT_ROOT/cmake/PeftONNX.cmake")
PEFT_ONNX_HOME=${PEFT_ONNX_HOME:-$PEFT_CACHE/onnx-$PEFT_ONNX_VERSION}
PEFT_ONNX_DIR=$PEFT_ONNX_HOME/install/lib/cmake/ONNX
LLVM_PREFIX=${LLVM_PREFIX:-/usr/lib/llvm-22}
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
