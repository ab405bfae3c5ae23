// read_list and read_object_list (model/config/parsers.h), the one loop every list field of the
// parsers uses: items in order, an item that is not a mapping reported at its own path and
// skipped, unread fields of each item reported, and the "at least one" error of a list that
// must not be empty.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/config/api_fields.h"
#include "model/config/parsers.h"

namespace meshtwin::config::parse {
namespace {

struct Doc {
  Diagnostics diags;
  std::optional<yaml::Reader> reader;
  Value root;
  explicit Doc(const std::string& text) {
    auto docs = yaml::split_documents(text);
    auto node = yaml::parse_document(docs.at(0), "list.yaml", diags);
    reader.emplace("list.yaml", diags);
    root = Value(&*reader, *node, "");
  }
  std::string dump() const {
    std::string out;
    for (const auto& d : diags.items()) out += d.format() + "\n";
    return out;
  }
};

struct Named {
  std::string name;
  int line = 0;
};

TEST(ListFields, ObjectItemsAreReadInOrderAndANonMappingItemIsReportedAndSkipped) {
  Doc d("items:\n- {name: a}\n- 5\n- {name: b, bogus: 1}\n");
  MapReader top(d.root);
  std::vector<Named> out;
  read_object_list(*top.get("items"), api::kHTTPMatchRequest, out, [](MapReader& m, Named& x, const Value& item) {
    m.read("name", x.name);
    x.line = item.location().line;
  });
  ASSERT_EQ(out.size(), 2u) << d.dump();
  EXPECT_EQ(out[0].name, "a");
  EXPECT_EQ(out[0].line, 2);
  EXPECT_EQ(out[1].name, "b");
  EXPECT_EQ(out[1].line, 4);
  // The number item and the unknown field of the third item: one error each, at their paths.
  ASSERT_EQ(d.diags.error_count(), 2u) << d.dump();
  EXPECT_EQ(d.diags.items()[0].field_path, "items[1]") << d.dump();
  EXPECT_EQ(d.diags.items()[1].field_path, "items[2].bogus") << d.dump();
}

TEST(ListFields, AnEmptyListThatMustHaveItemsIsOneErrorAtTheList) {
  Doc d("items: []\nplain: []\n");
  MapReader top(d.root);
  std::vector<Named> out;
  auto read = [](MapReader& m, Named& x, const Value&) { m.read("name", x.name); };
  read_object_list(*top.get("items"), api::kHTTPMatchRequest, out, read, "items must have at least one entry");
  read_object_list(*top.get("plain"), api::kHTTPMatchRequest, out, read);  // may be empty
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(d.diags.items().size(), 1u) << d.dump();
  EXPECT_EQ(d.diags.items()[0].field_path, "items");
  EXPECT_EQ(d.diags.items()[0].message, "items must have at least one entry");
}

TEST(ListFields, PlainItemsAreEachReadByTheFunction) {
  Doc d("items: [x, y, z]\nnot_a_list: 3\n");
  MapReader top(d.root);
  std::vector<std::string> out;
  auto read = [](const Value& item, std::string& s) { s = item.node().Scalar(); };
  read_list(*top.get("items"), out, read);
  EXPECT_EQ(out, (std::vector<std::string>{"x", "y", "z"}));
  read_list(*top.get("not_a_list"), out, read);  // reported by as_list, read as empty
  EXPECT_EQ(out.size(), 3u);
  ASSERT_EQ(d.diags.error_count(), 1u) << d.dump();
  EXPECT_EQ(d.diags.items()[0].field_path, "not_a_list");
}

}  // namespace
}  // namespace meshtwin::config::parse
