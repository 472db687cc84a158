//===- peft-run.cpp - run a model on the CPU through the JIT --------------===//
//
// Compiles an ONNX model or an MLIR module with peft-lower-to-llvm and the
// in-process ExecutionEngine, runs one function on tensors read from .npy /
// TensorProto files, writes the results as .npy and compares them with
// references.
//
//===----------------------------------------------------------------------===//

#include "peft/API/API.h"
#include "peft/Config.h"
#include "peft/Runtime/CPURuntime.h"
#include "peft/Runtime/RuntimeAdapters.h"
#include "peft/Support/Npy.h"
#include "peft/Target/ONNX/ONNXImport.h"
#include "peft/Target/ONNX/TensorProto.h"
#include "peft/Tools/FrontDoor.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <optional>

using namespace mlir;
using namespace mlir::peft;
namespace cl = llvm::cl;

static constexpr const char *kOverview =
    R"(peft-run: run a model on the CPU or an NVIDIA GPU

Compiles an ONNX model (.onnx) or an MLIR module with peft-lower-to-llvm,
JIT-compiles it in process and calls one function. Inputs and references are
.npy or ONNX TensorProto (.pb) files; outputs are written as .npy.

Examples:
  # Run the graph of an ONNX model, write the outputs as <onnx.name>.npy.
  peft-run model.onnx --input input_ids=ids.npy --input attention_mask=m.npy \
      --output-dir out/

  # Check against references (exit status 2 on a mismatch).
  peft-run model.onnx --input-dir test_data_set_0 --compare-dir test_data_set_0

  # A function of an MLIR module, arguments by position.
  peft-run model.mlir --entry forward --input arg0=x.npy --compare result0=y.npy

  # A model compiled with peft-lora-as-inputs: its adapter inputs filled
  # from a Hugging Face PEFT adapter directory (zero-padded to max-rank).
  peft-run model.mlir --adapter=adapters/sst2 --input x=x.npy

  # A model compiled with peft-bank-as-inputs and peft-route-tasks: tasks 0
  # and 1 from PEFT adapter directories, a task per sequence (-1: none).
  peft-run model.onnx --task-adapter sst2=adapters/sst2 \
      --task-adapter mnli=adapters/mnli --input input_ids=ids.npy \
      --input task_ids=ids_per_row.npy

  # On an NVIDIA GPU: the function is specialized to the inputs' shapes and
  # lowered with peft-lower-to-nvvm; libpeft_cuda_runtime.so runs it.
  peft-run model.onnx --device=cuda --input-dir test_data_set_0 \
      --compare-dir test_data_set_0

Exit status: 0 on success, 1 on an error, 2 when a comparison fails.
)";

static cl::OptionCategory category("peft-run options");
static cl::opt<std::string> inputFile(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx | module.mlir>"),
                                      cl::cat(category));
static cl::opt<std::string>
    entry("entry",
          cl::desc("Function to run (default: the only callable function)"),
          cl::value_desc("name"), cl::cat(category));
static cl::list<std::string>
    inputs("input",
           cl::desc("An input: its onnx.name (or argN) and a .npy/.pb file"),
           cl::value_desc("name=path"), cl::cat(category));
static cl::list<std::string> adapterDirs(
    "adapter",
    cl::desc("Fill the runtime adapter inputs (peft-lora-as-inputs) from "
             "PEFT adapter directories: DIR for the adapter 'default', "
             "NAME=DIR for another; layers an adapter does not cover get "
             "zeros. --input overrides single inputs"),
    cl::CommaSeparated, cl::value_desc("[name=]dir"), cl::cat(category));
static cl::list<std::string> taskDirs(
    "task-adapter",
    cl::desc("Fill the runtime banks (peft-bank-as-inputs) with tasks, in "
             "order: NAME=DIR (or DIR) per task, a PEFT LoRA adapter "
             "directory; task t is task id t of the routing input. "
             "--input overrides single inputs"),
    cl::value_desc("[name=]dir"), cl::cat(category));
static cl::opt<std::string> inputDir(
    "input-dir",
    cl::desc("Read input_<N>.pb (or .npy) for every input N from a directory "
             "(the ONNX test-data layout)"),
    cl::value_desc("dir"), cl::cat(category));
static cl::opt<std::string>
    outputDir("output-dir",
              cl::desc("Write each output as <name>.npy into this directory"),
              cl::value_desc("dir"), cl::cat(category));
static cl::list<std::string>
    compares("compare",
             cl::desc("Compare an output (onnx.name or resultN) with a "
                      "reference .npy/.pb file"),
             cl::value_desc("name=path"), cl::cat(category));
static cl::opt<std::string> compareDir(
    "compare-dir",
    cl::desc("Compare output N with output_<N>.pb (or .npy) in a directory"),
    cl::value_desc("dir"), cl::cat(category));
static cl::opt<double> relTol("rtol", cl::desc("Relative tolerance"),
                              cl::init(1e-4), cl::cat(category));
static cl::opt<double> absTol("atol", cl::desc("Absolute tolerance"),
                              cl::init(1e-5), cl::cat(category));
static cl::opt<unsigned> repeat("repeat",
                                cl::desc("Run the function this many times "
                                         "(timing); outputs of the last run"),
                                cl::init(1), cl::cat(category));
static cl::opt<bool>
    printTiming("time", cl::desc("Print compile and per-run times to stderr"),
                cl::cat(category));
static cl::opt<bool> printSignature(
    "print-signature",
    cl::desc("Print the functions' inputs and outputs, then exit"),
    cl::cat(category));
static cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level"),
                                  cl::init(3), cl::Prefix, cl::cat(category));
static cl::opt<std::string> pipeline(
    "pipeline",
    cl::desc("Lower with this pass pipeline (on builtin.module) instead of "
             "peft-lower-to-llvm"),
    cl::value_desc("passes"), cl::cat(category));
static cl::list<std::string>
    sharedLibs("shared-libs", cl::desc("Libraries the generated code may call"),
               cl::CommaSeparated, cl::value_desc("path"), cl::cat(category));
enum class Device { CPU, CUDA };
static cl::opt<Device> device(
    "device", cl::desc("Where to run the model"), cl::init(Device::CPU),
    cl::values(clEnumValN(Device::CPU, "cpu",
                          "the host CPU, lowered with peft-lower-to-llvm"),
               clEnumValN(Device::CUDA, "cuda",
                          "an NVIDIA GPU, lowered with peft-lower-to-nvvm "
                          "after specializing the function to the input "
                          "shapes")),
    cl::cat(category));
static cl::opt<std::string>
    cudaRuntime("cuda-runtime",
                cl::desc("The CUDA runtime library for --device=cuda (default: "
                         "<bin>/../lib/libpeft_cuda_runtime.so)"),
                cl::value_desc("path"), cl::cat(category));
static cl::opt<bool> skipDeviceCheck(
    "skip-device-check",
    cl::desc("--device=cuda: compile without checking for a device (tests)"),
    cl::Hidden, cl::cat(category));
static cl::opt<std::string>
    dumpLowered("dump-lowered",
                cl::desc("Write the module lowered to the LLVM dialect here"),
                cl::value_desc("path"), cl::cat(category));

namespace {
/// Prints `error: <message>` in the tool's name and returns 1.
int fail(llvm::Error error) {
  llvm::WithColor::error(llvm::errs(), "peft-run")
      << llvm::toString(std::move(error)) << "\n";
  return 1;
}

int fail(const llvm::Twine &message) {
  return fail(llvm::createStringError(llvm::inconvertibleErrorCode(), message));
}

/// Splits "name=path".
llvm::Expected<std::pair<std::string, std::string>>
splitBinding(llvm::StringRef option, llvm::StringRef value) {
  auto [name, path] = value.split('=');
  if (name.empty() || path.empty() || !value.contains('='))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "--" + option + " expects name=path, got '" +
                                       value + "'");
  return std::make_pair(name.str(), path.str());
}

/// `dir/<stem>_<index>.pb`, or `.npy` when only that exists.
std::string testDataPath(llvm::StringRef dir, llvm::StringRef stem,
                         size_t index) {
  for (const char *ext : {".pb", ".npy"}) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, stem + "_" + llvm::Twine(index) + ext);
    if (llvm::sys::fs::exists(path))
      return path.str().str();
  }
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, stem + "_" + llvm::Twine(index) + ".pb");
  return path.str().str();
}

/// A file name for an output: onnx names may contain '/' or ':'.
std::string fileNameFor(llvm::StringRef name) {
  std::string file;
  for (char c : name)
    file += (llvm::isAlnum(c) || c == '_' || c == '-' || c == '.') ? c : '_';
  return file + ".npy";
}

void printSignatures(const runtime::CPUExecutable &exe) {
  for (const runtime::FunctionSignature &fn : exe.getFunctions()) {
    llvm::outs() << "@" << fn.name << "\n";
    for (const runtime::TensorSpec &spec : fn.inputs)
      llvm::outs() << "  input  " << spec.describe() << "\n";
    for (const runtime::TensorSpec &spec : fn.outputs)
      llvm::outs() << "  output " << spec.describe() << "\n";
  }
}

/// The row-major index `flat` of a tensor of `shape`, as "[i, j, k]".
std::string formatIndex(llvm::ArrayRef<int64_t> shape, int64_t flat) {
  llvm::SmallVector<int64_t, 4> index(shape.size());
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    index[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  std::string text = "[";
  for (auto [i, v] : llvm::enumerate(index))
    text += (i ? ", " : "") + std::to_string(v);
  return text + "]";
}

/// Compares one output with its reference; prints a line and returns
/// whether it matched (false also for a kind or shape mismatch).
bool compareOutput(llvm::StringRef name, const HostTensor &actual,
                   llvm::StringRef refPath, const HostTensor &expected) {
  llvm::outs() << "compare '" << name << "' with '" << refPath << "': ";
  if (actual.getKind() != expected.getKind() ||
      actual.getShape() != expected.getShape()) {
    llvm::outs() << "MISMATCH: got " << actual.describe() << ", expected "
                 << expected.describe() << "\n";
    return false;
  }
  CompareResult r = compareTensors(actual, expected, relTol, absTol);
  llvm::outs() << llvm::format("max abs error %.3g, max rel error %.3g",
                               r.maxAbsError, r.maxRelError)
               << llvm::format(" (rtol %g, atol %g): ", double(relTol),
                               double(absTol));
  if (r.numMismatches == 0) {
    llvm::outs() << "ok\n";
    return true;
  }
  llvm::outs() << "MISMATCH: " << r.numMismatches << " of "
               << expected.getNumElements() << " elements; worst at "
               << formatIndex(expected.getShape(), r.worstIndex)
               << llvm::format(": got %.8g, expected %.8g", r.worstActual,
                               r.worstExpected)
               << "\n";
  return false;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::AddExtraVersionPrinter([](llvm::raw_ostream &os) {
    os << "peft-mlir " << PEFT_VERSION_STRING << " (built against MLIR "
       << PEFT_MLIR_VERSION_STRING << ", ONNX "
       << mlir::peft::getONNXLibraryVersion() << ")\n";
  });
  cl::ParseCommandLineOptions(argc, argv, kOverview);

  // Everything given on the command line is checked before compiling.
  std::vector<std::pair<std::string, std::string>> inputPaths, comparePaths;
  for (const std::string &value : inputs) {
    auto binding = splitBinding("input", value);
    if (!binding)
      return fail(binding.takeError());
    inputPaths.push_back(*binding);
  }
  for (const std::string &value : compares) {
    auto binding = splitBinding("compare", value);
    if (!binding)
      return fail(binding.takeError());
    comparePaths.push_back(*binding);
  }
  if (!llvm::sys::fs::exists(inputFile))
    return fail("cannot open '" + inputFile + "': no such file");
  std::vector<runtime::AdapterSource> adapterSources;
  for (const std::string &value : adapterDirs) {
    auto source = runtime::parseAdapterSource(value, "--adapter");
    if (!source)
      return fail(source.takeError());
    adapterSources.push_back(*source);
  }
  std::vector<runtime::AdapterSource> taskSources;
  for (const std::string &value : taskDirs) {
    auto source = runtime::parseAdapterSource(value, "--task-adapter");
    if (!source)
      return fail(source.takeError());
    if (!llvm::StringRef(value).contains('='))
      source->adapter = "task " + std::to_string(taskSources.size());
    taskSources.push_back(*source);
  }

  // Inputs: --input-dir first, then --input (which may override).
  auto readInputs = [&](const runtime::FunctionSignature &sig)
      -> llvm::Expected<std::vector<HostTensor>> {
    std::vector<std::pair<std::string, std::string>> paths = inputPaths;
    if (!inputDir.empty()) {
      for (size_t i = 0, e = sig.inputs.size(); i < e; ++i) {
        int index = i;
        bool overridden = llvm::any_of(inputPaths, [&](auto &binding) {
          return sig.lookupInput(binding.first) == index;
        });
        if (!overridden)
          paths.emplace_back("arg" + std::to_string(i),
                             testDataPath(inputDir, "input", i));
      }
    }
    std::vector<std::pair<std::string, HostTensor>> named;
    if (!adapterSources.empty() || !taskSources.empty()) {
      std::vector<std::string> given;
      for (auto &binding : paths)
        given.push_back(binding.first);
      auto adapters = runtime::loadMissingRuntimeInputs(
          sig, adapterSources, taskSources, given, "--adapter",
          "--task-adapter");
      if (!adapters)
        return adapters.takeError();
      named = std::move(*adapters);
    }
    for (auto &[name, path] : paths) {
      int index = sig.lookupInput(name);
      auto tensor = index >= 0 ? readTensorFile(path, sig.inputs[index].kind)
                               : readTensorFile(path);
      if (!tensor)
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "input '" + (index >= 0 ? sig.inputs[index].name : name) +
                "': " + llvm::toString(tensor.takeError()));
      named.emplace_back(name, std::move(*tensor));
    }
    return runtime::CPUExecutable::orderInputs(sig, named);
  };

  // --device=cuda: the CUDA runtime library and a device, before compiling.
  bool onGPU = device == Device::CUDA;
  std::string cudaRuntimePath;
  if (onGPU) {
    cudaRuntimePath = cudaRuntime;
    if (cudaRuntimePath.empty()) {
      std::string exe =
          llvm::sys::fs::getMainExecutable(argv[0], (void *)&secondsSince);
      llvm::SmallString<256> path(llvm::sys::path::parent_path(exe));
      llvm::sys::path::append(path, "..", "lib", "libpeft_cuda_runtime.so");
      cudaRuntimePath = path.str().str();
    }
    if (!llvm::sys::fs::exists(cudaRuntimePath))
      return fail("CUDA runtime library not found: '" + cudaRuntimePath +
                  "' (build with PEFT_ENABLE_CUDA_RUNTIME=ON or pass "
                  "--cuda-runtime=<path>)");
    if (!skipDeviceCheck)
      if (llvm::Error err = runtime::checkCUDADevice())
        return fail(std::move(err));
  }

  auto start = std::chrono::steady_clock::now();
  auto module = classifyInput(inputFile) == InputKind::ONNX
                    ? api::Module::importONNX(inputFile)
                    : api::Module::parseFile(inputFile);
  if (!module)
    return fail(module.takeError());
  // The GPU pipeline needs static shapes: specialize the entry function to
  // the inputs' shapes, which are therefore read before compiling.
  std::optional<std::vector<HostTensor>> specializeInputs;
  if (onGPU && !printSignature) {
    auto sig = runtime::getFunctionSignature(module->get(), entry);
    if (!sig)
      return fail(sig.takeError());
    auto ordered = readInputs(*sig);
    if (!ordered)
      return fail(ordered.takeError());
    if (llvm::Error err =
            runtime::specializeFunction(module->get(), sig->name, *ordered))
      return fail(std::move(err));
    specializeInputs = std::move(*ordered);
  }
  runtime::CPUCompileOptions options;
  options.optLevel = optLevel;
  options.pipeline = pipeline;
  if (onGPU && pipeline.empty())
    options.pipeline = "peft-lower-to-nvvm{runtime-errors}";
  options.sharedLibs.assign(sharedLibs.begin(), sharedLibs.end());
  if (onGPU)
    options.sharedLibs.push_back(cudaRuntimePath);
  if (!dumpLowered.empty())
    options.onLowered = [](ModuleOp lowered) {
      if (llvm::Error err =
              llvm::writeToOutput(dumpLowered, [&](llvm::raw_ostream &os) {
                lowered.print(os);
                return llvm::Error::success();
              }))
        llvm::WithColor::warning(llvm::errs(), "peft-run")
            << llvm::toString(std::move(err)) << "\n";
    };
  auto exe = runtime::CPUExecutable::compile(module->get(), options);
  if (!exe)
    return fail(exe.takeError());
  if (printTiming)
    llvm::errs() << llvm::format("compile: %.3f s\n", secondsSince(start));
  if (printSignature) {
    printSignatures(**exe);
    return 0;
  }
  auto fn = (*exe)->getFunction(entry);
  if (!fn)
    return fail(fn.takeError());

  std::vector<HostTensor> orderedInputs;
  if (specializeInputs) {
    orderedInputs = std::move(*specializeInputs);
  } else {
    auto ordered = readInputs(**fn);
    if (!ordered)
      return fail(ordered.takeError());
    orderedInputs = std::move(*ordered);
  }

  // References are read before running too: a typo fails fast.
  struct Reference {
    size_t output;
    std::string path;
    HostTensor tensor;
  };
  std::vector<Reference> references;
  auto findOutput = [&](llvm::StringRef name) -> int {
    for (auto [i, spec] : llvm::enumerate((*fn)->outputs))
      if (spec.name == name)
        return i;
    unsigned index;
    if (name.consume_front("result") && !name.getAsInteger(10, index) &&
        index < (*fn)->outputs.size())
      return index;
    return -1;
  };
  for (auto &[name, path] : comparePaths) {
    int index = findOutput(name);
    if (index < 0) {
      std::string known;
      for (const runtime::TensorSpec &spec : (*fn)->outputs)
        known += (known.empty() ? "" : ", ") + spec.name;
      return fail("--compare: @" + (*fn)->name + " has no output '" + name +
                  "' (outputs: " + known + ")");
    }
    auto tensor = readTensorFile(path, (*fn)->outputs[index].kind);
    if (!tensor)
      return fail("reference for '" + name +
                  "': " + llvm::toString(tensor.takeError()));
    references.push_back({size_t(index), path, std::move(*tensor)});
  }
  if (!compareDir.empty()) {
    for (size_t i = 0, e = (*fn)->outputs.size(); i < e; ++i) {
      std::string path = testDataPath(compareDir, "output", i);
      auto tensor = readTensorFile(path, (*fn)->outputs[i].kind);
      if (!tensor)
        return fail("reference for '" + (*fn)->outputs[i].name +
                    "': " + llvm::toString(tensor.takeError()));
      references.push_back({i, path, std::move(*tensor)});
    }
  }

  std::vector<HostTensor> outputs;
  for (unsigned r = 0; r < std::max(1u, unsigned(repeat)); ++r) {
    auto runStart = std::chrono::steady_clock::now();
    auto result = (*exe)->run(**fn, orderedInputs);
    if (!result)
      return fail(result.takeError());
    outputs = std::move(*result);
    if (printTiming)
      llvm::errs() << llvm::format("run %u: %.6f s\n", r,
                                   secondsSince(runStart));
  }

  if (!outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
      return fail("cannot create '" + outputDir + "': " + ec.message());
    for (auto [spec, tensor] : llvm::zip_equal((*fn)->outputs, outputs)) {
      llvm::SmallString<256> path(outputDir);
      llvm::sys::path::append(path, fileNameFor(spec.name));
      if (llvm::Error err = writeNpyFile(path, tensor))
        return fail(std::move(err));
    }
  }
  for (auto [spec, tensor] : llvm::zip_equal((*fn)->outputs, outputs))
    llvm::outs() << "output '" << spec.name << "': " << tensor.describe()
                 << "\n";

  bool allMatch = true;
  for (const Reference &ref : references)
    allMatch &= compareOutput((*fn)->outputs[ref.output].name,
                              outputs[ref.output], ref.path, ref.tensor);
  llvm::outs().flush();
  if (!allMatch) {
    llvm::WithColor::error(llvm::errs(), "peft-run")
        << "outputs differ from the references\n";
    return 2;
  }
  return 0;
}
