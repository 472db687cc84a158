//===- NamingTest.cpp - module paths, node scopes, adapter input names ----===//

#include "peft/Support/Naming.h"

#include "llvm/ADT/STLExtras.h"

#include <gtest/gtest.h>

using namespace mlir::peft;

namespace {

TEST(Naming, NodeScopesAndModulePathsAreInverses) {
  EXPECT_EQ(getNodeScope("model.layers.0.self_attn.q_proj"),
            "/model/layers.0/self_attn/q_proj");
  EXPECT_EQ(
      getModulePathFromNodeName("/model/layers.0/self_attn/q_proj/MatMul"),
      "model.layers.0.self_attn.q_proj");
  EXPECT_EQ(getModulePathFromNodeName("MatMul_3"), "");
  EXPECT_EQ(getModulePathFromNodeName("/MatMul"), "");
}

TEST(Naming, RuntimeAdapterInputNames) {
  RuntimeAdapterInputNames names =
      getRuntimeAdapterInputNames("l.q", "default");
  EXPECT_EQ(names.loraA, "l.q.lora_A.weight");
  EXPECT_EQ(names.loraB, "l.q.lora_B.weight");
  EXPECT_EQ(names.scale, "l.q.lora_scale");
  names = getRuntimeAdapterInputNames("l.q", "sst2");
  EXPECT_EQ(names.loraA, "l.q.lora_A.sst2.weight");
  EXPECT_EQ(names.scale, "l.q.lora_scale.sst2");

  std::string path, adapter;
  char which;
  for (const std::string &name : {names.loraA, names.loraB, names.scale}) {
    ASSERT_TRUE(parseRuntimeAdapterInputName(name, path, adapter, which));
    EXPECT_EQ(path, "l.q");
    EXPECT_EQ(adapter, "sst2");
  }
  EXPECT_EQ(which, 's');
  ASSERT_TRUE(
      parseRuntimeAdapterInputName("l.q.lora_B.weight", path, adapter, which));
  EXPECT_EQ(adapter, "default");
  EXPECT_EQ(which, 'B');
  EXPECT_FALSE(
      parseRuntimeAdapterInputName("l.q.weight", path, adapter, which));
  EXPECT_FALSE(
      parseRuntimeAdapterInputName("l.q.lora_A.x", path, adapter, which));
}

TEST(Naming, RuntimeBankInputNames) {
  RuntimeBankInputNames names = getRuntimeBankInputNames("model.l.q");
  std::string path;
  char which;
  std::string expectedKinds = "ABos";
  std::string all[] = {names.loraA, names.loraB, names.offsets, names.scales};
  for (auto [i, name] : llvm::enumerate(all)) {
    ASSERT_TRUE(parseRuntimeBankInputName(name, path, which)) << name;
    EXPECT_EQ(path, "model.l.q");
    EXPECT_EQ(which, expectedKinds[i]);
  }
  EXPECT_EQ(names.offsets, "model.l.q.bank_offsets");
  EXPECT_FALSE(parseRuntimeBankInputName(".bank_A", path, which));
  EXPECT_FALSE(parseRuntimeBankInputName("l.q.lora_A.weight", path, which));
}

} // namespace
