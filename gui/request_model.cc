#include "gui/request_model.h"

#include <QBrush>

#include "gui/async.h"
#include "gui/palette.h"

namespace meshtwin::gui {

RequestTableModel::RequestTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void RequestTableModel::set_query(RunSelection run, RequestFilter filter) {
  beginResetModel();
  run_ = std::move(run);
  filter_ = std::move(filter);
  rows_.clear();
  total_.reset();
  loading_ = false;
  exhausted_ = !run_;
  int generation = ++generation_;
  endResetModel();
  emit total_changed();
  if (!run_) return;
  RunSelection sel = run_;
  RequestFilter f = filter_;
  using Result = std::pair<std::optional<std::uint64_t>, std::string>;
  run_async(
      this,
      [sel, f]() -> Result {
        std::string error;
        auto n = sel.source->with_reader(
            [&](const results::Reader& r) { return count_requests(r, sel.run_id, f, &error); },
            &error);
        return {n ? *n : std::nullopt, error};
      },
      [this, generation](Result result) {
        if (generation != generation_) return;
        total_ = result.first;
        if (!total_) emit failed(QString::fromStdString(result.second));
        emit total_changed();
      });
  fetchMore({});
}

const results::RequestRow* RequestTableModel::row_at(int row) const {
  if (row < 0 || static_cast<std::size_t>(row) >= rows_.size()) return nullptr;
  return &rows_[static_cast<std::size_t>(row)];
}

int RequestTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}
int RequestTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

bool RequestTableModel::canFetchMore(const QModelIndex& parent) const {
  return !parent.isValid() && !exhausted_ && !loading_;
}

void RequestTableModel::fetchMore(const QModelIndex& parent) {
  if (parent.isValid() || exhausted_ || loading_ || !run_) return;
  loading_ = true;
  std::optional<std::uint64_t> after;
  if (!rows_.empty()) after = rows_.back().request_id;
  RunSelection sel = run_;
  RequestFilter f = filter_;
  int generation = generation_;
  using Result = std::pair<std::optional<std::vector<results::RequestRow>>, std::string>;
  run_async(
      this,
      [sel, f, after]() -> Result {
        std::string error;
        auto page = sel.source->with_reader(
            [&](const results::Reader& r) {
              return load_requests_page(r, sel.run_id, f, after, kPageSize, &error);
            },
            &error);
        return {page ? *page : std::nullopt, error};
      },
      [this, generation](Result result) {
        if (generation != generation_) return;
        loading_ = false;
        if (!result.first) {
          exhausted_ = true;
          emit failed(QString::fromStdString(result.second));
          return;
        }
        auto& page = *result.first;
        if (page.size() < static_cast<std::size_t>(kPageSize)) exhausted_ = true;
        if (!page.empty()) {
          int first = static_cast<int>(rows_.size());
          beginInsertRows({}, first, first + static_cast<int>(page.size()) - 1);
          rows_.insert(rows_.end(), std::make_move_iterator(page.begin()),
                       std::make_move_iterator(page.end()));
          endInsertRows();
        }
        emit page_loaded();
      });
}

QVariant RequestTableModel::data(const QModelIndex& index, int role) const {
  const results::RequestRow* r = row_at(index.row());
  if (!r) return {};
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case Id:
        return QVariant::fromValue<qulonglong>(r->request_id);
      case Start:
        return QString::number(static_cast<double>(r->start) / 1e9, 'f', 3);
      case Duration:
        return format_duration(static_cast<double>(r->duration));
      case Code:
        return r->response_code;
      case Flags:
        return QString::fromStdString(r->response_flags);
      case Attempts:
        return r->attempts;
      case Service:
        return QString::fromStdString(short_service(r->destination_service));
      case Version:
        return QString::fromStdString(r->destination_version);
      case Workload:
        return QString::fromStdString(r->destination_workload);
      case Client:
        return QString::fromStdString(r->client);
      case Path:
        return QString::fromStdString(r->method + " " + r->authority + r->path);
      case VsRule:
        return QString::fromStdString(r->vs_rule);
      case Degraded:
        return r->degraded_calls;
      default:
        return {};
    }
  }
  if (role == Qt::ForegroundRole && index.column() == Code) {
    return QBrush(outcome_color(r->response_code).darker(130));
  }
  if (role == Qt::TextAlignmentRole) {
    switch (index.column()) {
      case Id:
      case Start:
      case Duration:
      case Code:
      case Attempts:
      case Degraded:
        return int(Qt::AlignRight | Qt::AlignVCenter);
      default:
        return {};
    }
  }
  return {};
}

QVariant RequestTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  static const char* kNames[] = {"id",      "start (s)", "duration", "code",     "flags",
                                 "tries",   "service",   "version",  "workload", "client",
                                 "request", "VS rule",   "degraded"};
  return section >= 0 && section < ColumnCount ? QString(kNames[section]) : QVariant();
}

}  // namespace meshtwin::gui
