"""Runs the ONNX node conformance suite (run_conformance.py) as part of pytest.

The node tests are those of the installed onnx release, generated from its wheel's
generators into ~/.cache/peft-mlir/onnx-node-tests/<version> (scripts/setup; the
runner generates them when missing). Fails when a supported test fails without being
listed in expected_failures.txt, or when a listed one passes or is not a supported
test. The report (counts per opset band, every failure with its reason) is written to
<build>/conformance/report.md. The whole suite runs (about 90 s with -j 2).
"""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILD = Path(os.environ.get("PEFT_BUILD", HERE.parent.parent / "build"))


def test_onnx_node_conformance():
    report = BUILD / "conformance" / "report.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    r = subprocess.run([sys.executable, str(HERE / "run_conformance.py"),
                        "--peft-run", str(BUILD / "bin" / "peft-run"),
                        "--report", str(report), "-j", str(min(os.cpu_count() or 1, 4))],
                       capture_output=True, text=True, timeout=3600)
    print(r.stdout[-3000:])
    assert r.returncode == 0, f"conformance failures (see {report}):\n{r.stdout[-6000:]}\n{r.stderr[-2000:]}"
    summary = report.read_text().splitlines()[2]
    passed = int(summary.split()[0])
    # Most of the supported node tests pass (606 of 749 with onnx 1.23.2); a
    # collapse would show up here.
    assert passed >= 880, summary
