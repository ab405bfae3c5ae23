#include "cli/i18n.h"

#include <filesystem>
#include <locale>
#include <unordered_map>

#include <CLI/CLI.hpp>
#include <boost/locale/generator.hpp>
#include <boost/locale/message.hpp>

#include "cli/data_dir.h"
#include "model/text/i18n.h"

namespace meshtwin::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDomain = "meshtwin";

// The locale the catalogue is loaded into; Boost.Locale reads the .mo file itself, so the
// system need not have generated zh_CN.UTF-8.
std::locale& catalogue_locale() {
  static std::locale locale;
  return locale;
}

// Translations are looked up once per id (ids are string literals: their address is stable).
std::string translate(const char* msgid) {
  static std::unordered_map<const char*, std::string> cache;
  auto it = cache.find(msgid);
  if (it == cache.end())
    it = cache.emplace(msgid, boost::locale::translate(msgid).str(catalogue_locale())).first;
  return it->second;
}

// "zh-CN" (BCP 47, what people type) -> "zh_CN" (the catalogue folder, POSIX style).
std::string posix_name(const std::string& lang) {
  std::string out = lang;
  for (char& c : out)
    if (c == '-') c = '_';
  return out;
}

}  // namespace

const std::vector<std::string>& languages() {
  static const std::vector<std::string> kLanguages{"en", "zh-CN"};
  return kLanguages;
}

CLI::Option* add_lang_option(CLI::App& cmd, std::string& lang) {
  return cmd.add_option("--lang", lang, "Language of the text output: en (default) or zh-CN (Simplified Chinese)")
      ->check(CLI::IsMember({"en", "zh-CN", "zh_CN"}));
}

bool use_language(const std::string& lang, std::string* error) {
  if (lang.empty() || lang == "en") {
    text::set_translator(nullptr);
    return true;
  }
  const std::string name = posix_name(lang);
  const fs::path locale_dir = data_dir() / "locale";
  const fs::path catalogue = locale_dir / name / "LC_MESSAGES" / (std::string(kDomain) + ".mo");
  std::error_code ec;
  if (!fs::is_regular_file(catalogue, ec)) {
    *error = "no message catalogue for --lang " + lang + " (" + catalogue.string() +
             " is missing; the build compiles it from i18n/" + name + "/LC_MESSAGES/meshtwin.po)";
    return false;
  }
  boost::locale::generator gen;
  gen.add_messages_path(locale_dir.string());
  gen.add_messages_domain(kDomain);
  catalogue_locale() = gen(name + ".UTF-8");
  text::set_translator(&translate);
  return true;
}

}  // namespace meshtwin::cli
