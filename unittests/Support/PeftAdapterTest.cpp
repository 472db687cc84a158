//===- PeftAdapterTest.cpp - the PEFT adapter reader ----------------------===//

#include "peft/Support/PeftAdapter.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace mlir::peft;

namespace {

TEST(PeftAdapterKey, Grammar) {
  auto check = [](llvm::StringRef key, llvm::StringRef path,
                  AdapterTensorKind kind, llvm::StringRef name) {
    std::optional<AdapterKey> parsed = parseAdapterKey(key);
    ASSERT_TRUE(parsed.has_value()) << key.str();
    EXPECT_EQ(parsed->modulePath, path) << key.str();
    EXPECT_EQ(parsed->kind, kind) << key.str();
    EXPECT_EQ(parsed->adapterName, name) << key.str();
  };
  const char *q = "model.layers.0.self_attn.q_proj";
  check("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", q,
        AdapterTensorKind::LoraA, "");
  check("base_model.model.model.layers.0.self_attn.q_proj.lora_B.sst2.weight",
        q, AdapterTensorKind::LoraB, "sst2");
  check("base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_"
        "vector",
        q, AdapterTensorKind::Magnitude, "");
  check("base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_"
        "vector.weight",
        q, AdapterTensorKind::Magnitude, "");
  check("base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_"
        "vector.a.weight",
        q, AdapterTensorKind::Magnitude, "a");
  check("base_model.model.model.layers.0.mlp.down_proj.ia3_l",
        "model.layers.0.mlp.down_proj", AdapterTensorKind::IA3, "");
  check("base_model.model.h.0.attn.c_attn.ia3_l.x", "h.0.attn.c_attn",
        AdapterTensorKind::IA3, "x");
  // The last kind segment decides: a module may be called lora_A.
  check("base_model.model.x.lora_A.y.lora_B.weight", "x.lora_A.y",
        AdapterTensorKind::LoraB, "");

  for (const char *bad : {
           "model.layers.0.q_proj.lora_A.weight",       // no prefix
           "base_model.model.q_proj.lora_A",            // no .weight
           "base_model.model.q_proj.lora_A.a.b.weight", // two names
           "base_model.model.q_proj.ia3_l.weight",      // ia3_l has no .weight
           "base_model.model.lora_A.weight",            // no module path
           "base_model.model.score.weight",             // modules_to_save
           "base_model.model.q_proj.lora_A..weight",    // empty name
       })
    EXPECT_FALSE(parseAdapterKey(bad).has_value()) << bad;
}

TEST(PeftAdapterKey, RoundTrip) {
  for (AdapterTensorKind kind :
       {AdapterTensorKind::LoraA, AdapterTensorKind::LoraB,
        AdapterTensorKind::Magnitude, AdapterTensorKind::IA3})
    for (llvm::StringRef name : {"", "sst2"}) {
      std::string key = getAdapterKey("a.b.0.c", kind, name);
      std::optional<AdapterKey> parsed = parseAdapterKey(key);
      ASSERT_TRUE(parsed.has_value()) << key;
      EXPECT_EQ(parsed->modulePath, "a.b.0.c");
      EXPECT_EQ(parsed->kind, kind);
      EXPECT_EQ(parsed->adapterName, name);
    }
  EXPECT_EQ(getAdapterTensorName("l.q", AdapterTensorKind::LoraA, "default"),
            "l.q.lora_A.default.weight");
  EXPECT_EQ(getAdapterTensorName("l.q", AdapterTensorKind::IA3, "default"),
            "l.q.ia3_l.default");
}

/// One tensor to write: name, dtype, shape, raw little-endian bytes.
struct TensorSpec {
  std::string name, dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

std::string f32(std::initializer_list<float> values) {
  std::string bytes(values.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), values.begin(), bytes.size());
  return bytes;
}

/// A float tensor of `shape` filled with 0.5.
TensorSpec floatTensor(std::string name, std::vector<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  std::vector<float> values(n, 0.5f);
  std::string bytes(n * sizeof(float), '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return {std::move(name), "F32", std::move(shape), std::move(bytes)};
}

/// A temporary adapter directory, removed with the fixture.
class PeftAdapterDir : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("peft-adapter", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string file(llvm::StringRef name) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, name);
    return path.str().str();
  }
  void write(llvm::StringRef name, llvm::StringRef contents) {
    std::error_code ec;
    llvm::raw_fd_ostream os(file(name), ec);
    ASSERT_FALSE(ec);
    os << contents;
  }
  void writeConfig(llvm::StringRef extra = "") {
    write("adapter_config.json",
          (R"({"peft_type": "LORA", "r": 2, "lora_alpha": 4, "bias": "none")" +
           extra + "}")
              .str());
  }
  void writeTensors(const std::vector<TensorSpec> &tensors) {
    std::string header = "{", data;
    for (const TensorSpec &t : tensors) {
      if (header.size() > 1)
        header += ",";
      header += "\"" + t.name + "\":{\"dtype\":\"" + t.dtype + "\",\"shape\":[";
      for (size_t i = 0; i < t.shape.size(); ++i)
        header += (i ? "," : "") + std::to_string(t.shape[i]);
      header += "],\"data_offsets\":[" + std::to_string(data.size()) + "," +
                std::to_string(data.size() + t.bytes.size()) + "]}";
      data += t.bytes;
    }
    header += "}";
    std::string bytes;
    for (int i = 0; i < 8; ++i)
      bytes += char((uint64_t(header.size()) >> (8 * i)) & 0xff);
    write("adapter_model.safetensors", bytes + header + data);
  }
  /// A plain LoRA of rank 2 on `path`, [out 3, in 4].
  std::vector<TensorSpec> lora(llvm::StringRef path, int64_t rank = 2) {
    return {
        floatTensor(getAdapterKey(path, AdapterTensorKind::LoraA), {rank, 4}),
        floatTensor(getAdapterKey(path, AdapterTensorKind::LoraB), {3, rank})};
  }
  std::unique_ptr<PeftAdapter> open() {
    auto adapter = PeftAdapter::open(dir);
    EXPECT_TRUE(static_cast<bool>(adapter))
        << llvm::toString(adapter.takeError());
    return adapter ? std::move(*adapter) : nullptr;
  }
  std::string openError(llvm::StringRef path) {
    auto adapter = PeftAdapter::open(path);
    EXPECT_FALSE(static_cast<bool>(adapter));
    return adapter ? "" : llvm::toString(adapter.takeError());
  }
  std::string openError() { return openError(dir); }
  /// The error of checkModule on the first module.
  std::string checkError() {
    std::unique_ptr<PeftAdapter> adapter = open();
    if (!adapter || adapter->getModules().empty())
      return "<no module>";
    llvm::Error err = adapter->checkModule(adapter->getModules().front());
    return err ? llvm::toString(std::move(err)) : "";
  }

  llvm::SmallString<128> dir;
};

TEST_F(PeftAdapterDir, DiscoversDirectoryAndFile) {
  writeConfig();
  writeTensors(lora("m.q"));
  std::unique_ptr<PeftAdapter> fromDir = open();
  ASSERT_TRUE(fromDir);
  EXPECT_EQ(fromDir->getFiles().configPath, file("adapter_config.json"));
  EXPECT_EQ(fromDir->getFiles().tensorsPath, file("adapter_model.safetensors"));

  auto fromFile = PeftAdapter::open(file("adapter_model.safetensors"));
  ASSERT_TRUE(static_cast<bool>(fromFile))
      << llvm::toString(fromFile.takeError());
  EXPECT_EQ((*fromFile)->getFiles().configPath, file("adapter_config.json"));
  EXPECT_EQ((*fromFile)->getModules().size(), 1u);
}

TEST_F(PeftAdapterDir, DiscoveryErrors) {
  std::string missing = openError(file("nowhere"));
  EXPECT_NE(missing.find("nowhere' does not exist"), std::string::npos)
      << missing;
  EXPECT_NE(missing.find("adapter_config.json"), std::string::npos) << missing;

  writeTensors(lora("m.q"));
  std::string noConfig = openError();
  EXPECT_NE(noConfig.find("no adapter config: '" + file("adapter_config.json") +
                          "' does not exist"),
            std::string::npos)
      << noConfig;

  writeConfig();
  llvm::sys::fs::remove(file("adapter_model.safetensors"));
  std::string noTensors = openError();
  EXPECT_NE(noTensors.find(file("adapter_model.safetensors")),
            std::string::npos)
      << noTensors;

  write("adapter_model.bin", "pickle");
  std::string pickle = openError();
  EXPECT_NE(pickle.find("adapter_model.bin (a pickle), which is not supported"),
            std::string::npos)
      << pickle;
}

TEST_F(PeftAdapterDir, GroupsModulesAndSetsAsideOtherTensors) {
  writeConfig(R"(, "use_dora": true, "rank_pattern": {"k": 1})");
  std::vector<TensorSpec> tensors = lora("m.q");
  std::vector<TensorSpec> k = lora("m.k", 1);
  tensors.insert(tensors.end(), k.begin(), k.end());
  tensors.push_back(floatTensor(
      getAdapterKey("m.q", AdapterTensorKind::Magnitude) + ".weight", {3}));
  tensors.push_back(
      floatTensor(getAdapterKey("m.k", AdapterTensorKind::Magnitude), {3}));
  tensors.push_back(floatTensor("base_model.model.score.weight", {3}));
  tensors.push_back(
      floatTensor(getAdapterKey("m.v", AdapterTensorKind::IA3), {3, 1}));
  writeTensors(tensors);
  std::unique_ptr<PeftAdapter> adapter = open();
  ASSERT_TRUE(adapter);
  ASSERT_EQ(adapter->getModules().size(), 2u);
  const AdapterModule *q = adapter->lookupModule("m.q");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->loraA->name, "base_model.model.m.q.lora_A.weight");
  EXPECT_EQ(q->loraB->name, "base_model.model.m.q.lora_B.weight");
  EXPECT_NE(q->magnitude, nullptr);
  EXPECT_EQ(q->ia3, nullptr);
  EXPECT_EQ(adapter->lookupModule("m"), nullptr);
  for (const AdapterModule &module : adapter->getModules())
    EXPECT_FALSE(static_cast<bool>(adapter->checkModule(module)));
  // An IA³ tensor in a LoRA adapter is no adapter tensor of it.
  ASSERT_EQ(adapter->getOtherTensors().size(), 2u);
  EXPECT_EQ(adapter->getOtherTensors()[0]->name, "base_model.model.m.v.ia3_l");
  EXPECT_EQ(adapter->getOtherTensors()[1]->name,
            "base_model.model.score.weight");
  std::string message =
      adapter->describeOtherTensor(*adapter->getOtherTensors()[1]);
  EXPECT_NE(message.find("'base_model.model.score.weight' in '" +
                         file("adapter_model.safetensors") +
                         "' is not a LoRA adapter tensor"),
            std::string::npos)
      << message;
}

TEST_F(PeftAdapterDir, IA3) {
  write("adapter_config.json",
        R"({"peft_type": "IA3", "target_modules": ["k", "down"],
            "feedforward_modules": ["down"]})");
  writeTensors({floatTensor("base_model.model.l.k.ia3_l", {3, 1}),
                floatTensor("base_model.model.l.down.ia3_l", {1, 4}),
                floatTensor("base_model.model.l.q.lora_A.weight", {2, 4})});
  std::unique_ptr<PeftAdapter> adapter = open();
  ASSERT_TRUE(adapter);
  ASSERT_EQ(adapter->getModules().size(), 2u);
  EXPECT_NE(adapter->lookupModule("l.down")->ia3, nullptr);
  EXPECT_TRUE(adapter->getConfig().isFeedforward("l.down"));
  ASSERT_EQ(adapter->getOtherTensors().size(), 1u);
  EXPECT_NE(adapter->describeOtherTensor(*adapter->getOtherTensors()[0])
                .find("is not a IA3 adapter tensor"),
            std::string::npos);
}

TEST_F(PeftAdapterDir, OpenErrors) {
  writeConfig(R"(, "bias": "all")");
  writeTensors(lora("m.q"));
  EXPECT_NE(openError().find("bias 'all' is not supported"), std::string::npos);

  writeConfig();
  std::vector<TensorSpec> twice = lora("m.q");
  twice.push_back(floatTensor(
      getAdapterKey("m.q", AdapterTensorKind::LoraA, "default"), {2, 4}));
  writeTensors(twice);
  std::string duplicate = openError();
  EXPECT_NE(duplicate.find("are the same tensor of module 'm.q'"),
            std::string::npos)
      << duplicate;

  writeTensors(
      {floatTensor(getAdapterKey("m.q", AdapterTensorKind::LoraA, "x"), {2, 4}),
       floatTensor(getAdapterKey("m.q", AdapterTensorKind::LoraB, "y"),
                   {3, 2})});
  EXPECT_NE(openError().find("name different adapters"), std::string::npos);
}

TEST_F(PeftAdapterDir, CheckModuleErrors) {
  writeConfig();
  writeTensors({lora("m.q")[0]});
  EXPECT_NE(checkError().find("module 'm.q' has lora_A but no lora_B in '" +
                              file("adapter_model.safetensors") + "'"),
            std::string::npos);

  std::vector<TensorSpec> dora = lora("m.q");
  dora.push_back(
      floatTensor(getAdapterKey("m.q", AdapterTensorKind::Magnitude), {3}));
  writeTensors(dora);
  EXPECT_NE(
      checkError().find("has lora_magnitude_vector although use_dora is false"),
      std::string::npos);

  writeConfig(R"(, "rank_pattern": {"q": 4})");
  writeTensors(lora("m.q"));
  EXPECT_NE(checkError().find("lora_A 'base_model.model.m.q.lora_A.weight' "
                              "has rank 2 but adapter_config.json gives rank "
                              "4 to module 'm.q' (r / rank_pattern)"),
            std::string::npos);

  writeConfig();
  std::vector<TensorSpec> ints = lora("m.q");
  ints[1].dtype = "I32";
  writeTensors(ints);
  std::string dtype = checkError();
  EXPECT_NE(dtype.find("'" + file("adapter_model.safetensors") +
                       "': tensor 'base_model.model.m.q.lora_B.weight' has "
                       "dtype I32; expected F32, F16, BF16 or F64"),
            std::string::npos)
      << dtype;

  std::vector<TensorSpec> narrow = lora("m.q");
  narrow[1] =
      floatTensor(getAdapterKey("m.q", AdapterTensorKind::LoraB), {3, 1});
  writeTensors(narrow);
  EXPECT_NE(checkError().find("lora_B 'base_model.model.m.q.lora_B.weight' is "
                              "F32[3x1]; its columns should be the rank, 2"),
            std::string::npos);

  std::vector<TensorSpec> flat = lora("m.q");
  flat[0].shape = {8};
  writeTensors(flat);
  EXPECT_NE(checkError().find("is F32[8]; expected 2 dimensions"),
            std::string::npos);
}

TEST(PeftAdapterTensor, ReadsEveryFloatDTypeExactly) {
  auto read = [](llvm::StringRef dtype, const std::string &bytes) {
    SafeTensor t;
    t.name = "t";
    t.dtype = dtype.str();
    t.data = llvm::ArrayRef<char>(bytes.data(), bytes.size());
    auto values = readAdapterTensor(t);
    EXPECT_TRUE(static_cast<bool>(values));
    return values ? *values : std::vector<double>();
  };
  EXPECT_EQ(read("F32", f32({1.5f, -2.0f})), (std::vector<double>{1.5, -2.0}));
  // 0x3C00 = 1.0 in f16, 0xC000 = -2.0; 0x3FC0 = 1.5 in bf16.
  EXPECT_EQ(read("F16", std::string("\x00\x3C\x00\xC0", 4)),
            (std::vector<double>{1.0, -2.0}));
  EXPECT_EQ(read("BF16", std::string("\xC0\x3F", 2)),
            (std::vector<double>{1.5}));
  double exact = 1.0 + 0x1p-40;
  std::string f64(sizeof(double), '\0');
  std::memcpy(f64.data(), &exact, sizeof(double));
  EXPECT_EQ(read("F64", f64), (std::vector<double>{exact}));

  EXPECT_EQ(getSafeTensorsFloatKind("BF16"), ElementKind::BF16);
  EXPECT_EQ(getSafeTensorsFloatKind("F64"), ElementKind::F64);
  EXPECT_FALSE(getSafeTensorsFloatKind("I64").has_value());
  EXPECT_FALSE(getSafeTensorsFloatKind("f32").has_value());

  SafeTensor ints;
  ints.name = "base_model.model.q.lora_A.weight";
  ints.dtype = "I64";
  auto error = readAdapterTensor(ints);
  ASSERT_FALSE(static_cast<bool>(error));
  EXPECT_EQ(llvm::toString(error.takeError()),
            "tensor 'base_model.model.q.lora_A.weight' has dtype I64; "
            "expected F32, F16, BF16 or F64");
}

} // namespace
