#pragma once

// `--lang` of the commands that print text for people (explain, trace, run --log): installs
// the message catalogue of the language into model/text's tr() through Boost.Locale, whose
// gettext-style catalogues need no system locale generated (docs/install.md). English is the
// default and has no catalogue. Catalogues live in DATA/locale/<ll_CC>/LC_MESSAGES/meshtwin.mo
// (cli/data_dir.h), compiled at build time from i18n/<ll_CC>/LC_MESSAGES/meshtwin.po.

#include <string>
#include <vector>

namespace CLI {
class Option;
class App;
}  // namespace CLI

namespace meshtwin::cli {

// The languages --lang accepts, as written on the command line ("en", "zh-CN").
const std::vector<std::string>& languages();

// Adds `--lang LANG` to `cmd`, one help text wherever it appears.
CLI::Option* add_lang_option(CLI::App& cmd, std::string& lang);

// Switches tr() to `lang` ("en" or empty: English). false and a sentence in *error when the
// language is unknown or its catalogue is missing from the data folder.
bool use_language(const std::string& lang, std::string* error);

}  // namespace meshtwin::cli
