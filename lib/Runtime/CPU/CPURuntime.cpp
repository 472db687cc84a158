//===- CPURuntime.cpp - JIT-compile a module and call its functions -------===//
//
// Calls go through the C interface (`_mlir_ciface_<name>`, requested with
// `llvm.emit_c_interface`): every memref argument is a pointer to its
// descriptor {allocated, aligned, offset, sizes[rank], strides[rank]} and the
// results come back through a pointer, in front of the arguments, to a struct
// of descriptors. All fields are 8 bytes wide, so a descriptor is an array
// of int64_t and the result struct their concatenation.
//
//===----------------------------------------------------------------------===//

#include "peft/Runtime/CPURuntime.h"
#include "peft/Codegen/CPU/Passes.h"
#include "peft/Pipelines/GPUPipeline.h"
#include "peft/Pipelines/Pipelines.h"
#include "peft/Support/Diagnostics.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <mutex>

#ifndef PEFT_MLIR_RUNNER_UTILS_DIR
#error "PEFT_MLIR_RUNNER_UTILS_DIR: the directory of libmlir_c_runner_utils"
#endif

using namespace mlir;
using namespace mlir::peft;
using namespace mlir::peft::runtime;
using llvm::Error;
using llvm::Expected;

//===----------------------------------------------------------------------===//
// Signatures
//===----------------------------------------------------------------------===//

static std::string typeToString(Type type) {
  std::string text;
  llvm::raw_string_ostream(text) << type;
  return text;
}

/// Fills `spec` from a tensor or identity-layout memref type; returns why
/// the type cannot cross the C interface otherwise.
static std::optional<std::string> getTensorSpec(Type type, TensorSpec &spec) {
  auto shaped = dyn_cast<ShapedType>(type);
  auto memref = dyn_cast<MemRefType>(type);
  if (!shaped || !shaped.hasRank() ||
      !(isa<RankedTensorType>(type) ||
        (memref && memref.getLayout().isIdentity())))
    return "has type " + typeToString(type) +
           " (only ranked tensors and identity-layout memrefs can be passed)";
  std::optional<ElementKind> kind = getElementKind(shaped.getElementType());
  if (!kind)
    return "has unsupported element type " +
           typeToString(shaped.getElementType());
  spec.kind = *kind;
  for (int64_t size : shaped.getShape())
    spec.shape.push_back(ShapedType::isDynamic(size) ? -1 : size);
  return std::nullopt;
}

/// The signature of a public function, or why it cannot be called.
static FailureOr<FunctionSignature> getSignature(func::FuncOp fn,
                                                 std::string &why) {
  FunctionSignature sig;
  sig.name = fn.getSymName().str();
  FunctionType type = fn.getFunctionType();
  for (auto [i, argType] : llvm::enumerate(type.getInputs())) {
    TensorSpec spec;
    auto name = fn.getArgAttrOfType<StringAttr>(i, "onnx.name");
    spec.name = name ? name.str() : "arg" + std::to_string(i);
    if (auto params = fn.getArgAttrOfType<ArrayAttr>(i, "onnx.dim_params"))
      for (Attribute param : params)
        spec.dimParams.push_back(
            isa<StringAttr>(param) ? cast<StringAttr>(param).str() : "");
    if (auto reason = getTensorSpec(argType, spec)) {
      why = "argument " + std::to_string(i) + " '" + spec.name + "' " + *reason;
      return failure();
    }
    spec.dimParams.resize(spec.shape.size());
    sig.inputs.push_back(std::move(spec));
  }
  for (auto [i, resultType] : llvm::enumerate(type.getResults())) {
    TensorSpec spec;
    auto name = fn.getResultAttrOfType<StringAttr>(i, "onnx.name");
    spec.name = name ? name.str() : "result" + std::to_string(i);
    if (auto params = fn.getResultAttrOfType<ArrayAttr>(i, "onnx.dim_params"))
      for (Attribute param : params)
        spec.dimParams.push_back(
            isa<StringAttr>(param) ? cast<StringAttr>(param).str() : "");
    if (auto reason = getTensorSpec(resultType, spec)) {
      why = "result " + std::to_string(i) + " '" + spec.name + "' " + *reason;
      return failure();
    }
    spec.dimParams.resize(spec.shape.size());
    sig.outputs.push_back(std::move(spec));
  }
  return sig;
}

std::string TensorSpec::describe() const {
  // "x: f32[?x8]", or with symbolic dims "x: f32[batch x 8]".
  bool named = llvm::any_of(dimParams, [](auto &p) { return !p.empty(); });
  std::string text = name + ": " + getElementKindName(kind).str() + "[";
  for (auto [i, size] : llvm::enumerate(shape)) {
    if (i)
      text += named ? " x " : "x";
    if (size >= 0)
      text += std::to_string(size);
    else if (i < dimParams.size() && !dimParams[i].empty())
      text += dimParams[i];
    else
      text += '?';
  }
  return text + "]";
}

int FunctionSignature::lookupInput(llvm::StringRef name) const {
  for (auto [i, spec] : llvm::enumerate(inputs))
    if (spec.name == name)
      return i;
  // argN also names an input that has an onnx.name.
  unsigned index;
  if (name.consume_front("arg") && !name.getAsInteger(10, index) &&
      index < inputs.size())
    return index;
  return -1;
}

//===----------------------------------------------------------------------===//
// Compilation
//===----------------------------------------------------------------------===//

/// Process-wide set-up: the native target for the JIT, and the pass registry
/// that the textual pipelines are parsed against: the two pipelines and the
/// passes they name, not every upstream pass (an embedder that lets users
/// name others, like peft-run --pipeline or the Python module, registers
/// them itself).
static void initializeOnce() {
  static std::once_flag flag;
  std::call_once(flag, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    registerPipelinePasses();
    registerPipelines();
    registerGPUPipeline();
  });
}

/// Turns every constant global initialized from a resource blob (the
/// weights: `dense_resource` initializers of an ONNX model, possibly
/// memory-mapped from its external data) into an external declaration, and
/// returns the blob each resolves to. The JIT then reads the weights where
/// they are instead of translating, optimizing and emitting ~100 MB of
/// constants, which took most of the compile time of a MiniLM-size model.
static std::vector<std::pair<std::string, const void *>>
externalizeWeights(ModuleOp module) {
  std::vector<std::pair<std::string, const void *>> weights;
  for (auto global : module.getOps<LLVM::GlobalOp>()) {
    auto value =
        dyn_cast_or_null<DenseResourceElementsAttr>(global.getValueOrNull());
    AsmResourceBlob *blob = value ? value.getRawHandle().getBlob() : nullptr;
    if (!blob || !global.getConstant() ||
        !global.getInitializerRegion().empty())
      continue;
    const char *data = blob->getData().data();
    // Loads were lowered with element alignment; the declaration must not
    // promise more than the blob has.
    uint64_t alignment = 1;
    while (alignment < 64 &&
           reinterpret_cast<uintptr_t>(data) % (alignment * 2) == 0)
      alignment *= 2;
    global.removeValueAttr();
    global.setLinkage(LLVM::Linkage::External);
    global.setAlignment(alignment);
    global.setUnnamedAddr(std::nullopt);
    weights.emplace_back(global.getSymName().str(), data);
  }
  return weights;
}

/// LLVM's default pipeline at `optLevel`, without loop unrolling and
/// interleaving: the hot loops arrive vectorized and register-tiled, and
/// unrolling the hundreds of elementwise loops of a transformer graph cost
/// 40% more JIT time (MiniLM: 7.2 s vs 5.2 s) for ~10% at run time.
static llvm::Error optimizeModule(llvm::Module &module, llvm::TargetMachine *tm,
                                  unsigned optLevel) {
  if (optLevel == 0)
    return llvm::Error::success();
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = false;
  tuning.LoopInterleaving = false;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  llvm::PassBuilder builder(tm, tuning);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel == 1   ? llvm::OptimizationLevel::O1
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                  : llvm::OptimizationLevel::O3;
  builder.buildPerModuleDefaultPipeline(level).run(module, mam);
  return llvm::Error::success();
}

/// Runtime support libraries the lowered code may call (memrefCopy,
/// printMemref*, ...), plus the caller's.
static std::vector<std::string>
getSharedLibs(const CPUCompileOptions &options) {
  std::vector<std::string> libs;
  for (const char *name :
       {"libmlir_c_runner_utils.so", "libmlir_runner_utils.so"}) {
    llvm::SmallString<256> path(PEFT_MLIR_RUNNER_UTILS_DIR);
    llvm::sys::path::append(path, name);
    if (llvm::sys::fs::exists(path))
      libs.push_back(path.str().str());
  }
  libs.insert(libs.end(), options.sharedLibs.begin(), options.sharedLibs.end());
  return libs;
}

/// A copy of `module` lowered to the LLVM dialect. peft-lower-to-llvm gives
/// public functions the C interface and read-only arguments.
static Expected<OwningOpRef<ModuleOp>>
lowerToLLVM(ModuleOp module, const CPUCompileOptions &options) {
  MLIRContext &ctx = *module.getContext();
  OwningOpRef<ModuleOp> lowered(module.clone());
  // Callers go through the C interface; peft-lower-to-llvm requests it, other
  // pipelines (peft-lower-to-nvvm, --pipeline) may not.
  for (auto fn : lowered->getOps<func::FuncOp>())
    if (fn.isPublic() && !fn.isExternal())
      fn->setAttr("llvm.emit_c_interface", UnitAttr::get(&ctx));
  DiagnosticCollector diags(ctx);
  PassManager pm(&ctx, ModuleOp::getOperationName());
  std::string pipelineErrors;
  llvm::raw_string_ostream errorStream(pipelineErrors);
  if (options.pipeline.empty()
          ? failed(buildLowerToLLVMPipeline(pm, errorStream,
                                            /*runtimeErrors=*/true))
          : failed(parseModulePassPipeline(options.pipeline, pm, errorStream)))
    return makeError("invalid lowering pipeline: " + pipelineErrors);
  if (failed(pm.run(*lowered)))
    return diags.error("lowering to the LLVM dialect (" +
                       (options.pipeline.empty()
                            ? "peft-lower-to-llvm{runtime-errors}"
                            : options.pipeline) +
                       ") failed");
  if (options.onLowered)
    options.onLowered(*lowered);
  return lowered;
}

//===----------------------------------------------------------------------===//
// Run-time errors
//===----------------------------------------------------------------------===//

namespace {
/// Where a failed run-time check of the generated code returns to: the
/// call in progress on this thread (callCatchingErrors), and the check's
/// number.
thread_local std::jmp_buf *activeCall = nullptr;
thread_local int64_t failedCheck = -1;
} // namespace

/// @peft_runtime_error, called by the generated code when check `id` fails
/// (peft-cpu-runtime-errors): back to the caller's callCatchingErrors. The
/// generated code's frames have nothing to unwind (no C++ objects), so
/// leaving them by longjmp skips only what they would have freed.
extern "C" void peftRuntimeError(int64_t id) {
  if (!activeCall) {
    std::fprintf(stderr,
                 "peft runtime: run-time check %lld failed outside a call\n",
                 static_cast<long long>(id));
    std::abort();
  }
  failedCheck = id;
  std::longjmp(*activeCall, 1);
}

/// Calls the packed entry point `fn` on `args`; the number of the run-time
/// check that failed during the call, or -1. No C++ object lives in this
/// frame across the call, so the longjmp back into it is well defined.
static int64_t callCatchingErrors(void (*fn)(void **), void **args) {
  std::jmp_buf here;
  std::jmp_buf *outer = activeCall;
  activeCall = &here;
  if (setjmp(here) != 0) {
    activeCall = outer;
    return failedCheck;
  }
  fn(args);
  activeCall = outer;
  return -1;
}

/// The messages of the module's run-time checks, as "message (at
/// location)", by number.
static std::vector<std::string> readRuntimeErrors(ModuleOp module) {
  std::vector<std::string> messages;
  auto errors = module->getAttrOfType<ArrayAttr>(kRuntimeErrorsAttrName);
  if (!errors)
    return messages;
  for (Attribute error : errors) {
    std::string text;
    llvm::raw_string_ostream os(text);
    auto pair = dyn_cast<ArrayAttr>(error);
    auto message =
        pair && pair.size() == 2 ? dyn_cast<StringAttr>(pair[0]) : StringAttr();
    os << (message ? message.getValue() : "a run-time check failed");
    if (auto loc = pair && pair.size() == 2 ? dyn_cast<LocationAttr>(pair[1])
                                            : LocationAttr()) {
      os << " (at ";
      printLocation(os, loc);
      os << ")";
    }
    messages.push_back(std::move(text));
  }
  return messages;
}

/// An ExecutionEngine for the host CPU over `lowered`, whose external
/// `weights` resolve to the blobs they name.
static Expected<std::unique_ptr<ExecutionEngine>>
createEngine(ModuleOp lowered, const CPUCompileOptions &options,
             llvm::ArrayRef<std::pair<std::string, const void *>> weights) {
  auto tmBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmBuilder)
    return tmBuilder.takeError();
  llvm::CodeGenOptLevel codeGenLevel =
      options.optLevel == 0   ? llvm::CodeGenOptLevel::None
      : options.optLevel == 1 ? llvm::CodeGenOptLevel::Less
      : options.optLevel == 2 ? llvm::CodeGenOptLevel::Default
                              : llvm::CodeGenOptLevel::Aggressive;
  tmBuilder->setCodeGenOptLevel(codeGenLevel);
  auto tm = tmBuilder->createTargetMachine();
  if (!tm)
    return tm.takeError();
  llvm::TargetMachine *target = tm->get();
  std::function<Error(llvm::Module *)> transformer = [&](llvm::Module *m) {
    return optimizeModule(*m, target, options.optLevel);
  };
  std::vector<std::string> libs = getSharedLibs(options);
  llvm::SmallVector<llvm::StringRef> libRefs(libs.begin(), libs.end());
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = codeGenLevel;
  engineOptions.sharedLibPaths = libRefs;
  engineOptions.enableGDBNotificationListener = false;
  engineOptions.enablePerfNotificationListener = false;
  DiagnosticCollector diags(*lowered.getContext());
  auto engine = ExecutionEngine::create(lowered, engineOptions, std::move(*tm));
  if (!engine)
    return diags.error("JIT compilation failed: " +
                       llvm::toString(engine.takeError()));
  (*engine)->registerSymbols([&](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    for (auto &[name, data] : weights)
      symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(data),
                                 llvm::JITSymbolFlags::Exported};
    symbols[interner(kRuntimeErrorHandlerName)] = {
        llvm::orc::ExecutorAddr::fromPtr(&peftRuntimeError),
        llvm::JITSymbolFlags::Exported};
    return symbols;
  });
  return std::move(*engine);
}

Expected<std::unique_ptr<CPUExecutable>>
CPUExecutable::compile(ModuleOp module, const CPUCompileOptions &options) {
  initializeOnce();
  MLIRContext &ctx = *module.getContext();
  // The interface models the pipelines' passes use and the translations of
  // their output (including gpu.binary / gpu.launch_func of the GPU
  // pipeline) to LLVM IR.
  DialectRegistry registry;
  registerPipelineDialects(registry);
  ctx.appendDialectRegistry(registry);
  for (const std::string &lib : options.sharedLibs)
    if (!llvm::sys::fs::exists(lib))
      return makeError("shared library '" + lib + "' does not exist");

  std::unique_ptr<CPUExecutable> exe(new CPUExecutable());
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (!fn.isPublic() || fn.isExternal())
      continue;
    std::string why;
    FailureOr<FunctionSignature> sig = getSignature(fn, why);
    if (failed(sig))
      exe->uncallable.emplace_back(fn.getSymName().str(), why);
    else
      exe->functions.push_back(std::move(*sig));
  }

  auto lowered = lowerToLLVM(module, options);
  if (!lowered)
    return lowered.takeError();
  exe->runtimeErrors = readRuntimeErrors(**lowered);
  auto weights = externalizeWeights(**lowered);
  auto engine = createEngine(**lowered, options, weights);
  if (!engine)
    return engine.takeError();
  exe->engine = std::move(*engine);
  // Look every entry point up now, so that codegen and symbol errors
  // surface here rather than at the first call; calls use the addresses.
  for (const FunctionSignature &sig : exe->functions) {
    auto fnPtr = exe->engine->lookupPacked("_mlir_ciface_" + sig.name);
    if (!fnPtr)
      return makeError("JIT compilation of @" + sig.name +
                       " failed: " + llvm::toString(fnPtr.takeError()));
    exe->entryPoints[sig.name] = *fnPtr;
  }
  return exe;
}

CPUExecutable::~CPUExecutable() = default;

Expected<const FunctionSignature *>
CPUExecutable::getFunction(llvm::StringRef name) const {
  std::string known;
  for (const FunctionSignature &sig : functions) {
    if (sig.name == name)
      return &sig;
    known += (known.empty() ? "@" : ", @") + sig.name;
  }
  if (name.empty() && functions.size() == 1)
    return &functions.front();
  for (auto &[fnName, why] : uncallable)
    if (fnName == name)
      return makeError("function @" + name + " cannot be called: " + why);
  if (name.empty())
    return makeError(functions.empty()
                         ? llvm::Twine("the module has no callable public "
                                       "function")
                         : "the module has several functions (" + known +
                               "); choose one");
  return makeError("no callable function @" + name +
                   (known.empty() ? "" : " (callable: " + known + ")"));
}

//===----------------------------------------------------------------------===//
// Calls
//===----------------------------------------------------------------------===//

/// Checks one input against its spec; `dims` maps each onnx.dim_params name
/// to the first size seen and the input it came from.
static Error
checkInput(const TensorSpec &spec, unsigned index, const HostTensor &tensor,
           llvm::StringMap<std::pair<int64_t, std::string>> &dims) {
  std::string what = "input '" + spec.name + "' (argument " +
                     std::to_string(index) + ", " + spec.describe() + ")";
  if (tensor.getKind() != spec.kind)
    return makeError(what + ": expected element type " +
                     getElementKindName(spec.kind) + ", got " +
                     tensor.describe());
  if (tensor.getRank() != int64_t(spec.shape.size()))
    return makeError(what + ": expected rank " +
                     llvm::Twine(spec.shape.size()) + ", got " +
                     tensor.describe());
  for (auto [d, size] : llvm::enumerate(tensor.getShape())) {
    if (spec.shape[d] >= 0 && spec.shape[d] != size)
      return makeError(what + ": dimension " + llvm::Twine(d) + " must be " +
                       llvm::Twine(spec.shape[d]) + ", got " +
                       tensor.describe());
    const std::string &param = spec.dimParams[d];
    if (param.empty())
      continue;
    auto [it, inserted] = dims.try_emplace(param, size, spec.name);
    if (!inserted && it->second.first != size)
      return makeError(what + ": dimension " + llvm::Twine(d) + " ('" + param +
                       "') is " + llvm::Twine(size) + ", but it is " +
                       llvm::Twine(it->second.first) + " in input '" +
                       it->second.second + "'");
  }
  return Error::success();
}

/// Appends the descriptor of a dense row-major buffer.
static void appendDescriptor(llvm::SmallVectorImpl<int64_t> &words,
                             const HostTensor &tensor) {
  auto ptr = reinterpret_cast<int64_t>(tensor.getData());
  words.append({ptr, ptr, 0});
  words.append(tensor.getShape().begin(), tensor.getShape().end());
  int64_t stride = 1;
  size_t first = words.size();
  words.resize(first + tensor.getRank());
  for (int64_t d = tensor.getRank() - 1; d >= 0; --d) {
    words[first + d] = stride;
    stride *= tensor.getShape()[d];
  }
}

/// Copies a strided buffer into a new dense tensor.
static HostTensor copyStrided(ElementKind kind, llvm::ArrayRef<int64_t> sizes,
                              llvm::ArrayRef<int64_t> strides,
                              const char *base) {
  HostTensor out(kind, sizes);
  size_t width = getElementSize(kind);
  char *dst = static_cast<char *>(out.getData());
  llvm::SmallVector<int64_t, 4> index(sizes.size(), 0);
  for (int64_t i = 0, e = out.getNumElements(); i < e; ++i) {
    int64_t offset = 0;
    for (auto [d, idx] : llvm::enumerate(index))
      offset += idx * strides[d];
    std::memcpy(dst + i * width, base + offset * width, width);
    for (int64_t d = int64_t(sizes.size()) - 1; d >= 0; --d) {
      if (++index[d] < sizes[d])
        break;
      index[d] = 0;
    }
  }
  return out;
}

/// Turns the result descriptors into tensors. Results own the buffers the
/// callee malloc'ed (a buffer returned twice is shared), except buffers that
/// are not heap allocations of the callee: inputs passed through and
/// constants (memref.get_global marks those with 0xdeadbeef), which are
/// copied, as are strided results.
static std::vector<HostTensor>
unpackResults(const FunctionSignature &fn, llvm::ArrayRef<int64_t> results,
              llvm::ArrayRef<HostTensor> inputs) {
  auto isForeign = [&](const void *ptr) {
    if (ptr == nullptr || ptr == reinterpret_cast<void *>(0xdeadbeef))
      return true;
    for (const HostTensor &in : inputs) {
      const char *begin = static_cast<const char *>(in.getData());
      if (ptr >= begin && ptr < begin + std::max<size_t>(in.getNumBytes(), 1))
        return true;
    }
    return false;
  };
  llvm::DenseMap<void *, std::shared_ptr<void>> owners;
  std::vector<HostTensor> outputs;
  size_t pos = 0;
  for (const TensorSpec &spec : fn.outputs) {
    int64_t rank = spec.shape.size();
    auto *allocated = reinterpret_cast<void *>(results[pos]);
    auto *aligned = reinterpret_cast<char *>(results[pos + 1]);
    int64_t offset = results[pos + 2];
    llvm::ArrayRef<int64_t> sizes = results.slice(pos + 3, rank);
    llvm::ArrayRef<int64_t> strides = results.slice(pos + 3 + rank, rank);
    pos += 3 + 2 * rank;
    char *data = aligned + offset * getElementSize(spec.kind);

    bool dense = true;
    int64_t expectedStride = 1;
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (sizes[d] != 1 && strides[d] != expectedStride)
        dense = false;
      expectedStride *= sizes[d];
    }
    std::shared_ptr<void> owner;
    if (!isForeign(allocated)) {
      std::shared_ptr<void> &slot = owners[allocated];
      if (!slot)
        slot = std::shared_ptr<void>(allocated, std::free);
      owner = slot;
    }
    if (dense && owner)
      outputs.push_back(HostTensor::view(spec.kind, sizes, data, owner));
    else
      outputs.push_back(copyStrided(spec.kind, sizes, strides, data));
  }
  return outputs;
}

Expected<std::vector<HostTensor>>
CPUExecutable::run(const FunctionSignature &fn,
                   llvm::ArrayRef<HostTensor> inputs) const {
  if (inputs.size() != fn.inputs.size())
    return makeError("@" + fn.name + " takes " + llvm::Twine(fn.inputs.size()) +
                     " inputs, got " + llvm::Twine(inputs.size()));
  llvm::StringMap<std::pair<int64_t, std::string>> dims;
  for (auto [i, spec] : llvm::enumerate(fn.inputs))
    if (Error err = checkInput(spec, i, inputs[i], dims))
      return std::move(err);

  // Argument descriptors, then the pointers the packed wrapper reads.
  std::vector<llvm::SmallVector<int64_t, 8>> argDescs(inputs.size());
  llvm::SmallVector<void *> argPtrs(inputs.size());
  for (auto [i, tensor] : llvm::enumerate(inputs)) {
    appendDescriptor(argDescs[i], tensor);
    argPtrs[i] = argDescs[i].data();
  }
  size_t resultWords = 0;
  for (const TensorSpec &spec : fn.outputs)
    resultWords += 3 + 2 * spec.shape.size();
  llvm::SmallVector<int64_t, 16> results(resultWords, 0);
  void *resultPtr = results.data();
  llvm::SmallVector<void *> packed;
  if (!fn.outputs.empty())
    packed.push_back(&resultPtr);
  for (void *&ptr : argPtrs)
    packed.push_back(&ptr);
  auto entry = entryPoints.find(fn.name);
  if (entry == entryPoints.end())
    return makeError("calling @" + fn.name +
                     " failed: the module has no callable function of that "
                     "name");
  if (int64_t check = callCatchingErrors(entry->second, packed.data());
      check >= 0)
    return makeError(
        "@" + fn.name + ": " +
        (static_cast<size_t>(check) < runtimeErrors.size()
             ? llvm::Twine(runtimeErrors[check])
             : "run-time check " + llvm::Twine(check) + " failed"));

  return unpackResults(fn, results, inputs);
}

Expected<std::vector<HostTensor>> CPUExecutable::orderInputs(
    const FunctionSignature &fn,
    llvm::ArrayRef<std::pair<std::string, HostTensor>> named) {
  std::vector<HostTensor> ordered(fn.inputs.size());
  std::vector<bool> given(fn.inputs.size(), false);
  for (auto &[name, tensor] : named) {
    int index = fn.lookupInput(name);
    if (index < 0) {
      std::string known;
      for (const TensorSpec &spec : fn.inputs)
        known += (known.empty() ? "" : ", ") + spec.name;
      return makeError("@" + fn.name + " has no input '" + name +
                       "' (inputs: " + (known.empty() ? "none" : known) + ")");
    }
    if (given[index])
      return makeError("input '" + fn.inputs[index].name +
                       "' is given more than once");
    given[index] = true;
    ordered[index] = tensor;
  }
  for (auto [i, spec] : llvm::enumerate(fn.inputs))
    if (!given[i])
      return makeError("missing input '" + spec.name + "' (" + spec.describe() +
                       ")");
  return ordered;
}

//===----------------------------------------------------------------------===//
// Specialization and device checks
//===----------------------------------------------------------------------===//

/// The function `name` (empty: the only public definition) of `module`.
static Expected<func::FuncOp> lookupFunction(ModuleOp module,
                                             llvm::StringRef name) {
  func::FuncOp found;
  std::string known;
  unsigned count = 0;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (!fn.isPublic() || fn.isExternal())
      continue;
    ++count;
    known += (known.empty() ? "@" : ", @") + fn.getSymName().str();
    if (fn.getSymName() == name || (name.empty() && !found))
      found = fn;
  }
  if (found && (!name.empty() || count == 1))
    return found;
  if (name.empty())
    return makeError(count == 0
                         ? llvm::Twine("the module has no public function")
                         : "the module has several public functions (" + known +
                               "): choose one with --entry");
  return makeError("no public function @" + name + " (functions: " + known +
                   ")");
}

Expected<FunctionSignature>
mlir::peft::runtime::getFunctionSignature(ModuleOp module,
                                          llvm::StringRef name) {
  auto fn = lookupFunction(module, name);
  if (!fn)
    return fn.takeError();
  std::string why;
  FailureOr<FunctionSignature> sig = getSignature(*fn, why);
  if (failed(sig))
    return makeError("function @" + fn->getSymName() +
                     " cannot be called: " + why);
  return std::move(*sig);
}

Error mlir::peft::runtime::specializeFunction(
    ModuleOp module, llvm::StringRef name, llvm::ArrayRef<HostTensor> inputs) {
  auto fnOr = lookupFunction(module, name);
  if (!fnOr)
    return fnOr.takeError();
  func::FuncOp fn = *fnOr;
  FunctionType type = fn.getFunctionType();
  if (inputs.size() != type.getNumInputs())
    return makeError("@" + fn.getSymName() + " takes " +
                     llvm::Twine(type.getNumInputs()) + " inputs, got " +
                     llvm::Twine(inputs.size()));
  if (fn.getBody().empty())
    return makeError("@" + fn.getSymName() + " has no body");
  Block &entryBlock = fn.getBody().front();
  // The casts below need the tensor dialect, which a module of only peft and
  // func ops has not loaded.
  module.getContext()->getOrLoadDialect<tensor::TensorDialect>();
  OpBuilder builder = OpBuilder::atBlockBegin(&entryBlock);
  llvm::SmallVector<Type> argTypes(type.getInputs());
  for (auto [i, argType] : llvm::enumerate(type.getInputs())) {
    auto tensorType = dyn_cast<RankedTensorType>(argType);
    if (!tensorType || tensorType.hasStaticShape())
      continue;
    auto argName = fn.getArgAttrOfType<StringAttr>(i, "onnx.name");
    std::string label = argName ? argName.str() : "arg" + std::to_string(i);
    llvm::ArrayRef<int64_t> shape = inputs[i].getShape();
    if (shape.size() != size_t(tensorType.getRank()))
      return makeError("input '" + label + "' has rank " +
                       llvm::Twine(shape.size()) + ", expected " +
                       llvm::Twine(tensorType.getRank()));
    for (auto [d, size] : llvm::enumerate(tensorType.getShape()))
      if (!ShapedType::isDynamic(size) && size != shape[d])
        return makeError("input '" + label + "' has size " +
                         llvm::Twine(shape[d]) + " in dim " + llvm::Twine(d) +
                         ", expected " + llvm::Twine(size));
    auto staticType = tensorType.clone(shape);
    BlockArgument arg = entryBlock.getArgument(i);
    bool onlyONNXUsers =
        !arg.use_empty() && llvm::all_of(arg.getUsers(), [](Operation *user) {
          Dialect *dialect = user->getDialect();
          return dialect && dialect->getNamespace() == "onnx";
        });
    arg.setType(staticType);
    argTypes[i] = staticType;
    if (onlyONNXUsers)
      continue;
    auto cast = tensor::CastOp::create(builder, arg.getLoc(), tensorType, arg);
    arg.replaceAllUsesExcept(cast.getResult(), cast);
  }
  fn.setFunctionType(
      FunctionType::get(module.getContext(), argTypes, type.getResults()));

  // Lower the front (onnx, peft) to linalg and let the static shapes
  // propagate: canonicalization folds the casts into the ops; reshapes to a
  // constant shape and the returned values are made static here.
  initializeOnce();
  MLIRContext &ctx = *module.getContext();
  PassManager pm(&ctx, ModuleOp::getOperationName());
  std::string pipelineErrors;
  llvm::raw_string_ostream errorStream(pipelineErrors);
  if (failed(parsePassPipeline("func.func(onnx-cleanup,convert-onnx-to-linalg),"
                               "func.func(convert-peft-to-linalg),canonicalize",
                               pm, errorStream)))
    return makeError("specialization pipeline: " + pipelineErrors);
  DiagnosticCollector diags(ctx);
  for (int iteration = 0; iteration < 8; ++iteration) {
    if (failed(pm.run(module)))
      return diags.error("specializing @" + fn.getSymName() +
                         " to the input shapes failed");
    bool changed = false;
    fn.walk([&](tensor::ReshapeOp reshape) {
      auto resultType = reshape.getResult().getType();
      DenseIntElementsAttr shapeAttr;
      if (resultType.hasStaticShape() ||
          !matchPattern(reshape.getShape(), m_Constant(&shapeAttr)))
        return;
      llvm::SmallVector<int64_t> shape;
      for (const APInt &size : shapeAttr.getValues<APInt>())
        shape.push_back(size.getSExtValue());
      if (llvm::any_of(shape, [](int64_t size) { return size < 0; }))
        return;
      OpBuilder b(reshape);
      auto refined = tensor::ReshapeOp::create(
          b, reshape.getLoc(), resultType.clone(shape), reshape.getSource(),
          reshape.getShape());
      auto cast = tensor::CastOp::create(b, reshape.getLoc(), resultType,
                                         refined.getResult());
      reshape.getResult().replaceAllUsesWith(cast.getResult());
      reshape.erase();
      changed = true;
    });
    llvm::SmallVector<Type> resultTypes(fn.getFunctionType().getResults());
    fn.walk([&](func::ReturnOp ret) {
      for (OpOperand &operand : ret->getOpOperands()) {
        auto cast = operand.get().getDefiningOp<tensor::CastOp>();
        if (!cast || !cast.getSource().getType().hasStaticShape())
          continue;
        operand.set(cast.getSource());
        resultTypes[operand.getOperandNumber()] = cast.getSource().getType();
        changed = true;
      }
    });
    fn.setFunctionType(FunctionType::get(&ctx, argTypes, resultTypes));
    if (!changed)
      break;
  }
  return Error::success();
}

Error mlir::peft::runtime::checkCUDADevice() {
  auto noDevice = [](const llvm::Twine &reason) {
    return makeError("no CUDA device available: " + reason);
  };
  // The driver stays loaded: the CUDA runtime library uses it afterwards.
  void *driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
  if (!driver) {
    const char *reason = dlerror();
    return noDevice("cannot load the CUDA driver libcuda.so.1 (" +
                    llvm::Twine(reason ? reason : "unknown error") + ")");
  }
  using InitFn = int (*)(unsigned);
  using CountFn = int (*)(int *);
  using ErrorStringFn = int (*)(int, const char **);
  auto init = reinterpret_cast<InitFn>(dlsym(driver, "cuInit"));
  auto count = reinterpret_cast<CountFn>(dlsym(driver, "cuDeviceGetCount"));
  auto errorString =
      reinterpret_cast<ErrorStringFn>(dlsym(driver, "cuGetErrorString"));
  if (!init || !count)
    return noDevice("libcuda.so.1 lacks cuInit/cuDeviceGetCount");
  auto describe = [&](const char *call, int result) {
    const char *text = nullptr;
    if (errorString)
      errorString(result, &text);
    return noDevice(llvm::Twine(call) + " failed: " + (text ? text : "error") +
                    " (" + llvm::Twine(result) + ")");
  };
  if (int result = init(0))
    return describe("cuInit", result);
  int devices = 0;
  if (int result = count(&devices))
    return describe("cuDeviceGetCount", result);
  if (devices == 0)
    return noDevice("the CUDA driver reports no devices");
  return Error::success();
}
