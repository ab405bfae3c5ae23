// The request explorer: a filterable table of `requests` (status, flag, service, version,
// latency range, retried), with the selected request's spans drawn as a waterfall below.
#pragma once

#include <QWidget>
#include <cstdint>
#include <optional>

#include "gui/data_source.h"
#include "gui/queries.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QTableView;

namespace meshtwin::gui {

class RequestTableModel;
class WaterfallView;

class ExplorerPage : public QWidget {
  Q_OBJECT
 public:
  explicit ExplorerPage(QWidget* parent = nullptr);

  void set_run(RunSelection run);
  // Sets the filter boxes and runs the query.
  void set_filter(const RequestFilter& filter);
  RequestFilter filter_from_inputs(QString* problem) const;

  RequestTableModel* model() const { return model_; }
  QTableView* table() const { return table_; }
  WaterfallView* waterfall() const { return waterfall_; }
  // Selects a loaded row (which loads its waterfall).
  void select_row(int row);
  std::optional<std::uint64_t> shown_request() const { return shown_; }

 signals:
  void detail_loaded();

 private:
  void apply();
  void show_request(std::uint64_t request_id);
  void update_count();

  RunSelection run_;
  int detail_generation_ = 0;
  std::optional<std::uint64_t> shown_;
  RequestTableModel* model_ = nullptr;
  QTableView* table_ = nullptr;
  WaterfallView* waterfall_ = nullptr;
  QLineEdit* code_ = nullptr;
  QCheckBox* errors_ = nullptr;
  QComboBox* flag_ = nullptr;
  QComboBox* service_ = nullptr;
  QComboBox* version_ = nullptr;
  QLineEdit* min_ms_ = nullptr;
  QLineEdit* max_ms_ = nullptr;
  QSpinBox* min_tries_ = nullptr;
  QCheckBox* degraded_ = nullptr;
  QCheckBox* with_spans_ = nullptr;
  QLabel* count_ = nullptr;
};

}  // namespace meshtwin::gui
