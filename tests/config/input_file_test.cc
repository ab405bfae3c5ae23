// Reading hostile input files (issue 17): special files, size, encodings; values quoted in
// messages are cut.
#include <gtest/gtest.h>

#include <string>

#include "model/config/input_file.h"
#include "model/config/regex_check.h"
#include "model/config/yaml_reader.h"

namespace meshtwin::config {
namespace {

TEST(InputFile, RefusesDevicesWithoutReadingThem) {
  std::string error;
  EXPECT_FALSE(read_input_file("/dev/zero", error));
  EXPECT_NE(error.find("not a regular file"), std::string::npos) << error;
  EXPECT_FALSE(read_input_file("/nonexistent/x.yaml", error));
  EXPECT_EQ(error, "No such file or directory");
}

TEST(InputFile, DecodesUtf16WithAByteOrderMark) {
  std::string error;
  const std::string le("\xFF\xFE" "a\0:\0 \0\xE9\0\n\0", 12);
  auto text = decode_input_text(le, error);
  ASSERT_TRUE(text) << error;
  EXPECT_EQ(*text, "a: \xC3\xA9\n");
  const std::string be("\xFE\xFF\0a\xD8\x3D\xDE\x00", 8);  // "a" and U+1F600
  text = decode_input_text(be, error);
  ASSERT_TRUE(text) << error;
  EXPECT_EQ(*text, "a\xF0\x9F\x98\x80");
}

TEST(InputFile, RefusesNulBytesAndUtf32) {
  std::string error;
  EXPECT_FALSE(decode_input_text(std::string("a\0:\0", 4), error));
  EXPECT_NE(error.find("NUL byte at offset 1"), std::string::npos) << error;
  EXPECT_FALSE(decode_input_text(std::string("\xFF\xFE\0\0a\0\0\0", 8), error));
  EXPECT_NE(error.find("UTF-32"), std::string::npos) << error;
  EXPECT_FALSE(decode_input_text(std::string("\xFF\xFE\x00\xD8", 4), error));  // lone surrogate
}

TEST(QuoteValue, CutsLongValuesAndSaysHowLong) {
  EXPECT_EQ(yaml::quote_value("a\"b"), "\"a\\\"b\"");
  const std::string big(1 << 20, 'x');
  const std::string q = yaml::quote_value(big);
  EXPECT_LT(q.size(), 120u);
  EXPECT_NE(q.find("(1048576 characters)"), std::string::npos) << q;
  // A cut never splits a UTF-8 sequence.
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\xC3\xA9";
  const std::string qa = yaml::quote_value(accents);
  EXPECT_EQ(qa.find("\xC3\"") , std::string::npos);
  EXPECT_NE(qa.find("(200 characters)"), std::string::npos) << qa;
}

TEST(RegexCheck, RejectsWhatRe2Rejects) {
  for (const char* bad : {"(a", "(?=a)", "(a)\\1", "a{1001}", "[z-a]", "\\p{Bogus}"})
    EXPECT_TRUE(regex_error(bad).has_value()) << bad;
  for (const char* good : {"/r/[0-9]+", "a{1000}", "\\p{Greek}", "(?i)abc"})
    EXPECT_FALSE(regex_error(good).has_value()) << good;
}

}  // namespace
}  // namespace meshtwin::config
