// The overview of a run (and of the compared run): its inputs (scenario, seed, duration), its
// events by kind (explained on hover) and, per destination service and version, requests,
// share of the service, both success readings (successRate 2xx-3xx and non5xxRate),
// p50/p90/p99, top codes and flags; when comparing, run B's rows carry deltas (B - A).
// Reads `summaries` and `metrics` first, so it shows at once on any file size; the client
// rows' codes follow from one scan of `requests`.
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
  enum class Column {
    Run,
    Service,
    Version,
    Requests,
    Share,
    Success,
    Non5xx,
    P50,
    P90,
    P99,
    Codes,
    Flags,
    Count
  };
  // A compared row's cells hold B - A here (requests, percentage points, ns).
  static constexpr int kDeltaRole = Qt::UserRole + 1;

  explicit OverviewPage(QWidget* parent = nullptr);

  void set_runs(RunSelection a, RunSelection b);
  const std::optional<Overview>& overview(bool compared) const {
    return compared ? b_data_ : a_data_;
  }
  QTableWidget* client_table() const { return client_table_; }
  QTableWidget* hop_table() const { return hop_table_; }
  QLabel* events_label() const { return events_; }

 signals:
  void loaded();

 private:
  void rebuild();
  void load_client_outcomes_later(int generation);
  void fill(QTableWidget* table, const std::vector<OverviewRow>& a,
            const std::vector<OverviewRow>* b);

  RunSelection a_, b_;
  int generation_ = 0;
  std::optional<Overview> a_data_, b_data_;
  QString error_;
  QLabel* header_ = nullptr;
  QLabel* events_ = nullptr;
  QTableWidget* client_table_ = nullptr;
  QTableWidget* hop_table_ = nullptr;
  QListWidget* inputs_ = nullptr;
  QPlainTextEdit* input_text_ = nullptr;
};

}  // namespace meshtwin::gui
