"""Compares the numbers two runs printed with printMemref*: same count, and
|a - b| <= tol * max(1, |a|) for each pair. Headers (base addresses) are
skipped. Usage: compare_outputs.py REFERENCE OTHER [TOL]"""
import re
import sys

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|inf)")


def numbers(path):
    values = []
    for line in open(path):
        if line.startswith("Unranked Memref") or line.startswith("Memref"):
            continue
        values += [float(v) for v in NUMBER.findall(line)]
    return values


ref, other = numbers(sys.argv[1]), numbers(sys.argv[2])
tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4
if not ref or len(ref) != len(other):
    sys.exit(f"{len(ref)} reference values, {len(other)} to compare")
worst = max(abs(a - b) / max(1.0, abs(a)) for a, b in zip(ref, other))
if worst > tol:
    sys.exit(f"max difference {worst:.3g} > {tol:g}")
print(f"{len(ref)} values agree within {tol:g} (max difference {worst:.3g})")
