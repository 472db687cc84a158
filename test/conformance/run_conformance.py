#!/usr/bin/env python3
"""Runs ONNX's node conformance tests through peft-mlir: import → lower → peft-run.

The tests are the node test cases of the installed onnx release (model.onnx plus
test_data_set_*/input_*.pb and output_*.pb), generated from the generators its wheel
ships by generate_node_tests.py into ~/.cache/peft-mlir/onnx-node-tests/<version>
(scripts/setup does it; this runner does it too when the folder is missing). `--data
DIR` runs another copy in the same layout (e.g. the onnx 1.22 wheel's
onnx/backend/test/data/node).

Every test whose nodes all belong to the op set peft-mlir imports as typed ops and
lowers (SUPPORTED_OPS), at an opset the importer handles (≤ MAX_OPSET), is compiled and
run by `peft-run` on each data set and compared with the reference outputs. Other tests
are unsupported, with the ops or the opset named.

Known failures live in expected_failures.txt (`test_name: reason`). The run fails
(exit 1) when a supported test fails without being listed there, or when a listed test
now passes (the list is stale). A Markdown report with counts per opset band and every
failure is written to --report.

  run_conformance.py --peft-run build/bin/peft-run --report build/conformance.md [-j 2] [-k FILTER]
"""

import argparse
import concurrent.futures
import datetime
import glob
import os
import re
import subprocess
import sys
import time

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import generate_node_tests  # noqa: E402

# The newest ai.onnx opset the importer accepts (lib/Target/ONNX/ONNXImport.cpp;
# main() checks that the importer still says so).
MAX_OPSET = 28
IMPORTER = os.path.join(HERE, "..", "..", "lib", "Target", "ONNX", "ONNXImport.cpp")

# Default-domain ops with a typed op in the onnx dialect
# (include/peft/Dialect/ONNX/IR/ONNXOps.td) and a convert-onnx-to-linalg lowering.
# `If` is typed but not lowered; `MatMulNBits` is com.microsoft (no node tests).
SUPPORTED_OPS = set("""
Add Sub Mul Div Pow Sqrt Reciprocal Neg Abs Exp Log Erf Tanh Sigmoid Relu Cos Sin Not
Gelu Max Min Clip Equal Less Greater Where Cast MatMul Gemm Einsum MatMulInteger
Softmax LayerNormalization ReduceMean ReduceSum ReduceL2 ReduceMax ReduceMin ReduceProd
Gather Reshape Flatten Transpose Unsqueeze Squeeze Concat Slice Split Pad Shape Range
ConstantOfShape Expand Trilu Identity Constant QuantizeLinear DequantizeLinear
DynamicQuantizeLinear RMSNormalization RotaryEmbedding Attention Resize LessOrEqual
GreaterOrEqual And Or Xor Mod Sum Mean Floor Ceil Round Sign Softplus Softsign IsNaN
CastLike
""".split())

# Opset bands of the report: (label, lowest, highest).
BANDS = [("≤ 17", 0, 17), ("18–20", 18, 20), ("21–23", 21, 23), ("≥ 24", 24, 10**9)]


def typed_ops():
    """Op types of the onnx dialect's typed ops, read from ONNXOps.td."""
    td = os.path.join(HERE, "..", "..", "include", "peft", "Dialect", "ONNX", "IR", "ONNXOps.td")
    return set(re.findall(r'ONNX_\w*Op<"(\w+)"', open(td).read()))


def opset_of(model):
    """The model's ai.onnx opset version (0 when it imports none)."""
    return max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)


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
            text = (r.stderr + r.stdout).replace(os.path.dirname(test_dir) + os.sep, "")
            lines = [l.strip() for l in text.splitlines() if l.strip()]
            errors = [l for l in lines if "error" in l.lower() or "mismatch" in l.lower()]
            # The driver's header ("failed to import X:") and the located error under it.
            detail = " ".join((errors or lines or [f"exit {r.returncode}"])[:2])
            return "fail", detail[:400]
    return "pass", ""


def classify(data, name_filter):
    """Returns (tests, unsupported, opsets): supported (name, dir) pairs in name order,
    {name: reason} for the others, and {name: ai.onnx opset} for all of them."""
    tests, unsupported, opsets = [], {}, {}
    for test_dir in sorted(glob.glob(os.path.join(data, "test_*"))):
        name = os.path.basename(test_dir)
        if name_filter not in name:
            continue
        model = onnx.load(os.path.join(test_dir, "model.onnx"), load_external_data=False)
        opsets[name] = opset = opset_of(model)
        missing = sorted(ops_of(model.graph) - SUPPORTED_OPS)
        reasons = []
        if opset > MAX_OPSET:
            reasons.append(f"opset {opset} > {MAX_OPSET}")
        if missing:
            reasons.append("uses " + ", ".join(missing))
        if reasons:
            unsupported[name] = "; ".join(reasons)
        else:
            tests.append((name, test_dir))
    return tests, unsupported, opsets


def band_table(opsets, passed, known, unexpected, unsupported):
    rows = ["| opset | tests | supported | passed | expected failures | unexpected failures | unsupported |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    columns = [set(opsets), set(opsets) - set(unsupported), set(passed), set(known), set(unexpected),
               set(unsupported)]
    for label, lo, hi in BANDS + [("all", 0, 10**9)]:
        counts = [sum(1 for n in c if lo <= opsets[n] <= hi) for c in columns]
        rows.append(f"| {label} | " + " | ".join(map(str, counts)) + " |")
    return "\n".join(rows) + "\n"


def unsupported_ops_summary(unsupported):
    """Ops outside the set, by the number of tests that use them."""
    counts = {}
    for reason in unsupported.values():
        for part in reason.split("; "):
            if part.startswith("uses "):
                for op in part[5:].split(", "):
                    counts[op] = counts.get(op, 0) + 1
    return ", ".join(f"{op} ({n})" for op, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peft-run", required=True)
    parser.add_argument("--report", required=True)
    parser.add_argument("--data", default=None,
                        help="node test folder (default: the generated tests of the installed onnx, "
                             + generate_node_tests.default_dir() + ")")
    parser.add_argument("--expected", default=os.path.join(HERE, "expected_failures.txt"))
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("-k", "--filter", default="", help="only tests whose name contains this")
    parser.add_argument("--rtol", type=float, default=1e-4)
    parser.add_argument("--atol", type=float, default=1e-5)
    parser.add_argument("--timeout", type=int, default=120)
    args = parser.parse_args()

    limit = re.findall(r"opset\.version\(\) > (\d+)", open(IMPORTER).read())
    if limit != [str(MAX_OPSET)]:
        sys.exit(f"conformance: MAX_OPSET = {MAX_OPSET} but {os.path.normpath(IMPORTER)} checks "
                 f"`opset.version() > {', '.join(limit) or '?'}`; update MAX_OPSET and this check")
    stray = sorted(SUPPORTED_OPS - typed_ops())
    if stray:
        sys.exit(f"conformance: SUPPORTED_OPS names ops without a typed onnx op: {', '.join(stray)}")
    if args.data:
        data = args.data
        if not os.path.isdir(data):
            sys.exit(f"conformance: --data {data} is not a folder")
        source = data
    else:
        data = generate_node_tests.ensure()
        source = (f"node tests generated from the onnx {onnx.__version__} wheel's generators "
                  f"(test/conformance/generate_node_tests.py)")
    expected = load_expected(args.expected)
    tests, unsupported, opsets = classify(data, args.filter)
    if not opsets:
        sys.exit(f"conformance: no test_* folders in {data}" + (f" matching {args.filter!r}" if args.filter else ""))

    start = time.time()
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_test, args.peft_run, d, args.rtol, args.atol, args.timeout): n
                   for n, d in tests}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            results[futures[future]] = future.result()
            if done % 50 == 0 or done == len(futures):
                print(f"conformance: {done}/{len(futures)} run ({time.time() - start:.0f} s)", flush=True)
    elapsed = time.time() - start

    passed = sorted(n for n, (s, _) in results.items() if s == "pass")
    failed = {n: d for n, (s, d) in results.items() if s == "fail"}
    unexpected = {n: d for n, d in failed.items() if n not in expected}
    known = {n: d for n, d in failed.items() if n in expected}
    stale = sorted(n for n in passed if n in expected)
    missing_known = sorted(n for n in expected if n not in results and args.filter in n)

    with open(args.report + ".tmp", "w") as f:
        f.write("# ONNX node conformance\n\n")
        f.write(f"{len(passed)} passed, {len(known)} known failures, {len(unexpected)} unexpected failures, "
                f"{len(unsupported)} unsupported (ops outside the imported op set or opset > {MAX_OPSET}); "
                f"rtol {args.rtol}, atol {args.atol}; {elapsed:.0f} s with -j {args.jobs}\n\n")
        f.write(f"Source: {source}; onnx {onnx.__version__}; "
                f"{datetime.date.today().isoformat()}"
                + (f"; only tests matching {args.filter!r}" if args.filter else "") + ".\n\n")
        f.write("Opset: the model's ai.onnx opset import.\n\n")
        f.write(band_table(opsets, passed, known, unexpected, unsupported) + "\n")
        newer_only = sum(1 for r in unsupported.values() if r.startswith("opset") and "uses" not in r)
        f.write(f"Of the unsupported tests, {newer_only} use only supported ops but opset > {MAX_OPSET} "
                f"(onnx's generators write each test at its op's newest version).\n\n")
        if unexpected:
            f.write("## Unexpected failures\n\n" + "".join(f"- `{n}`: {d}\n" for n, d in sorted(unexpected.items())) + "\n")
        if stale:
            f.write("## Listed as failing but now passing (remove from expected_failures.txt)\n\n"
                    + "".join(f"- `{n}`\n" for n in stale) + "\n")
        if missing_known:
            f.write("## Listed as failing but not a supported test (remove from expected_failures.txt)\n\n"
                    + "".join(f"- `{n}`: {unsupported.get(n, 'no such test')}\n" for n in missing_known) + "\n")
        f.write("## Known failures\n\n" + "".join(f"- `{n}` (opset {opsets[n]}): {expected[n]} (now: {d})\n"
                                                    for n, d in sorted(known.items())) + "\n")
        f.write("## Passed\n\n" + "".join(f"- `{n}`\n" for n in passed) + "\n")
        f.write("## Unsupported\n\n")
        f.write(f"Ops outside the set, by number of tests: {unsupported_ops_summary(unsupported)}.\n\n")
        f.write("".join(f"- `{n}` (opset {opsets[n]}): {r}\n" for n, r in sorted(unsupported.items())))
    os.replace(args.report + ".tmp", args.report)

    print(f"conformance: {len(passed)} passed, {len(known)} known failures, {len(unexpected)} unexpected "
          f"failures, {len(unsupported)} unsupported; {elapsed:.0f} s; report: {args.report}")
    print(band_table(opsets, passed, known, unexpected, unsupported))
    for n, d in sorted(unexpected.items()):
        print(f"  FAIL {n}: {d}")
    for n in stale:
        print(f"  STALE {n}: passes now; remove it from {args.expected}")
    for n in missing_known:
        print(f"  UNKNOWN {n}: listed in {args.expected} but not a supported test "
              f"({unsupported.get(n, 'no such test')})")
    return 1 if unexpected or stale or missing_known else 0


if __name__ == "__main__":
    sys.exit(main())
