#include "gui/async.h"

namespace meshtwin::gui {

int& pending_queries_counter() {
  static int counter = 0;
  return counter;
}

}  // namespace meshtwin::gui
