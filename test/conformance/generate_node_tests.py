#!/usr/bin/env python3
"""Generates ONNX's node conformance tests from the generators the onnx wheel ships.

The onnx >= 1.23 wheel no longer ships `onnx/backend/test/data/node`, only the
generators (`onnx/backend/test/case/node/*.py`) that produce it; `backend-test-tools
generate-data` of 1.23 writes the model tests only. This script writes every node test
case in the upstream layout:

  OUT/test_<name>/model.onnx
  OUT/test_<name>/test_data_set_0/input_<i>.pb, output_<i>.pb

Deterministic: onnx seeds numpy (`np.random.seed(0)`) before each generator, and the
generators run in module-name order. Offline: only the installed onnx package is used.
The folder is written under a temporary name and renamed when complete, with a
`.complete` stamp that records the onnx version and the test count; an existing
complete folder for the same version is kept.

  generate_node_tests.py [--out DIR]   # default: ~/.cache/peft-mlir/onnx-node-tests/<onnx version>
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

STAMP = ".complete"


def default_dir():
    cache = os.environ.get("PEFT_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "peft-mlir"))
    return os.path.join(cache, "onnx-node-tests", onnx.__version__)


def is_complete(path):
    stamp = os.path.join(path, STAMP)
    return os.path.isfile(stamp) and open(stamp).read().split()[:2] == ["onnx", onnx.__version__]


def _serialize(value, value_info):
    """One input or output as the upstream data sets hold it (a serialized proto)."""
    kind = value_info.type.WhichOneof("value")
    if kind == "map_type":
        return numpy_helper.from_dict(value, value_info.name).SerializeToString()
    if kind == "sequence_type":
        return numpy_helper.from_list(value, value_info.name).SerializeToString()
    if kind == "optional_type":
        return numpy_helper.from_optional(value, value_info.name).SerializeToString()
    if kind != "tensor_type":
        raise ValueError(f"{value_info.name}: unexpected value type {kind}")
    if isinstance(value, TensorProto):
        return value.SerializeToString()
    return numpy_helper.from_array(np.asarray(value), value_info.name).SerializeToString()


def write_case(case, out):
    test_dir = os.path.join(out, case.name)
    os.makedirs(test_dir)
    with open(os.path.join(test_dir, "model.onnx"), "wb") as f:
        f.write(case.model.SerializeToString())
    graph = case.model.graph
    for i, (inputs, outputs) in enumerate(case.data_sets):
        data_set = os.path.join(test_dir, f"test_data_set_{i}")
        os.makedirs(data_set)
        for prefix, values, infos in (("input", inputs, graph.input), ("output", outputs, graph.output)):
            for j, value in enumerate(values):
                with open(os.path.join(data_set, f"{prefix}_{j}.pb"), "wb") as f:
                    f.write(_serialize(value, infos[j]))


def generate(out):
    """Writes every node test into `out` (replaced atomically); returns the count."""
    import onnx.backend.test.case.node as node_tests  # runs nothing until collected

    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".onnx-node-tests-", dir=parent)
    try:
        # The generators' own numpy warnings (1 / 0 on purpose, ...) are noise here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cases = node_tests.collect_testcases()
        names = set()
        for case in cases:
            if case.name in names:
                raise ValueError(f"duplicate node test {case.name}")
            names.add(case.name)
            write_case(case, tmp)
        with open(os.path.join(tmp, STAMP), "w") as f:
            f.write(f"onnx {onnx.__version__} {len(cases)} tests\n")
        if os.path.exists(out):
            shutil.rmtree(out)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return len(cases)


def ensure(out=None, quiet=False):
    """Returns the data folder, generating it first unless a complete one is there."""
    out = out or default_dir()
    if not is_complete(out):
        start = time.time()
        n = generate(out)
        if not quiet:
            print(f"onnx-node-tests: generated {n} node tests of onnx {onnx.__version__} "
                  f"into {out} in {time.time() - start:.0f} s", flush=True)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="default: %(default)s → " + default_dir())
    parser.add_argument("--force", action="store_true", help="regenerate even if complete")
    args = parser.parse_args()
    out = args.out or default_dir()
    if args.force and os.path.exists(out):
        shutil.rmtree(out)
    ensure(out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
