#!/usr/bin/env python3
"""Lists every skipped test of a scripts/test run with its reason, and fails
when a test was skipped for anything but the absence of a GPU.

A run on a machine without a GPU legitimately skips the tests that execute on
one (or assemble for one); nothing else may be skipped. A missing Python
package, a missing model or a feature that was not built is a failure, not a
skip. Expected failures (pytest xfail, lit XFAIL) are not allowed at all. The
rule and the reason strings are documented in docs/testing.md.

Inputs are the reports the runners write:
  --lit FILE      lit --xunit-xml-output (with --lit-source, the test/ tree)
  --ctest FILE    ctest --output-junit
  --pytest FILE   pytest --junitxml

Exit status: 0 when every skip is device-gated, 1 otherwise (or when a report
is missing or unreadable).
"""

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

# lit features that exist only with a GPU, its toolkit or its LLVM backend.
DEVICE_FEATURES = {"cuda-device", "nvptx", "ptxas"}

# The reason a pytest or GoogleTest test gives when it skips for want of a
# GPU, e.g. pytest.mark.skipif(..., reason="needs a CUDA device (nvidia-smi
# lists none)") or GTEST_SKIP() << "needs a CUDA device".
DEVICE_REASON = re.compile(r"\bneeds (a CUDA device|the NVPTX backend|ptxas)\b")

# lit's directives, in any comment style.
XFAIL_LINE = re.compile(r"^\W*XFAIL:")
UNSUPPORTED_LINE = re.compile(r"^\W*UNSUPPORTED:(.*)$")


def features_of(expression):
    """The feature names of a lit boolean expression ("cuda-device, !x")."""
    return set(re.findall(r"[A-Za-z0-9_][-A-Za-z0-9_.+=]*", expression)) - {"true", "false"}


def lit_skips(report, source_root):
    """(name, reason, allowed) for every lit test that did not run."""
    for case in ET.parse(report).getroot().iter("testcase"):
        skipped = case.find("skipped")
        if skipped is None:
            continue
        # classname is "<suite>.<dir with '.' as '_'>", name the file name.
        suite_dir = case.get("classname", "").split(".", 1)[-1]
        name = f"{suite_dir}/{case.get('name')}"
        reason = skipped.get("message", "")
        allowed = False
        missing = re.match(r"Missing required feature\(s\): (.*)", reason)
        if missing:
            features = {f.strip() for f in missing.group(1).split(",")}
            allowed = features <= DEVICE_FEATURES
        elif reason == "Unsupported configuration" and source_root:
            # An UNSUPPORTED: directive held. lit does not say which one, so
            # the test is allowed only if every UNSUPPORTED: line mentions
            # device features alone (e.g. a test of the no-GPU path).
            path = Path(source_root) / suite_dir / case.get("name")
            lines = path.read_text(errors="replace").splitlines() if path.exists() else []
            exprs = [m.group(1) for m in map(UNSUPPORTED_LINE.match, lines) if m]
            found = set().union(*(features_of(e) for e in exprs)) if exprs else set()
            allowed = bool(found) and found <= DEVICE_FEATURES
            reason += f" (UNSUPPORTED: {'; '.join(e.strip() for e in exprs) or '?'})"
        yield name, reason, allowed


def lit_xfails(source_root):
    """lit tests that declare XFAIL: an expected failure hides a real one."""
    root = Path(source_root)
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".mlir", ".test") or not path.is_file():
            continue
        for line in path.read_text(errors="replace").splitlines():
            if XFAIL_LINE.match(line):
                yield str(path.relative_to(root)), f"declares {line.strip()}"
                break


def ctest_skips(report):
    for case in ET.parse(report).getroot().iter("testcase"):
        status = case.get("status", "run")
        skipped = case.find("skipped")
        if status == "run" or (status == "fail" and skipped is None):
            continue
        output = case.findtext("system-out") or ""
        reason = skipped.get("message", status) if skipped is not None else status
        if skipped is not None and "Unable to find executable" in reason:
            continue  # ctest already counts it as a failure
        # GoogleTest prints the GTEST_SKIP message just before "[  SKIPPED ]".
        device = [line for line in output.splitlines() if DEVICE_REASON.search(line)]
        if device:
            reason += ": " + device[0].strip()
        yield case.get("name"), reason, bool(device)


def pytest_skips(report):
    for case in ET.parse(report).getroot().iter("testcase"):
        skipped = case.find("skipped")
        if skipped is None:
            continue
        name = f"{case.get('classname')}::{case.get('name')}"
        kind = skipped.get("type", "pytest.skip")
        reason = skipped.get("message", "")
        if kind == "pytest.xfail":
            yield name, f"xfail: {reason}", False
            continue
        yield name, reason, bool(DEVICE_REASON.search(reason))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lit", help="lit --xunit-xml-output report")
    parser.add_argument("--lit-source", help="the lit test tree (test/)")
    parser.add_argument("--ctest", help="ctest --output-junit report")
    parser.add_argument("--pytest", help="pytest --junitxml report")
    args = parser.parse_args()

    suites = []
    try:
        if args.lit:
            suites.append(("lit skipped", list(lit_skips(args.lit, args.lit_source))))
        if args.lit_source:
            suites.append(("lit XFAIL declared",
                           [(n, r, False) for n, r in lit_xfails(args.lit_source)]))
        if args.ctest:
            suites.append(("ctest skipped", list(ctest_skips(args.ctest))))
        if args.pytest:
            suites.append(("pytest skipped or xfail", list(pytest_skips(args.pytest))))
    except (OSError, ET.ParseError) as error:
        print(f"check_skips: cannot read a test report: {error}", file=sys.stderr)
        return 1

    bad = 0
    for suite, skips in suites:
        if not skips:
            print(f"{suite}: none")
            continue
        print(f"{suite}: {len(skips)}")
        for name, reason, allowed in skips:
            print(f"  {'device-gated' if allowed else 'NOT ALLOWED '}  {name}: {reason}")
            bad += not allowed
    if bad:
        print(f"check_skips: {bad} test(s) skipped or expected to fail for a reason other "
              f"than a missing GPU (see docs/testing.md)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
