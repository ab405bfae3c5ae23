// Parsing documents ahead on helper threads (model/config/parse_ahead.h) must not change
// anything a user sees: the same trees, the same diagnostics in the same order (including the
// per-file error cap), the same store.
#include <gtest/gtest.h>

#include <string>

#include "model/config/loader.h"
#include "model/config/parse_ahead.h"
#include "tests/config/dump_diagnostics.h"

namespace meshtwin::config {
namespace {

// `n` documents: Services and Deployments, every 7th with a YAML syntax error, every 5th with
// an unknown field, every 11th re-applying an earlier name (kubectl apply replaces in place), so
// more than Diagnostics::kMaxErrorsPerFile errors and order-dependent store contents.
std::string many_documents(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += "---\n";
    const std::string name = "svc-" + std::to_string(i % 11 == 10 ? i - 3 : i);
    if (i % 7 == 3) {
      out += "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + "\nspec: [unclosed\n";
      continue;
    }
    if (i % 2 == 0) {
      out += "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + "}\nspec:\n  ports: [{port: " +
             std::to_string(8000 + i) + ", name: http}]\n  selector: {app: " + name + "}\n";
    } else {
      out += "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name +
             "}\nspec:\n  replicas: " + std::to_string(i % 4) + "\n  selector: {matchLabels: {app: " + name +
             "}}\n  template:\n    metadata: {labels: {app: " + name +
             "}}\n    spec: {containers: [{name: app, image: app}]}\n";
    }
    if (i % 5 == 0) out += "bogus" + std::to_string(i) + ": 1\n";
  }
  return out;
}

std::string store_summary(const ConfigStore& s) {
  std::string out;
  for (const auto& svc : s.services()) {
    out += "svc " + svc.meta.name;
    for (const auto& p : svc.ports) out += " " + std::to_string(p.port);
    out += "\n";
  }
  for (const auto& w : s.workloads()) out += "workload " + w.meta.name + " " + std::to_string(w.replicas) + "\n";
  return out;
}

TEST(ParseAhead, LoaderOutputIsTheSameForEveryThreadCount) {
  const std::string text = many_documents(400);
  ConfigStore one_store;
  Diagnostics one_diags;
  LoadOptions one;
  one.parse_threads = 1;
  load_yaml_text(text, "m.yaml", one_store, one_diags, one);
  ASSERT_GT(one_diags.error_count(), Diagnostics::kMaxErrorsPerFile);
  ASSERT_GT(one_store.services().size(), 100u);
  // The first syntax error (document 3, from line 26) at its place in the file, not in the
  // document.
  EXPECT_NE(dump(one_diags).find("m.yaml:29:5: error: invalid YAML"), std::string::npos) << dump(one_diags);
  for (unsigned threads : {2u, 4u, 16u}) {
    ConfigStore store;
    Diagnostics diags;
    LoadOptions opt;
    opt.parse_threads = threads;
    load_yaml_text(text, "m.yaml", store, diags, opt);
    EXPECT_EQ(dump(diags), dump(one_diags)) << threads << " threads";
    EXPECT_EQ(store_summary(store), store_summary(one_store)) << threads << " threads";
  }
}

TEST(ParseAhead, EveryDocumentOnceInOrderWithASmallWindow) {
  const std::string text = many_documents(60);
  const auto docs = yaml::split_documents(text);
  ASSERT_EQ(docs.size(), 60u);
  yaml::ParseAhead ahead(docs, "m.yaml", 3, 2);
  EXPECT_EQ(ahead.helpers(), 3u);
  Diagnostics got;
  Diagnostics want;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    auto node = ahead.take(i, got);
    auto expected = yaml::parse_document(docs[i], "m.yaml", want);
    ASSERT_EQ(node.has_value(), expected.has_value()) << "document " << i;
    if (node) {
      EXPECT_EQ((*node)["metadata"]["name"].Scalar(), (*expected)["metadata"]["name"].Scalar());
    }
  }
  EXPECT_EQ(dump(got), dump(want));
  EXPECT_GT(want.error_count(), 5u);
}

TEST(ParseAhead, HelpersOnlyForLargeInputsAndIdleCores) {
  EXPECT_EQ(yaml::parse_helpers_for(1, 10'000'000, 0, 8, 0.0), 0u);
  EXPECT_EQ(yaml::parse_helpers_for(500, 10'000, 0, 8, 0.0), 0u);  // small: one thread
  EXPECT_EQ(yaml::parse_helpers_for(500, 10'000, 3, 8, 0.0), 2u);  // asked for
  EXPECT_EQ(yaml::parse_helpers_for(500, 10'000, 1, 8, 0.0), 0u);
  EXPECT_EQ(yaml::parse_helpers_for(500, 10'000'000, 0, 2, 0.2), 1u);  // a quiet 2-core machine
  EXPECT_EQ(yaml::parse_helpers_for(500, 10'000'000, 0, 2, 1.4), 1u);
  EXPECT_EQ(yaml::parse_helpers_for(500, 10'000'000, 0, 2, 1.6), 0u);  // busy: no idle core
  EXPECT_EQ(yaml::parse_helpers_for(500, 10'000'000, 0, 1, 0.0), 0u);
  EXPECT_EQ(yaml::parse_helpers_for(500, 10'000'000, 0, 16, 0.0), 3u);
  EXPECT_EQ(yaml::parse_helpers_for(500, 10'000'000, 0, 16, 13.0), 3u);
  EXPECT_EQ(yaml::parse_helpers_for(500, 10'000'000, 0, 16, 14.0), 2u);
  EXPECT_EQ(yaml::parse_helpers_for(500, 10'000'000, 3, 2, 9.0), 2u);  // asked for, whatever the load
}

}  // namespace
}  // namespace meshtwin::config
