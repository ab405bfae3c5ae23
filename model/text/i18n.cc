#include "model/text/i18n.h"

namespace meshtwin::text {
namespace {
Translator g_translator = nullptr;
}  // namespace

std::string tr(const char* msgid) { return g_translator ? g_translator(msgid) : std::string(msgid); }

void set_translator(Translator translator) { g_translator = translator; }

bool translating() { return g_translator != nullptr; }

}  // namespace meshtwin::text
