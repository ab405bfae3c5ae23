// Message translation for the text meshtwin prints to people (`explain`, `trace`, `--log`).
// The model marks each English sentence template as a message id and asks tr() for the
// wording in the chosen language; the CLI installs the catalogue lookup (Boost.Locale's
// gettext catalogues, cli/i18n.h), so model/ stays free of any i18n library. Without a
// translator (the default, English) tr() returns the id itself: English needs no catalogue.
//
// Templates are fmt format strings with named fields ("attempt {attempt} to {pod}"), so a
// translation may put the fields in another order. Ids are found in the sources by xgettext
// (keywords tr, trf, N_ and the templates of model/telemetry/decision_log_events.inc;
// tests/i18n/catalogue_test.sh), so always pass tr() a string literal or
// an N_()-marked one.
#pragma once

#include <string>

namespace meshtwin::text {

// Marks a literal as a message id without translating it (tables translated later by tr()).
#define N_(literal) literal

// The translation of `msgid` in the current language, or `msgid` when there is none.
std::string tr(const char* msgid);

// What tr() asks; nullptr restores English. Not thread-safe: set once, before any output.
using Translator = std::string (*)(const char* msgid);
void set_translator(Translator translator);

// Whether a translator other than English is installed.
bool translating();

}  // namespace meshtwin::text
