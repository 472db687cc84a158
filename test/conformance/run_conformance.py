#!/usr/bin/env python3
"""Runs ONNX's node conformance tests through peft-mlir: import → lower → peft-run.

Every test under /usr/share/libonnx-testdata/data/node (Debian's libonnx-testdata:
model.onnx plus test_data_set_*/input_*.pb and output_*.pb) whose nodes all belong to
the op set peft-mlir imports as typed ops (issue #3's list) is compiled and run by
`peft-run` on each data set and compared with the reference outputs. Tests that use
any other op are counted as unsupported, with the ops named.

Known failures live in expected_failures.txt (`test_name: reason`). The run fails
(exit 1) when a supported test fails without being listed there, or when a listed test
now passes (the list is stale). A Markdown report with counts and every failure is
written to --report.

  run_conformance.py --peft-run build/bin/peft-run --report build/conformance.md [-j 2] [-k FILTER]
"""

import argparse
import concurrent.futures
import glob
import os
import subprocess
import sys
import time

import onnx

DATA = "/usr/share/libonnx-testdata/data/node"
HERE = os.path.dirname(os.path.abspath(__file__))

# The transformer op set of issue #3 (default domain).
SUPPORTED_OPS = set("""
Add Sub Mul Div Pow Sqrt Reciprocal Neg Abs Exp Log Erf Tanh Sigmoid Relu Cos Sin Not
Equal Less Greater Where Cast MatMul Gemm Einsum Softmax LayerNormalization ReduceMean
ReduceSum Gather Reshape Transpose Unsqueeze Squeeze Concat Slice Split Shape Range
ConstantOfShape Expand Trilu Identity Constant MatMulInteger QuantizeLinear
DequantizeLinear DynamicQuantizeLinear ReduceMax ReduceMin ReduceProd Pad
""".split())


def ops_of(graph):
    ops = set()
    for node in graph.node:
        ops.add(node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}")
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                ops |= ops_of(attr.g)
    return ops


def load_expected(path):
    expected = {}
    if os.path.exists(path):
        for line in open(path):
            line = line.split("#", 1)[0].strip()
            if line:
                name, _, reason = line.partition(":")
                expected[name.strip()] = reason.strip()
    return expected


def run_test(peft_run, test_dir, rtol, atol, timeout):
    """Returns (status, detail): status is 'pass' or 'fail'."""
    model = os.path.join(test_dir, "model.onnx")
    for data_set in sorted(glob.glob(os.path.join(test_dir, "test_data_set_*"))):
        cmd = [peft_run, model, f"--input-dir={data_set}", f"--compare-dir={data_set}",
               f"--rtol={rtol}", f"--atol={atol}"]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "fail", f"timed out after {timeout} s"
        if r.returncode != 0:
            lines = [l for l in (r.stderr + r.stdout).splitlines() if l.strip()]
            errors = [l for l in lines if "error" in l.lower() or "mismatch" in l.lower()]
            return "fail", (errors or lines or [f"exit {r.returncode}"])[0][:300]
    return "pass", ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peft-run", required=True)
    parser.add_argument("--report", required=True)
    parser.add_argument("--expected", default=os.path.join(HERE, "expected_failures.txt"))
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("-k", "--filter", default="", help="only tests whose name contains this")
    parser.add_argument("--rtol", type=float, default=1e-4)
    parser.add_argument("--atol", type=float, default=1e-5)
    parser.add_argument("--timeout", type=int, default=120)
    args = parser.parse_args()

    if not os.path.isdir(DATA):
        sys.exit(f"conformance: {DATA} is missing (apt-get install libonnx-testdata)")
    expected = load_expected(args.expected)
    tests, unsupported = [], {}
    for test_dir in sorted(glob.glob(os.path.join(DATA, "test_*"))):
        name = os.path.basename(test_dir)
        if args.filter not in name:
            continue
        ops = ops_of(onnx.load(os.path.join(test_dir, "model.onnx"), load_external_data=False).graph)
        missing = sorted(ops - SUPPORTED_OPS)
        if missing:
            unsupported[name] = "uses " + ", ".join(missing)
        else:
            tests.append((name, test_dir))

    start = time.time()
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_test, args.peft_run, d, args.rtol, args.atol, args.timeout): n
                   for n, d in tests}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            results[futures[future]] = future.result()
            if done % 25 == 0 or done == len(futures):
                print(f"conformance: {done}/{len(futures)} run ({time.time() - start:.0f} s)", flush=True)

    passed = sorted(n for n, (s, _) in results.items() if s == "pass")
    failed = {n: d for n, (s, d) in results.items() if s == "fail"}
    unexpected = {n: d for n, d in failed.items() if n not in expected}
    known = {n: d for n, d in failed.items() if n in expected}
    stale = sorted(n for n in passed if n in expected)
    missing_known = sorted(n for n in expected if n not in results and n not in unsupported and args.filter in n)

    with open(args.report + ".tmp", "w") as f:
        f.write("# ONNX node conformance (libonnx-testdata)\n\n")
        f.write(f"{len(passed)} passed, {len(known)} known failures, {len(unexpected)} unexpected failures, "
                f"{len(unsupported)} unsupported (ops outside the imported op set); "
                f"rtol {args.rtol}, atol {args.atol}; {time.time() - start:.0f} s\n\n")
        if unexpected:
            f.write("## Unexpected failures\n\n" + "".join(f"- `{n}`: {d}\n" for n, d in sorted(unexpected.items())) + "\n")
        if stale:
            f.write("## Listed as failing but now passing (remove from expected_failures.txt)\n\n"
                    + "".join(f"- `{n}`\n" for n in stale) + "\n")
        f.write("## Known failures\n\n" + "".join(f"- `{n}`: {expected[n]} (now: {d})\n" for n, d in sorted(known.items())) + "\n")
        f.write("## Passed\n\n" + "".join(f"- `{n}`\n" for n in passed) + "\n")
        f.write("## Unsupported\n\n" + "".join(f"- `{n}`: {r}\n" for n, r in sorted(unsupported.items())))
    os.replace(args.report + ".tmp", args.report)

    print(f"conformance: {len(passed)} passed, {len(known)} known failures, {len(unexpected)} unexpected "
          f"failures, {len(unsupported)} unsupported; report: {args.report}")
    for n, d in sorted(unexpected.items()):
        print(f"  FAIL {n}: {d}")
    for n in stale:
        print(f"  STALE {n}: passes now; remove it from {args.expected}")
    for n in missing_known:
        print(f"  UNKNOWN {n}: listed in {args.expected} but not a supported test")
    return 1 if unexpected or stale or missing_known else 0


if __name__ == "__main__":
    sys.exit(main())
