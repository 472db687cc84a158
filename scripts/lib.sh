# Shared helpers for the scripts in this folder (sourced, not run).
PEFT_ROOT=${PEFT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
PEFT_BUILD=${PEFT_BUILD:-$PEFT_ROOT/build}
PEFT_VENV=${PEFT_VENV:-$HOME/.cache/peft-mlir/venv}
LLVM_PREFIX=${LLVM_PREFIX:-/usr/lib/llvm-22}
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
