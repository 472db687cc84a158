"""Runs the ONNX node conformance suite (run_conformance.py) as part of pytest.

Fails when a supported libonnx-testdata node test fails without being listed in
expected_failures.txt, or when a listed one passes. The report (counts, every
failure with its reason) is written to <build>/conformance/report.md.
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
                        "--report", str(report), "-j", str(os.cpu_count() or 1)],
                       capture_output=True, text=True, timeout=3600)
    print(r.stdout[-3000:])
    assert r.returncode == 0, f"conformance failures (see {report}):\n{r.stdout[-6000:]}\n{r.stderr[-2000:]}"
    summary = report.read_text().splitlines()[2]
    passed = int(summary.split()[0])
    # Most of the supported node tests run; a collapse would show up here.
    assert passed >= 200, summary
