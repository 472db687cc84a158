"""scripts/check_skips.py: only device-gated skips pass, everything else fails.

The reports are written by hand in the formats lit (--xunit-xml-output),
ctest (--output-junit) and pytest (--junitxml) use.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_skips.py"


def check(tmp_path, **reports):
    args = [sys.executable, str(SCRIPT)]
    for kind, text in reports.items():
        if kind == "lit_source":
            args += ["--lit-source", str(text)]
            continue
        path = tmp_path / f"{kind}.xml"
        path.write_text(text)
        args += [f"--{kind}", str(path)]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def lit_report(*cases):
    body = "".join(cases)
    return f'<?xml version="1.0"?><testsuites><testsuite name="PEFT">{body}</testsuite></testsuites>'


def lit_case(directory, name, reason=None):
    if reason is None:
        return f'<testcase classname="PEFT.{directory}" name="{name}" time="0.1"/>'
    return (f'<testcase classname="PEFT.{directory}" name="{name}" time="0.1">'
            f'<skipped message="{reason}"/></testcase>')


def test_lit_device_features_pass(tmp_path):
    r = check(tmp_path, lit=lit_report(
        lit_case("Target/ONNX", "import.test"),
        lit_case("Pipelines/GPU", "cubin.mlir", "Missing required feature(s): nvptx, ptxas"),
        lit_case("Runtime/CUDA", "exec.mlir", "Missing required feature(s): cuda-device")))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "device-gated  Pipelines/GPU/cubin.mlir: Missing required feature(s): nvptx, ptxas" \
        in r.stdout


def test_lit_other_features_fail(tmp_path):
    r = check(tmp_path, lit=lit_report(
        lit_case("tools/peft-run", "cuda-linear.test",
                 "Missing required feature(s): cuda-device, python"),
        lit_case("Target/ONNX", "fuzz.test", "Missing required feature(s): fuzzer")))
    assert r.returncode == 1
    assert "NOT ALLOWED   tools/peft-run/cuda-linear.test" in r.stdout
    assert "NOT ALLOWED   Target/ONNX/fuzz.test" in r.stdout


def test_lit_unsupported_directive(tmp_path):
    src = tmp_path / "src"
    (src / "tools").mkdir(parents=True)
    (src / "tools" / "no-gpu.test").write_text("UNSUPPORTED: cuda-device\nRUN: true\n")
    (src / "tools" / "no-torch.test").write_text("UNSUPPORTED: torch\nRUN: true\n")
    ok = check(tmp_path, lit_source=src, lit=lit_report(
        lit_case("tools", "no-gpu.test", "Unsupported configuration")))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = check(tmp_path, lit_source=src, lit=lit_report(
        lit_case("tools", "no-torch.test", "Unsupported configuration")))
    assert bad.returncode == 1
    assert "UNSUPPORTED: torch" in bad.stdout


def test_lit_xfail_is_rejected(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "x.mlir").write_text("// XFAIL: *\n// RUN: false\n")
    r = check(tmp_path, lit_source=src, lit=lit_report())
    assert r.returncode == 1
    assert "x.mlir: declares // XFAIL: *" in r.stdout


def pytest_report(*cases):
    return ('<?xml version="1.0"?><testsuites><testsuite name="pytest">'
            + "".join(cases) + "</testsuite></testsuites>")


def pytest_case(name, kind=None, message=None):
    if kind is None:
        return f'<testcase classname="tests.test_x" name="{name}" time="0.1"/>'
    return (f'<testcase classname="tests.test_x" name="{name}" time="0.1">'
            f'<skipped type="{kind}" message="{message}">where</skipped></testcase>')


def test_pytest_skips(tmp_path):
    ok = check(tmp_path, pytest=pytest_report(
        pytest_case("test_ok"),
        pytest_case("test_gpu", "pytest.skip", "needs a CUDA device (nvidia-smi lists none)")))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for kind, message in [("pytest.skip", "could not import 'peft': No module named 'peft'"),
                          ("pytest.skip", "minilm_opset14 was not generated"),
                          ("pytest.xfail", "does not lower yet")]:
        r = check(tmp_path, pytest=pytest_report(pytest_case("test_bad", kind, message)))
        assert r.returncode == 1, (kind, message)
        assert "NOT ALLOWED   tests.test_x::test_bad" in r.stdout


def ctest_report(*cases):
    return '<?xml version="1.0"?><testsuite name="x">' + "".join(cases) + "</testsuite>"


def test_ctest_skips(tmp_path):
    gpu = ('<testcase name="CudaRuntime.Launch" status="notrun">'
           '<skipped message="SKIP_REGULAR_EXPRESSION_MATCHED"/>'
           '<system-out>x.cpp:3: Skipped\nneeds a CUDA device\n[  SKIPPED ] CudaRuntime.Launch'
           '</system-out></testcase>')
    other = ('<testcase name="Numerics.Svd" status="notrun">'
             '<skipped message="SKIP_REGULAR_EXPRESSION_MATCHED"/>'
             '<system-out>x.cpp:3: Skipped\nno LAPACK\n[  SKIPPED ] Numerics.Svd'
             '</system-out></testcase>')
    disabled = '<testcase name="docs" status="disabled"><system-out>Disabled</system-out></testcase>'
    passed = '<testcase name="lit" status="run"><system-out></system-out></testcase>'
    assert check(tmp_path, ctest=ctest_report(passed, gpu)).returncode == 0
    for case in (other, disabled):
        r = check(tmp_path, ctest=ctest_report(passed, case))
        assert r.returncode == 1, case


def test_missing_report_fails(tmp_path):
    r = subprocess.run([sys.executable, str(SCRIPT), "--pytest", str(tmp_path / "none.xml")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "cannot read a test report" in r.stderr
