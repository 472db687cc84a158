#!/usr/bin/env python3
"""Checks the library layering that docs/architecture.md states.

- The table "Which library may depend on which" lists, for every library of
  ours, exactly the libraries of ours its CMake LINK_LIBS name.
- Every `#include "peft/..."` of a library's sources is a header of that
  library or of one it depends on, directly or in turn.
- PeftSupport includes no MLIR dialect and no protobuf/onnx header.
- Passes of the peft dialect (lib/Dialect/Peft) create no onnx op (one
  documented exception: ONNX_OPS_ALLOWED).
- The runtime (lib/Runtime) registers what its pipelines use, not
  InitAll; only lib/InitAll.cpp includes the upstream mlir/InitAll*.h.

Usage: check_layering.py [ROOT]  (default: the repository of this script)
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else
                    pathlib.Path(__file__).resolve().parent.parent)
TABLE_HEADING = "### Which library may depend on which"

# The one exception to "peft-dialect passes create no onnx op", as
# docs/architecture.md states it: peft-modegpt's attention rewrite edits the
# onnx graph between the projections (its head-shape constants, Splits and
# rotary tables) and gathers the shared rotary tables per head with an
# onnx.MatMul, which every backend and the exporter already handle.
ONNX_OPS_ALLOWED = {
    "lib/Dialect/Peft/Transforms/ModegptAttention.cpp": ("MatMul",),
}


def parse_cmake():
    """{library: (source paths, set of our libraries it links)}."""
    libs = {}
    for cmake in sorted((ROOT / "lib").rglob("CMakeLists.txt")):
        text = "\n".join(line.split("#", 1)[0]
                         for line in cmake.read_text().splitlines())
        for match in re.finditer(r"peft_add_library\((.*?)\)", text, re.S):
            words = match.group(1).split()
            name, args = words[0], words[1:]
            sources, links, mode = [], set(), "src"
            for word in args:
                if word in ("DEPENDS", "LINK_LIBS"):
                    mode = word
                elif mode == "src":
                    sources.append(cmake.parent / word)
                elif mode == "LINK_LIBS" and word.startswith("Peft"):
                    links.add(word)
            libs[name] = (sources, links)
    return libs


def parse_doc_table():
    text = (ROOT / "docs" / "architecture.md").read_text()
    if TABLE_HEADING not in text:
        sys.exit(f"docs/architecture.md: no '{TABLE_HEADING}' section")
    rows = {}
    for line in text.split(TABLE_HEADING, 1)[1].splitlines():
        match = re.match(r"\|\s*`(Peft\w+)`\s*\|(.*)\|\s*$", line)
        if match:
            rows[match.group(1)] = set(re.findall(r"`(Peft\w+)`",
                                                  match.group(2)))
        elif rows and not line.startswith("|"):
            break
    return rows


def closure(libs, name):
    seen, todo = set(), [name]
    while todo:
        for dep in libs.get(todo.pop(), ((), set()))[1]:
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def header_owners(libs):
    """Maps a header path under include/ to the libraries that define it: the
    library with a source of the same name under the matching lib/ folder,
    else the one whose sources are in that folder."""
    owners = {}
    for header in (ROOT / "include").rglob("*.h"):
        rel = header.relative_to(ROOT / "include")
        folder = ROOT / "lib" / rel.relative_to("peft").parent
        found = set()
        for name, (sources, _) in libs.items():
            if any(s.stem == header.stem and folder in s.parents
                   for s in sources):
                found.add(name)
        if not found:
            found = {name for name, (sources, _) in libs.items()
                     if any(s.parent == folder for s in sources)}
        owners[str(rel)] = found
    # Declares both the registration of ours and of everything.
    owners["peft/InitAll.h"] = {"PeftRegistration", "PeftInitAll"}
    return owners


def includes(path):
    return re.findall(r'^#include\s+"([^"]+)"', path.read_text(), re.M)


def main():
    problems = []
    libs = parse_cmake()
    table = parse_doc_table()
    for name in sorted(set(libs) | set(table)):
        if name not in libs:
            problems.append(f"docs/architecture.md lists {name}, which no "
                            "lib/**/CMakeLists.txt defines")
        elif name not in table:
            problems.append(f"docs/architecture.md: no row for {name}")
        elif table[name] != libs[name][1]:
            problems.append(
                f"{name}: docs/architecture.md says {sorted(table[name])}, "
                f"CMake LINK_LIBS say {sorted(libs[name][1])}")

    owners = header_owners(libs)
    for name, (sources, _) in libs.items():
        allowed = closure(libs, name) | {name}
        for source in sources:
            for inc in includes(source):
                if not inc.startswith("peft/") or inc.endswith(".inc"):
                    continue
                owner = owners.get(inc)
                if owner and not owner & allowed:
                    problems.append(
                        f"{source.relative_to(ROOT)}: includes {inc} of "
                        f"{'/'.join(sorted(owner))}, which {name} does not "
                        "depend on")

    support = sorted((ROOT / "lib" / "Support").glob("*.cpp")) + sorted(
        (ROOT / "include" / "peft" / "Support").glob("*.h"))
    for path in support:
        for inc in includes(path) + re.findall(
                r'^#include\s+<([^>]+)>', path.read_text(), re.M):
            if re.match(r"mlir/Dialect/|onnx/|google/protobuf/", inc):
                problems.append(f"{path.relative_to(ROOT)}: PeftSupport "
                                f"includes {inc}")

    for path in sorted((ROOT / "lib" / "Dialect" / "Peft").rglob("*.cpp")):
        allowed_ops = ONNX_OPS_ALLOWED.get(
            path.relative_to(ROOT).as_posix(), ())
        for match in re.finditer(
                r"onnx_ir::(\w+)Op::create\s*\(|create<\s*onnx_ir::(\w+)",
                path.read_text()):
            if (match.group(1) or match.group(2)) in allowed_ops:
                continue
            problems.append(f"{path.relative_to(ROOT)}: a peft-dialect pass "
                            f"creates an onnx op ({match.group(0)})")

    for path in sorted((ROOT / "lib" / "Runtime").rglob("*.cpp")):
        text = path.read_text()
        if "peft/InitAll.h" in includes(path) or re.search(
                r"\bregisterAll\w*\(", text):
            problems.append(f"{path.relative_to(ROOT)}: the runtime uses "
                            "InitAll / registerAll*")
    for folder in ("lib", "tools", "python"):
        for path in sorted((ROOT / folder).rglob("*.cpp")):
            if path == ROOT / "lib" / "InitAll.cpp":
                continue
            if any(inc.startswith("mlir/InitAll") for inc in includes(path)):
                problems.append(f"{path.relative_to(ROOT)}: includes "
                                "mlir/InitAll*.h (only lib/InitAll.cpp may)")

    for problem in problems:
        print("error:", problem)
    if problems:
        return 1
    print(f"layering: {len(libs)} libraries, {len(table)} table rows agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
