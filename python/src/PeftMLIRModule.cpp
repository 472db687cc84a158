//===- PeftMLIRModule.cpp - the peft_mlir Python extension ----------------===//

#include "peft/API/API.h"

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

namespace nb = nanobind;
using mlir::peft::api::Module;

namespace {
/// Raised for every failure; the message carries the MLIR diagnostics.
struct PeftError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename T> T unwrap(llvm::Expected<T> value) {
  if (!value)
    throw PeftError(llvm::toString(value.takeError()));
  return std::move(*value);
}

void check(llvm::Error error) {
  if (error)
    throw PeftError(llvm::toString(std::move(error)));
}
} // namespace

NB_MODULE(_peft_mlir, m) {
  m.doc() = "peft-mlir: low-rank rewriting of transformer models with MLIR";
  nb::exception<PeftError>(m, "PeftError", PyExc_RuntimeError);

  m.def(
      "import_onnx",
      [](const std::string &path) { return unwrap(Module::importONNX(path)); },
      nb::arg("path"), "Same as Module.import_onnx(path).");
  m.def("version", &mlir::peft::api::getVersion,
        "peft-mlir's version, e.g. 'peft-mlir 0.1.0'.");
  m.def("mlir_version", &mlir::peft::api::getMLIRVersion,
        "The MLIR version peft-mlir was built against.");

  nb::class_<Module>(m, "Module",
                     "An MLIR module with its own context, every dialect "
                     "peft-mlir uses registered.")
      .def_static(
          "parse",
          [](const std::string &source, const std::string &sourceName) {
            return unwrap(Module::parse(source, sourceName));
          },
          nb::arg("source"), nb::arg("source_name") = "<string>",
          "Parses MLIR text; raises PeftError with the diagnostics.")
      .def_static(
          "parse_file",
          [](const std::string &path) {
            return unwrap(Module::parseFile(path));
          },
          nb::arg("path"), "Parses an MLIR file (text or bytecode).")
      .def_static(
          "import_onnx",
          [](const std::string &path) {
            return unwrap(Module::importONNX(path));
          },
          nb::arg("path"),
          "Imports an ONNX model into the onnx dialect; external data is "
          "memory-mapped, not copied.")
      .def(
          "export_onnx",
          [](Module &self, const std::string &path, int64_t threshold,
             const std::string &dataFile) {
            check(self.exportONNX(path, threshold, dataFile));
          },
          nb::arg("path"), nb::arg("external_data_threshold") = -1,
          nb::arg("external_data_file") = "",
          "Writes the module as an ONNX model. Initializers of at least "
          "external_data_threshold bytes go to external_data_file (default "
          "<path>.data); -1 externalizes only when the model needs it.")
      .def(
          "run_pipeline",
          [](Module &self, const std::string &pipeline) -> Module & {
            check(self.runPipeline(pipeline));
            return self;
          },
          nb::arg("pipeline"), nb::rv_policy::reference,
          "Runs a textual pass pipeline in place, e.g. "
          "'func.func(convert-peft-to-linalg)'; returns the module.")
      .def(
          "verify", [](Module &self) { check(self.verify()); },
          "Runs the verifier; raises PeftError on failure.")
      .def("to_string", &Module::str, nb::arg("generic") = false,
           "MLIR text; generic=True prints the generic op form.")
      .def("__str__", [](const Module &self) { return self.str(); });
}
