// The overview of a run (and of the compared run): its inputs (scenario, seed, duration) and,
// per destination service and version, requests, success rate, p50/p90/p99, top codes and
// flags. Reads `summaries` and `metrics` only, so it shows at once on any file size.
#pragma once

#include <QWidget>
#include <optional>

#include "gui/data_source.h"
#include "gui/queries.h"

class QLabel;
class QListWidget;
class QPlainTextEdit;
class QTableWidget;

namespace meshtwin::gui {

class OverviewPage : public QWidget {
  Q_OBJECT
 public:
  explicit OverviewPage(QWidget* parent = nullptr);

  void set_runs(RunSelection a, RunSelection b);
  const std::optional<Overview>& overview(bool compared) const {
    return compared ? b_data_ : a_data_;
  }
  QTableWidget* client_table() const { return client_table_; }
  QTableWidget* hop_table() const { return hop_table_; }

 signals:
  void loaded();

 private:
  void rebuild();

  RunSelection a_, b_;
  int generation_ = 0;
  std::optional<Overview> a_data_, b_data_;
  QString error_;
  QLabel* header_ = nullptr;
  QTableWidget* client_table_ = nullptr;
  QTableWidget* hop_table_ = nullptr;
  QListWidget* inputs_ = nullptr;
  QPlainTextEdit* input_text_ = nullptr;
};

}  // namespace meshtwin::gui
