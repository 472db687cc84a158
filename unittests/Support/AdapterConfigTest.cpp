//===- AdapterConfigTest.cpp - adapter_config.json and PEFT module rules --===//

#include "peft/Support/AdapterConfig.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlir::peft;

namespace {
AdapterConfig parseOk(llvm::StringRef json) {
  auto config = parseAdapterConfig(json, "adapter_config.json");
  if (!config) {
    ADD_FAILURE() << llvm::toString(config.takeError());
    return {};
  }
  return *config;
}

std::string errorOf(llvm::StringRef json) {
  auto config = parseAdapterConfig(json, "adapter_config.json");
  EXPECT_FALSE(static_cast<bool>(config));
  return config ? "" : llvm::toString(config.takeError());
}

TEST(AdapterConfig, ParsesLora) {
  AdapterConfig c = parseOk(R"({
    "peft_type": "LORA", "r": 4, "lora_alpha": 16, "bias": "none",
    "target_modules": ["q_proj", "v_proj"], "use_rslora": false,
    "use_dora": true, "fan_in_fan_out": false, "lora_dropout": 0.1,
    "rank_pattern": {}, "alpha_pattern": {}, "task_type": null,
    "base_model_name_or_path": "tiny-llama"})");
  EXPECT_EQ(c.peftType, PeftType::Lora);
  EXPECT_EQ(c.r, 4);
  EXPECT_EQ(c.loraAlpha, 16.0);
  EXPECT_TRUE(c.useDora);
  EXPECT_EQ(c.baseModelNameOrPath, "tiny-llama");
  EXPECT_EQ(c.scaleFor("model.layers.0.self_attn.q_proj"), 4.0);
  EXPECT_TRUE(c.isTarget("model.layers.0.self_attn.q_proj"));
  EXPECT_TRUE(c.isTarget("q_proj"));
  EXPECT_FALSE(c.isTarget("model.layers.0.self_attn.xq_proj"));
  EXPECT_FALSE(c.isTarget("model.layers.0.self_attn.k_proj"));
}

TEST(AdapterConfig, Defaults) {
  AdapterConfig c = parseOk(R"({"peft_type": "LORA"})");
  EXPECT_EQ(c.r, 8);
  EXPECT_EQ(c.loraAlpha, 8.0);
  EXPECT_EQ(c.bias, "none");
  EXPECT_TRUE(c.targetModules.empty());
}

TEST(AdapterConfig, RsLora) {
  AdapterConfig c = parseOk(
      R"({"peft_type": "LORA", "r": 16, "lora_alpha": 8, "use_rslora": true})");
  EXPECT_DOUBLE_EQ(c.scaleFor("x.q"), 2.0);
}

TEST(AdapterConfig, RegexTargets) {
  AdapterConfig c =
      parseOk(R"({"peft_type": "LORA", "target_modules": ".*\\.(q|v)_proj"})");
  ASSERT_TRUE(c.targetModules.regex.has_value());
  EXPECT_TRUE(c.isTarget("model.layers.1.self_attn.v_proj"));
  EXPECT_FALSE(c.isTarget("model.layers.1.self_attn.v_proj.x")); // fullmatch
  EXPECT_FALSE(c.isTarget("v_proj"));
}

TEST(AdapterConfig, IA3) {
  AdapterConfig c = parseOk(R"({"peft_type": "IA3",
    "target_modules": ["k_proj", "v_proj", "down_proj"],
    "feedforward_modules": ["down_proj"]})");
  EXPECT_EQ(c.peftType, PeftType::IA3);
  EXPECT_TRUE(c.isFeedforward("model.layers.0.mlp.down_proj"));
  EXPECT_FALSE(c.isFeedforward("model.layers.0.self_attn.k_proj"));
}

TEST(AdapterConfig, PatternsKeepFileOrder) {
  // Both keys match layers.0's q_proj: the first in the file wins, as in
  // Python's dict order.
  AdapterConfig c = parseOk(R"({"peft_type": "LORA", "r": 8, "lora_alpha": 8,
    "rank_pattern": {"self_attn.q_proj": 2, "layers.0.self_attn.q_proj": 4}})");
  ASSERT_EQ(c.rankPattern.size(), 2u);
  EXPECT_EQ(c.rankPattern[0].first, "self_attn.q_proj");
  EXPECT_EQ(c.rankFor("model.layers.0.self_attn.q_proj"), 2);
  AdapterConfig d = parseOk(R"({"peft_type": "LORA",
    "rank_pattern": {"layers.0.self_attn.q_proj": 4, "self_attn.q_proj": 2}})");
  EXPECT_EQ(d.rankFor("model.layers.0.self_attn.q_proj"), 4);
  EXPECT_EQ(d.rankFor("model.layers.1.self_attn.q_proj"), 2);
  EXPECT_EQ(d.rankFor("model.layers.1.self_attn.k_proj"), 8);
}

TEST(AdapterConfig, RankKeyHidesAlphaKey) {
  // PEFT 0.10 picks one key across rank_pattern then alpha_pattern.
  AdapterConfig c = parseOk(R"({"peft_type": "LORA", "r": 8, "lora_alpha": 16,
    "rank_pattern": {"q_proj": 4},
    "alpha_pattern": {"layers.0.self_attn.q_proj": 32, "v_proj": 2}})");
  EXPECT_EQ(c.rankFor("m.layers.0.self_attn.q_proj"), 4);
  EXPECT_EQ(c.alphaFor("m.layers.0.self_attn.q_proj"), 16.0);
  EXPECT_EQ(c.scaleFor("m.layers.0.self_attn.q_proj"), 4.0);
  EXPECT_EQ(c.rankFor("m.layers.0.self_attn.v_proj"), 8);
  EXPECT_EQ(c.alphaFor("m.layers.0.self_attn.v_proj"), 2.0);
}

TEST(AdapterConfig, Errors) {
  EXPECT_NE(errorOf("{").find("'adapter_config.json': bad JSON"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"r": 8})").find("'peft_type' is missing"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"peft_type": "LOHA"})")
                .find("'peft_type' is 'LOHA'; supported: LORA, IA3"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"peft_type": "LORA", "r": 0})")
                .find("'r' must be a positive integer"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"peft_type": "LORA", "r": "8"})").find("'r'"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"peft_type": "LORA", "lora_alpha": "x"})")
                .find("'lora_alpha' must be a finite number"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"peft_type": "LORA", "use_dora": 1})")
                .find("'use_dora' must be true or false"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"peft_type": "LORA", "bias": "some"})")
                .find("'bias' is 'some'"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"peft_type": "LORA", "target_modules": 3})")
                .find("'target_modules' must be a list"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"peft_type": "LORA", "rank_pattern": {"q": 1.5}})")
                .find("'rank_pattern.q' must be a positive integer"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"peft_type": "LORA", "target_modules": "(?=q).*"})")
                .find("'target_modules' is not a usable regex"),
            std::string::npos);
}

TEST(PythonRegex, Translation) {
  auto t = [](llvm::StringRef p) {
    auto r = translatePythonRegex(p);
    return r ? *r : "ERROR: " + llvm::toString(r.takeError());
  };
  EXPECT_EQ(t(R"(a\.b\d+)"), R"(a\.b[0-9]+)");
  EXPECT_EQ(t(R"((?:q|k)_proj)"), "(q|k)_proj");
  EXPECT_EQ(t(R"(.*?x)"), ".*x");
  EXPECT_EQ(t(R"(x{,3}y{2}z{)"), "x{0,3}y{2}z\\{");
  EXPECT_EQ(t(R"([\d.\-])"), "[0-9.-]");
  EXPECT_NE(t(R"((?P<n>x))").find("not supported"), std::string::npos);
  EXPECT_NE(t(R"(\bx)").find("'\\b' is not supported"), std::string::npos);
  EXPECT_NE(t(R"((a)\1)").find("not supported"), std::string::npos);
}

TEST(PythonRegex, PatternKeyNeedsADot) {
  EXPECT_TRUE(matchesPatternKey("q_proj", "model.layers.0.q_proj"));
  EXPECT_FALSE(matchesPatternKey("q_proj", "q_proj"));
  EXPECT_FALSE(matchesPatternKey("q_proj", "model.layers.0.xq_proj"));
  EXPECT_FALSE(matchesPatternKey("q_proj", "model.q_proj.lora"));
  EXPECT_TRUE(
      matchesPatternKey(R"(layers\.\d+\.q_proj)", "m.layers.12.q_proj"));
  // `.` in a key is any character, as in Python.
  EXPECT_TRUE(matchesPatternKey("layers.0.q_proj", "m.layers_0_q_proj"));
  // Alternation: Python's `.*\.q|k_proj$` is `(.*\.q)|(k_proj$)` matched at
  // the start.
  EXPECT_TRUE(matchesPatternKey("q|k_proj", "m.q_something"));
  EXPECT_TRUE(matchesPatternKey("q|k_proj", "k_proj"));
  EXPECT_FALSE(matchesPatternKey("q|k_proj", "m.k_proj"));
}

TEST(PythonRegex, GenericPatternLookup) {
  std::vector<std::pair<std::string, int64_t>> entries = {{"q_proj", 2},
                                                          {"proj", 3}};
  const auto *hit =
      matchPatternKey(llvm::ArrayRef(entries), llvm::StringRef("a.k_proj"));
  EXPECT_EQ(hit, nullptr); // "proj" needs ".proj" at the end
  hit = matchPatternKey(llvm::ArrayRef(entries), llvm::StringRef("a.q_proj"));
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->second, 2);
  RankAndAlpha ra = resolveRankAndAlpha(entries, {}, 8, 8.0, "a.q_proj");
  EXPECT_EQ(ra.rank, 2);
  EXPECT_EQ(ra.alpha, 8.0);
  EXPECT_DOUBLE_EQ(loraScale(8.0, 4, /*useRslora=*/true), 4.0);
}

TEST(PythonRegex, TargetList) {
  std::vector<std::string> names = {"q_proj", "layers.1.v_proj"};
  EXPECT_TRUE(matchesModuleList(names, "m.layers.0.q_proj"));
  EXPECT_TRUE(matchesModuleList(names, "q_proj"));
  EXPECT_TRUE(matchesModuleList(names, "m.layers.1.v_proj"));
  EXPECT_FALSE(matchesModuleList(names, "m.layers.11.v_proj"));
  EXPECT_FALSE(matchesModuleList(names, "m.layers.0.xq_proj"));
  EXPECT_TRUE(fullMatchPythonRegex(R"(.*layers\.[01]\..*)", "m.layers.1.q"));
  EXPECT_FALSE(fullMatchPythonRegex("layers", "m.layers.1.q"));
}
} // namespace
