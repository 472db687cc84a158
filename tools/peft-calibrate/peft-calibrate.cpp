//===- peft-calibrate.cpp - gather calibration statistics -----------------===//
//
// Runs a model on the CPU JIT over calibration inputs and writes the
// statistics MoDeGPT and activation-whitened SVD read (docs/modegpt.md):
// Σ XᵀX at the input of every linear layer and the token counts, summed in
// f64. The model is compiled once; only the running sums are kept.
//
//===----------------------------------------------------------------------===//

#include "peft/API/Calibration.h"
#include "peft/Config.h"
#include "peft/Target/ONNX/ONNXImport.h"
#include "peft/Target/ONNX/TensorProto.h"
#include "peft/Tools/FrontDoor.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>

using namespace mlir;
using namespace mlir::peft;
namespace cl = llvm::cl;

static constexpr const char *kOverview =
    R"(peft-calibrate: gather calibration statistics on the CPU

Runs a model (an ONNX model, whose linear layers are raised first, or an MLIR
module with raised layers) on calibration inputs with the CPU JIT, compiled
once, and writes a statistics file (safetensors, docs/modegpt.md): Σ XᵀX at
the input of every linear layer with a module path and the number of tokens,
summed in f64 whatever the model's precision. peft-modegpt and
peft-lowrank-svd{whitening=activation} read it.

An input is a .npy (or TensorProto .pb) file, used for every sample, or a
directory whose .npy files (sorted by name) are the samples, one after
another; every directory input must hold the same number of files.

Examples:
  # One batch of token ids.
  peft-calibrate model.onnx --input input_ids=ids.npy -o stats.safetensors

  # 64 samples: calib/ids/000.npy ... 063.npy with their masks.
  peft-calibrate model.onnx --input input_ids=calib/ids \
      --input attention_mask=calib/mask -o stats.safetensors

Exit status: 0 on success, 1 on an error.
)";

static cl::OptionCategory category("peft-calibrate options");
static cl::opt<std::string> inputFile(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx | module.mlir>"),
                                      cl::cat(category));
static cl::list<std::string>
    inputs("input",
           cl::desc("An input: its name and a .npy/.pb file (every sample) "
                    "or a directory of .npy files (one a sample)"),
           cl::value_desc("name=path"), cl::cat(category));
static cl::opt<std::string> outputFile("o", cl::Required,
                                       cl::desc("The statistics file to write"),
                                       cl::value_desc("stats.safetensors"),
                                       cl::cat(category));
static cl::opt<std::string>
    entry("entry",
          cl::desc("Function to run (default: the only callable function)"),
          cl::value_desc("name"), cl::cat(category));
static cl::opt<unsigned>
    maxSamples("max-samples",
               cl::desc("Use at most this many samples (0: all)"), cl::init(0),
               cl::cat(category));
enum class Progress { Auto, Always, Never };
static cl::opt<Progress> progress(
    "progress", cl::desc("Progress bar on standard error"),
    cl::init(Progress::Auto),
    cl::values(clEnumValN(Progress::Auto, "auto", "when it is a terminal"),
               clEnumValN(Progress::Always, "always", "a line per sample"),
               clEnumValN(Progress::Never, "never", "none")),
    cl::cat(category));

namespace {
int fail(llvm::Error error) {
  llvm::WithColor::error(llvm::errs(), "peft-calibrate")
      << llvm::toString(std::move(error)) << "\n";
  return 1;
}

int fail(const llvm::Twine &message) {
  return fail(llvm::createStringError(llvm::inconvertibleErrorCode(), message));
}

/// One --input: a file for every sample, or the sorted files of a directory.
struct InputSource {
  std::string name;
  std::vector<std::string> files;
  bool perSample = false;
};

llvm::Expected<InputSource> parseInput(llvm::StringRef value) {
  auto [name, path] = value.split('=');
  if (name.empty() || path.empty() || !value.contains('='))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "--input expects name=path, got '" + value +
                                       "'");
  InputSource source{name.str(), {}, false};
  if (!llvm::sys::fs::is_directory(path)) {
    if (!llvm::sys::fs::exists(path))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "input '" + name + "': no such file '" +
                                         path + "'");
    source.files.push_back(path.str());
    return source;
  }
  source.perSample = true;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(path, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::path::extension(it->path()) == ".npy")
      source.files.push_back(it->path());
  if (ec)
    return llvm::createStringError(ec, "input '" + name + "': cannot list '" +
                                           path + "': " + ec.message());
  if (source.files.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "input '" + name + "': directory '" + path +
                                       "' holds no .npy file");
  llvm::sort(source.files);
  return source;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// "[=====>    ] 12/40 samples, 3072 tokens, 520.0 ms/sample".
void printProgress(unsigned done, unsigned total, int64_t tokens,
                   double seconds, bool overwrite) {
  constexpr unsigned kWidth = 30;
  unsigned filled = total ? done * kWidth / total : kWidth;
  std::string bar(filled, '=');
  if (filled < kWidth)
    bar += '>' + std::string(kWidth - filled - 1, ' ');
  llvm::errs() << (overwrite ? "\r" : "") << "[" << bar << "] " << done << "/"
               << total << " samples, " << tokens << " tokens, "
               << llvm::format("%.1f ms/sample",
                               done ? 1e3 * seconds / done : 0.0)
               << (overwrite ? "" : "\n");
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

  // Everything on the command line is checked before compiling.
  if (!llvm::sys::fs::exists(inputFile))
    return fail("cannot open '" + inputFile + "': no such file");
  std::vector<InputSource> sources;
  unsigned numSamples = 1;
  const InputSource *firstDirectory = nullptr;
  for (const std::string &value : inputs) {
    auto source = parseInput(value);
    if (!source)
      return fail(source.takeError());
    for (const InputSource &other : sources)
      if (other.name == source->name)
        return fail("input '" + source->name + "' is given twice");
    sources.push_back(std::move(*source));
  }
  for (const InputSource &source : sources) {
    if (!source.perSample)
      continue;
    if (firstDirectory && firstDirectory->files.size() != source.files.size())
      return fail("inputs '" + firstDirectory->name + "' and '" + source.name +
                  "' hold different numbers of samples (" +
                  llvm::Twine(firstDirectory->files.size()) + " and " +
                  llvm::Twine(source.files.size()) + ")");
    firstDirectory = &source;
    numSamples = source.files.size();
  }
  if (maxSamples)
    numSamples = std::min<unsigned>(numSamples, maxSamples);

  auto start = std::chrono::steady_clock::now();
  bool isONNX = classifyInput(inputFile) == InputKind::ONNX;
  auto module = isONNX ? api::Module::importONNX(inputFile)
                       : api::Module::parseFile(inputFile);
  if (!module)
    return fail(module.takeError());
  if (isONNX)
    if (llvm::Error err = module->runPipeline("func.func(peft-raise-linear)"))
      return fail(std::move(err));

  api::CalibrationOptions options;
  options.entry = entry;
  options.modelName = llvm::sys::path::filename(inputFile).str();
  auto calibrator = api::Calibrator::create(*module, options);
  if (!calibrator)
    return fail(calibrator.takeError());
  const runtime::FunctionSignature &sig = (*calibrator)->getSignature();
  for (const InputSource &source : sources)
    if (sig.lookupInput(source.name) < 0)
      return fail("@" + sig.name + " has no input '" + source.name + "'");
  llvm::errs() << llvm::format("compiled in %.1f s\n", secondsSince(start));

  bool overwrite = progress == Progress::Auto &&
                   llvm::sys::Process::StandardErrIsDisplayed();
  bool showProgress = progress == Progress::Always || overwrite;
  auto runStart = std::chrono::steady_clock::now();
  // A file input is the same for every sample: read once.
  auto readInput = [&](const InputSource &source,
                       const std::string &path) -> llvm::Expected<HostTensor> {
    auto tensor =
        readTensorFile(path, sig.inputs[sig.lookupInput(source.name)].kind);
    if (!tensor)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "input '" + source.name + "' ('" + path +
              "'): " + llvm::toString(tensor.takeError()));
    return tensor;
  };
  std::vector<std::pair<std::string, HostTensor>> fixed;
  for (const InputSource &source : sources) {
    if (source.perSample)
      continue;
    auto tensor = readInput(source, source.files.front());
    if (!tensor)
      return fail(tensor.takeError());
    fixed.emplace_back(source.name, std::move(*tensor));
  }
  for (unsigned s = 0; s < numSamples; ++s) {
    // Copies of a HostTensor share its buffer.
    std::vector<std::pair<std::string, HostTensor>> named = fixed;
    for (const InputSource &source : sources) {
      if (!source.perSample)
        continue;
      auto tensor = readInput(source, source.files[s]);
      if (!tensor)
        return fail(tensor.takeError());
      named.emplace_back(source.name, std::move(*tensor));
    }
    if (llvm::Error err = (*calibrator)->add(named))
      return fail("sample " + llvm::Twine(s) + ": " +
                  llvm::toString(std::move(err)));
    if (showProgress)
      printProgress(s + 1, numSamples, (*calibrator)->getNumTokens(),
                    secondsSince(runStart), overwrite);
  }
  if (overwrite)
    llvm::errs() << "\n";
  for (const std::string &warning : (*calibrator)->getWarnings())
    llvm::WithColor::warning(llvm::errs(), "peft-calibrate") << warning << "\n";
  if (llvm::Error err = (*calibrator)->write(outputFile))
    return fail(std::move(err));
  llvm::errs() << "wrote '" << outputFile
               << "': " << (*calibrator)->getNumSamples() << " samples, "
               << (*calibrator)->getNumTokens() << " tokens, "
               << (*calibrator)->getStatistics().keys().size()
               << " statistics\n";
  return 0;
}
