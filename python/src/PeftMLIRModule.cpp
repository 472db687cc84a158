//===- PeftMLIRModule.cpp - the peft_mlir Python extension ----------------===//

#include "peft/API/API.h"
#include "peft/API/Calibration.h"
#include "peft/Support/CalibrationStats.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <optional>

namespace nb = nanobind;
using mlir::peft::ElementKind;
using mlir::peft::HostTensor;
using mlir::peft::api::Calibrator;
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

/// Input arrays: read-only, C-contiguous, in host memory (nanobind copies a
/// strided numpy array into this form).
using InputArray = nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu>;

std::optional<ElementKind> getElementKind(nb::dlpack::dtype dtype) {
  using Code = nb::dlpack::dtype_code;
  if (dtype.lanes != 1)
    return std::nullopt;
  switch (Code(dtype.code)) {
  case Code::Bool:
    return dtype.bits == 8 ? std::optional(ElementKind::Bool) : std::nullopt;
  case Code::Float:
    return dtype.bits == 16   ? std::optional(ElementKind::F16)
           : dtype.bits == 32 ? std::optional(ElementKind::F32)
           : dtype.bits == 64 ? std::optional(ElementKind::F64)
                              : std::nullopt;
  case Code::Bfloat:
    return dtype.bits == 16 ? std::optional(ElementKind::BF16) : std::nullopt;
  case Code::Int:
  case Code::UInt: {
    bool isSigned = Code(dtype.code) == Code::Int;
    switch (dtype.bits) {
    case 8:
      return isSigned ? ElementKind::I8 : ElementKind::U8;
    case 16:
      return isSigned ? ElementKind::I16 : ElementKind::U16;
    case 32:
      return isSigned ? ElementKind::I32 : ElementKind::U32;
    case 64:
      return isSigned ? ElementKind::I64 : ElementKind::U64;
    default:
      return std::nullopt;
    }
  }
  default:
    return std::nullopt;
  }
}

nb::dlpack::dtype getDType(ElementKind kind) {
  using Code = nb::dlpack::dtype_code;
  auto make = [](Code code, size_t bytes) {
    return nb::dlpack::dtype{uint8_t(code), uint8_t(bytes * 8), 1};
  };
  size_t bytes = mlir::peft::getElementSize(kind);
  switch (kind) {
  case ElementKind::Bool:
    return make(Code::Bool, bytes);
  case ElementKind::I8:
  case ElementKind::I16:
  case ElementKind::I32:
  case ElementKind::I64:
    return make(Code::Int, bytes);
  case ElementKind::U8:
  case ElementKind::U16:
  case ElementKind::U32:
  case ElementKind::U64:
    return make(Code::UInt, bytes);
  case ElementKind::F16:
  case ElementKind::F32:
  case ElementKind::F64:
    return make(Code::Float, bytes);
  case ElementKind::BF16:
    return make(Code::Bfloat, bytes);
  }
  return {};
}

/// os.fspath(value) for a str or an os.PathLike, else nullopt.
std::optional<std::string> getPath(nb::handle value) {
  if (nb::isinstance<nb::str>(value))
    return nb::cast<std::string>(value);
  if (!nb::hasattr(value, "__fspath__"))
    return std::nullopt;
  nb::object path = nb::module_::import_("os").attr("fspath")(value);
  if (!nb::isinstance<nb::str>(path))
    return std::nullopt;
  return nb::cast<std::string>(path);
}

/// Module.run's `adapters` (and `tasks`, `what`): None, a path (`DIR` or
/// `NAME=DIR` as peft-run's --adapter takes it; an os.PathLike is always a
/// directory), a list of those, or {adapter name: directory}.
std::vector<mlir::peft::runtime::AdapterSource>
getAdapterSources(nb::handle adapters, const char *what = "adapters") {
  using mlir::peft::runtime::AdapterSource;
  std::vector<AdapterSource> sources;
  auto fail = [&](nb::handle value) {
    throw PeftError(std::string(what) +
                    ": expected a path, a list of paths or {name: path}, "
                    "got " +
                    nb::type_name(value.type()).c_str());
  };
  auto addPath = [&](nb::handle value) {
    std::optional<std::string> path = getPath(value);
    if (!path)
      fail(value);
    if (nb::isinstance<nb::str>(value))
      sources.push_back(
          unwrap(mlir::peft::runtime::parseAdapterSource(*path, what)));
    else
      sources.push_back(AdapterSource{"default", *path});
  };
  if (adapters.is_none())
    return sources;
  if (nb::isinstance<nb::dict>(adapters)) {
    for (auto [key, value] : nb::borrow<nb::dict>(adapters)) {
      std::optional<std::string> path = getPath(value);
      if (!nb::isinstance<nb::str>(key) || !path)
        fail(value);
      sources.push_back(AdapterSource{nb::cast<std::string>(key), *path});
    }
  } else if (nb::isinstance<nb::list>(adapters) ||
             nb::isinstance<nb::tuple>(adapters)) {
    for (nb::handle value : adapters)
      addPath(value);
  } else {
    addPath(adapters);
  }
  return sources;
}

/// Named views of the numpy arrays of `inputs` ({name: array}); converted
/// (e.g. made contiguous) arrays are new objects, which `arrays` keeps alive
/// (the caller's dict keeps the others).
std::vector<std::pair<std::string, HostTensor>>
getNamedInputs(const nb::dict &inputs, std::vector<InputArray> &arrays,
               const char *what) {
  std::vector<std::pair<std::string, HostTensor>> named;
  for (auto [key, value] : inputs) {
    if (!nb::isinstance<nb::str>(key))
      throw PeftError(std::string(what) + ": input names must be strings");
    std::string name = nb::cast<std::string>(key);
    InputArray array;
    if (!nb::try_cast(value, array))
      throw PeftError("input '" + name +
                      "': expected a numpy array (or another CPU array), got " +
                      nb::type_name(value.type()).c_str());
    arrays.push_back(array);
    std::optional<ElementKind> kind = getElementKind(array.dtype());
    if (!kind)
      throw PeftError("input '" + name + "': unsupported dtype");
    llvm::SmallVector<int64_t, 4> shape;
    for (size_t d = 0; d < array.ndim(); ++d)
      shape.push_back(array.shape(d));
    named.emplace_back(name, HostTensor::view(*kind, shape,
                                              const_cast<void *>(array.data()),
                                              /*owner=*/nullptr));
  }
  return named;
}

/// A numpy array that takes over `tensor`'s buffer.
nb::object toNumpy(HostTensor tensor) {
  auto *owned = new HostTensor(std::move(tensor));
  nb::capsule owner(
      owned, [](void *p) noexcept { delete static_cast<HostTensor *>(p); });
  llvm::SmallVector<size_t, 4> shape(owned->getShape().begin(),
                                     owned->getShape().end());
  nb::ndarray<nb::numpy> array(owned->getData(), shape.size(), shape.data(),
                               owner, /*strides=*/nullptr,
                               getDType(owned->getKind()));
  return array.cast();
}

/// The statistics as {key: numpy array} (f64 or i64 copies).
nb::dict getStatistics(Calibrator &self) {
  const mlir::peft::CalibrationStats &stats = self.getStatistics();
  nb::dict result;
  for (const std::string &key : stats.keys()) {
    auto [dtype, shape] = unwrap(stats.describe(key));
    bool isF64 = dtype == "F64";
    HostTensor tensor(isF64 ? ElementKind::F64 : ElementKind::I64, shape);
    if (isF64)
      llvm::copy(unwrap(stats.getF64(key, shape)),
                 tensor.getMutableValues<double>().begin());
    else
      llvm::copy(unwrap(stats.getI64(key, shape)),
                 tensor.getMutableValues<int64_t>().begin());
    result[nb::str(key.c_str())] = toNumpy(std::move(tensor));
  }
  return result;
}

/// Module.run: numpy arrays in, numpy arrays out. Inputs are viewed, not
/// copied; outputs take over the buffers the generated code allocated.
nb::dict runModule(Module &self, const nb::dict &inputs,
                   const std::string &entry, nb::handle adapters,
                   nb::handle tasks) {
  std::vector<mlir::peft::runtime::AdapterSource> sources =
      getAdapterSources(adapters);
  std::vector<mlir::peft::runtime::AdapterSource> taskSources =
      getAdapterSources(tasks, "tasks");
  for (auto [i, task] : llvm::enumerate(taskSources))
    if (task.adapter == "default")
      task.adapter = "task " + std::to_string(i);
  std::vector<InputArray> arrays;
  std::vector<std::pair<std::string, HostTensor>> named =
      getNamedInputs(inputs, arrays, "Module.run");
  llvm::Expected<std::vector<std::pair<std::string, HostTensor>>> outputs =
      [&] {
        nb::gil_scoped_release release;
        return self.run(named, entry, sources, taskSources);
      }();
  if (!outputs)
    throw PeftError(llvm::toString(outputs.takeError()));

  nb::dict result;
  for (auto &[name, tensor] : *outputs) {
    if (tensor.getKind() == ElementKind::BF16)
      throw PeftError("output '" + name + "' is bf16, which numpy lacks");
    result[nb::str(name.c_str())] = toNumpy(std::move(tensor));
  }
  return result;
}

/// Writes {key: float64 or int64 array} as a calibration statistics file
/// (peft/Support/CalibrationStats.h), atomically.
void writeCalibrationStats(const std::string &path, nb::dict tensors,
                           const std::string &description) {
  mlir::peft::CalibrationStats stats;
  stats.setDescription(description);
  for (auto [key, value] : tensors) {
    std::string name = nb::cast<std::string>(key);
    auto array = nb::cast<InputArray>(value);
    llvm::SmallVector<int64_t, 3> shape;
    size_t count = 1;
    for (size_t i = 0; i < array.ndim(); ++i) {
      shape.push_back(int64_t(array.shape(i)));
      count *= array.shape(i);
    }
    nb::dlpack::dtype dtype = array.dtype();
    if (dtype == nb::dtype<double>())
      check(stats.accumulateF64(
          name, shape, {static_cast<const double *>(array.data()), count}));
    else if (dtype == nb::dtype<int64_t>())
      check(stats.accumulateI64(
          name, shape, {static_cast<const int64_t *>(array.data()), count}));
    else
      throw PeftError("calibration statistics '" + name +
                      "' must be float64 or int64");
  }
  check(stats.write(path));
}
} // namespace

NB_MODULE(_peft_mlir, m) {
  m.doc() = "peft-mlir: low-rank rewriting of transformer models with MLIR";
  nb::exception<PeftError>(m, "PeftError", PyExc_RuntimeError);

  m.def(
      "import_onnx",
      [](const std::string &path) { return unwrap(Module::importONNX(path)); },
      nb::arg("path"), "Same as Module.import_onnx(path).");
  m.def("write_calibration_stats", &writeCalibrationStats, nb::arg("path"),
        nb::arg("tensors"), nb::arg("description") = "{}",
        "Writes {key: float64/int64 array} as a calibration statistics file "
        "(docs/modegpt.md), atomically.");
  m.def("version", &mlir::peft::api::getVersion,
        "peft-mlir's version, e.g. 'peft-mlir 0.1.0'.");
  m.def("mlir_version", &mlir::peft::api::getMLIRVersion,
        "The MLIR version peft-mlir was built against.");
  m.def("onnx_version", &mlir::peft::api::getONNXVersion,
        "The ONNX library peft-mlir links, e.g. 'ONNX 1.23.2'.");

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
             const std::string &dataFile, const std::string &quantizedForm) {
            check(self.exportONNX(path, threshold, dataFile, quantizedForm));
          },
          nb::arg("path"), nb::arg("external_data_threshold") = -1,
          nb::arg("external_data_file") = "",
          nb::arg("quantized_form") = "matmulnbits",
          "Writes the module as an ONNX model. Initializers of at least "
          "external_data_threshold bytes go to external_data_file (default "
          "<path>.data); -1 externalizes only when the model needs it. "
          "quantized_form: quantized linears as 'matmulnbits' "
          "(com.microsoft.MatMulNBits) or 'qdq' (DequantizeLinear -> MatMul, "
          "the opset raised to 13 or 21 as the layers need).")
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
      .def("run", &runModule, nb::arg("inputs"), nb::arg("entry") = "",
           nb::arg("adapters").none() = nb::none(),
           nb::arg("tasks").none() = nb::none(),
           "JIT-compiles the module for the CPU (once; run_pipeline resets "
           "it) and runs function `entry` (default: the only public "
           "function, e.g. an ONNX model's graph). `inputs` maps input names "
           "(onnx.name, or argN) to numpy arrays of the exact dtype; returns "
           "{output name (onnx.name, or resultN): numpy array}. Raises "
           "PeftError naming the input on a wrong name, dtype or shape.\n\n"
           "`adapters` fills the runtime adapter inputs of a module compiled "
           "with lora_as_inputs (peft-lora-as-inputs) from Hugging Face PEFT "
           "adapter directories, as peft-run --adapter does: a path (the "
           "adapter 'default', or 'NAME=DIR' for another), a list of such "
           "paths, or {adapter name: path}. A and B are zero-padded to "
           "max-rank, the scale comes from adapter_config.json, layers an "
           "adapter does not cover get zeros, and `inputs` given explicitly "
           "win. Switching adapters does not recompile. A bad adapter "
           "(rank above max-rank, a missing file, a key matching no layer) "
           "raises PeftError naming the file.\n\n"
           "`tasks` fills the runtime banks of a module compiled with "
           "bank_as_inputs (peft-bank-as-inputs), as peft-run --task-adapter "
           "does: a list of PEFT LoRA adapter paths (or {task name: path}), "
           "task t being task id t of the routing input; a new set of tasks "
           "does not recompile.")
      .def_prop_ro("compile_count", &Module::getCompileCount,
                   "How many times the module has been JIT-compiled: once "
                   "on the first run, again after run_pipeline changes it")
      .def("to_string", &Module::str, nb::arg("generic") = false,
           "MLIR text; generic=True prints the generic op form.")
      .def("__str__", [](const Module &self) { return self.str(); });

  nb::class_<Calibrator>(
      m, "Calibrator",
      "Calibration statistics of a module (peft-calibrate): a copy of the "
      "module instrumented by peft-instrument-calibration and JIT-compiled "
      "once; add() runs one sample and adds its statistics in f64.")
      .def(nb::new_([](Module &module, const std::string &entry,
                       const std::string &modelName) {
             mlir::peft::api::CalibrationOptions options;
             options.entry = entry;
             options.modelName = modelName;
             auto created = [&] {
               nb::gil_scoped_release release;
               return Calibrator::create(module, options);
             }();
             return unwrap(std::move(created));
           }),
           nb::arg("module"), nb::arg("entry") = "", nb::arg("model_name") = "",
           "Instruments a copy of `module` (its linear layers raised, with "
           "module paths) and compiles it; the module is left as it is.")
      .def(
          "add",
          [](Calibrator &self, const nb::dict &inputs) {
            std::vector<InputArray> arrays;
            auto named = getNamedInputs(inputs, arrays, "Calibrator.add");
            llvm::Error err = [&] {
              nb::gil_scoped_release release;
              return self.add(named);
            }();
            check(std::move(err));
          },
          nb::arg("inputs"),
          "Runs one sample ({input name: numpy array}) and adds its "
          "statistics.")
      .def_prop_ro("num_samples", &Calibrator::getNumSamples)
      .def_prop_ro("num_tokens", &Calibrator::getNumTokens)
      .def_prop_ro("warnings", &Calibrator::getWarnings,
                   "Layers calibrated on fewer tokens than input features.")
      .def("statistics", &getStatistics,
           "{key: numpy array} of the statistics file's tensors.")
      .def(
          "write",
          [](Calibrator &self, const std::string &path) {
            check(self.write(path));
          },
          nb::arg("path"),
          "Writes the statistics file (safetensors) atomically.");
}
