"""Checks that a shared library defines every mgpu* function an LLVM IR file
declares. Usage: check_exports.py IR.ll NM-OUTPUT"""
import re
import sys

declared = set(re.findall(r"^declare .*@(mgpu\w+)\(", open(sys.argv[1]).read(), re.M))
defined = set(re.findall(r"\bT (mgpu\w+)$", open(sys.argv[2]).read(), re.M))
missing = sorted(declared - defined)
if not declared:
    sys.exit("no mgpu* declarations found")
if missing:
    sys.exit("not defined by the runtime: " + ", ".join(missing))
print(f"all {len(declared)} runtime functions are defined")
