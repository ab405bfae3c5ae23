// The request explorer's table: `requests` rows matching a filter, fetched a page at a time
// on a worker thread as the user scrolls (keyset paging on request_id), so even 100M rows
// cost one page per scroll, never a full load.
#pragma once

#include <QAbstractTableModel>
#include <cstdint>
#include <optional>
#include <vector>

#include "gui/data_source.h"
#include "gui/queries.h"

namespace meshtwin::gui {

class RequestTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column {
    Id,
    Start,
    Duration,
    Code,
    Flags,
    Attempts,
    Service,
    Version,
    Workload,
    Client,
    Path,
    VsRule,
    Degraded,
    ColumnCount
  };
  static constexpr int kPageSize = 500;

  explicit RequestTableModel(QObject* parent = nullptr);

  // Starts over: clears the rows, counts the matches and fetches the first page.
  void set_query(RunSelection run, RequestFilter filter);
  const RequestFilter& filter() const { return filter_; }
  const results::RequestRow* row_at(int row) const;
  // Matches of the filter, once counted.
  std::optional<std::uint64_t> total() const { return total_; }
  bool loading() const { return loading_; }
  bool exhausted() const { return exhausted_; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
  bool canFetchMore(const QModelIndex& parent) const override;
  void fetchMore(const QModelIndex& parent) override;

 signals:
  void total_changed();
  void page_loaded();
  void failed(const QString& message);

 private:
  RunSelection run_;
  RequestFilter filter_;
  std::vector<results::RequestRow> rows_;
  std::optional<std::uint64_t> total_;
  bool loading_ = false;
  bool exhausted_ = true;
  int generation_ = 0;
};

}  // namespace meshtwin::gui
