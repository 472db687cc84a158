//===- LrqatCheckpoint.cpp - trained LR-QAT checkpoints -------------------===//

#include "peft/Support/LrqatCheckpoint.h"
#include "peft/Support/Diagnostics.h"
#include "peft/Support/PeftAdapter.h"
#include "peft/Support/Quantization.h"
#include "peft/Support/ShapeArithmetic.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>

using namespace mlir::peft;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

StringRef mlir::peft::stringifyPhiFormat(PhiFormat format) {
  switch (format) {
  case PhiFormat::Fixed:
    return "fixed";
  case PhiFormat::Int:
    return "int";
  case PhiFormat::Float16:
    return "float16";
  case PhiFormat::BFloat16:
    return "bfloat16";
  case PhiFormat::Float32:
    return "float32";
  }
  llvm_unreachable("unknown phi format");
}

namespace {
constexpr StringRef kConfigName = "lrqat_config.json";
constexpr StringRef kModelName = "lrqat_model.safetensors";

Expected<LrqatConfig> parseConfig(StringRef text, StringRef name) {
  auto fail = [&](const llvm::Twine &what) {
    return makeError(name + ": " + what);
  };
  Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json)
    return fail("not valid JSON: " + llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return fail("expected a JSON object");
  if (root->getString("format") != std::optional<StringRef>("peft-mlir.lrqat"))
    return fail("\"format\" must be \"peft-mlir.lrqat\"");
  if (root->getInteger("version") != std::optional<int64_t>(1))
    return fail("\"version\" must be 1");
  LrqatConfig config;
  std::optional<int64_t> bits = root->getInteger("bits");
  if (!bits || !quant::isSupportedBits(*bits))
    return fail("\"bits\" must be 2, 3, 4 or 8");
  config.bits = int(*bits);
  std::optional<StringRef> phi = root->getString("phi");
  std::optional<PhiFormat> format =
      llvm::StringSwitch<std::optional<PhiFormat>>(phi ? *phi : "")
          .Case("fixed", PhiFormat::Fixed)
          .Case("int", PhiFormat::Int)
          .Case("float16", PhiFormat::Float16)
          .Case("bfloat16", PhiFormat::BFloat16)
          .Case("float32", PhiFormat::Float32)
          .Default(std::nullopt);
  if (!format)
    return fail("\"phi\" must be one of fixed, int, float16, bfloat16, "
                "float32");
  config.phi = *format;
  std::optional<double> alpha = root->getNumber("alpha");
  if (!alpha || !std::isfinite(*alpha) || *alpha <= 0)
    return fail("\"alpha\" must be a finite number > 0");
  config.alpha = *alpha;
  std::optional<int64_t> rank = root->getInteger("rank");
  if (!rank || *rank < 1)
    return fail("\"rank\" must be an integer >= 1");
  config.rank = *rank;
  std::optional<StringRef> granularity = root->getString("granularity");
  if (granularity == std::optional<StringRef>("group")) {
    std::optional<int64_t> size = root->getInteger("group_size");
    if (!size || *size < 1)
      return fail("\"group_size\" must be an integer >= 1 with granularity "
                  "\"group\"");
    config.groupSize = *size;
  } else if (granularity != std::optional<StringRef>("channel")) {
    return fail("\"granularity\" must be \"channel\" or \"group\"");
  }
  const llvm::json::Array *list = root->getArray("modules");
  if (!list || list->empty())
    return fail("\"modules\" must be a non-empty list of module paths");
  llvm::StringSet<> seen;
  for (const llvm::json::Value &v : *list) {
    std::optional<StringRef> path = v.getAsString();
    if (!path || path->empty())
      return fail("\"modules\" entries must be non-empty strings");
    if (!seen.insert(*path).second)
      return fail("module '" + *path + "' is listed twice");
    config.modules.push_back(path->str());
  }
  return config;
}

/// The dtype `format` stores Φ0 in.
StringRef phiDType(PhiFormat format) {
  switch (format) {
  case PhiFormat::Fixed:
  case PhiFormat::Int:
    return "I8";
  case PhiFormat::Float16:
    return "F16";
  case PhiFormat::BFloat16:
    return "BF16";
  case PhiFormat::Float32:
    return "F32";
  }
  llvm_unreachable("unknown phi format");
}
} // namespace

Expected<std::unique_ptr<LrqatCheckpoint>>
LrqatCheckpoint::open(StringRef path) {
  llvm::SmallString<256> dir(path), model(path);
  if (llvm::sys::fs::is_directory(path)) {
    llvm::sys::path::append(model, kModelName);
  } else {
    dir = llvm::sys::path::parent_path(path);
  }
  llvm::SmallString<256> configPath(dir);
  llvm::sys::path::append(configPath, kConfigName);
  auto text = llvm::MemoryBuffer::getFile(configPath, /*IsText=*/true);
  if (!text)
    return makeError("cannot read '" + configPath +
                     "': " + text.getError().message());
  auto checkpoint = std::unique_ptr<LrqatCheckpoint>(new LrqatCheckpoint());
  Expected<LrqatConfig> config =
      parseConfig((*text)->getBuffer(), configPath.str());
  if (!config)
    return config.takeError();
  checkpoint->config = std::move(*config);
  Expected<std::unique_ptr<SafeTensorsFile>> file =
      SafeTensorsFile::open(model);
  if (!file)
    return file.takeError();
  checkpoint->file = std::move(*file);
  const LrqatConfig &c = checkpoint->config;
  SafeTensorsFile &st = *checkpoint->file;
  auto fail = [&](const llvm::Twine &what) {
    return makeError(st.getName() + ": " + what);
  };

  llvm::StringSet<> used;
  quant::QuantSpec spec;
  spec.bits = c.bits;
  for (const std::string &module : c.modules) {
    auto get = [&](StringRef suffix) -> Expected<const SafeTensor *> {
      std::string key = module + "." + suffix.str();
      const SafeTensor *t = st.lookup(key);
      if (!t)
        return fail("missing tensor '" + key + "' (module '" + module +
                    "' is listed in " + kConfigName + ")");
      used.insert(key);
      return t;
    };
    Expected<const SafeTensor *> phi = get("phi0");
    if (!phi)
      return phi.takeError();
    Expected<const SafeTensor *> scale = get("scale");
    if (!scale)
      return scale.takeError();
    Expected<const SafeTensor *> a = get("lora_A");
    if (!a)
      return a.takeError();
    Expected<const SafeTensor *> b = get("lora_B");
    if (!b)
      return b.takeError();

    LrqatModule m;
    m.path = module;
    m.phi0 = *phi;
    if ((*phi)->shape.size() != 2)
      return fail("tensor '" + (*phi)->name + "' must be 2-D [out, in], got " +
                  formatShapeList((*phi)->shape));
    m.out = (*phi)->shape[0];
    m.in = (*phi)->shape[1];
    int64_t groups = checkpoint->groupsPerRow(m.in);
    auto checkShape = [&](const SafeTensor *t,
                          llvm::ArrayRef<int64_t> want) -> Error {
      if (llvm::ArrayRef<int64_t>(t->shape) != want)
        return fail("tensor '" + t->name + "' has shape " +
                    formatShapeList(t->shape) + ", expected " +
                    formatShapeList(want) + " for a layer with " +
                    llvm::Twine(m.out) + " outputs, " + llvm::Twine(m.in) +
                    " inputs and rank " + llvm::Twine(c.rank));
      return Error::success();
    };
    if (Error e = checkShape(*scale, {m.out, groups}))
      return std::move(e);
    if (Error e = checkShape(*a, {m.out, c.rank}))
      return std::move(e);
    if (Error e = checkShape(*b, {c.rank, m.in}))
      return std::move(e);
    if ((*phi)->dtype != phiDType(c.phi))
      return fail("tensor '" + (*phi)->name + "' has dtype " + (*phi)->dtype +
                  "; phi \"" + stringifyPhiFormat(c.phi) + "\" is stored as " +
                  phiDType(c.phi));

    // Floats: finite (scales > 0).
    auto readFloats = [&](const SafeTensor *t,
                          std::vector<double> &out) -> Error {
      Expected<std::vector<double>> values = readAdapterTensor(*t);
      if (!values)
        return fail(llvm::toString(values.takeError()));
      for (size_t i = 0; i < values->size(); ++i)
        if (!std::isfinite((*values)[i]))
          return fail("tensor '" + t->name + "' has a non-finite value at " +
                      "flat index " + llvm::Twine(i));
      out = std::move(*values);
      return Error::success();
    };
    if (Error e = readFloats(*scale, m.scale))
      return std::move(e);
    for (size_t i = 0; i < m.scale.size(); ++i)
      if (!(m.scale[i] > 0))
        return fail("tensor '" + (*scale)->name +
                    "' has a scale <= 0 at flat index " + llvm::Twine(i));
    if (Error e = readFloats(*a, m.loraA))
      return std::move(e);
    if (Error e = readFloats(*b, m.loraB))
      return std::move(e);

    // Φ0 on its grid.
    if (c.phi == PhiFormat::Fixed || c.phi == PhiFormat::Int) {
      int64_t lo = spec.qmin(), hi = spec.qmax();
      double step = 1;
      if (c.phi == PhiFormat::Fixed) {
        step = std::ldexp(1.0, 8 - c.bits);
        lo = int64_t(lo * step);
        hi = int64_t(hi * step);
      }
      m.phiValues.resize((*phi)->data.size());
      for (size_t i = 0; i < m.phiValues.size(); ++i) {
        int64_t v = int8_t((*phi)->data[i]);
        if (v < lo || v > hi)
          return fail("tensor '" + (*phi)->name + "' holds " + llvm::Twine(v) +
                      " at flat index " + llvm::Twine(i) + ", outside [" +
                      llvm::Twine(lo) + ", " + llvm::Twine(hi) + "] (phi \"" +
                      stringifyPhiFormat(c.phi) + "\", " + llvm::Twine(c.bits) +
                      " bits)");
        m.phiValues[i] = double(v) / step;
      }
    } else if (Error e = readFloats(*phi, m.phiValues)) {
      return std::move(e);
    }
    checkpoint->modules.push_back(std::move(m));
  }
  for (const SafeTensor &t : st.tensors())
    if (!used.contains(t.name))
      return fail("tensor '" + t.name + "' belongs to no module listed in " +
                  kConfigName);
  return checkpoint;
}
