#include "gui/data_source.h"

#include <filesystem>

namespace meshtwin::gui {

std::shared_ptr<DataSource> DataSource::open(const std::string& path, std::string* error) {
  auto reader = results::Reader::open(path, error);
  if (!reader) return nullptr;
  std::shared_ptr<DataSource> source(new DataSource());
  source->path_ = path;
  source->runs_ = reader->runs();
  if (source->runs_.empty()) {
    if (error) *error = path + " holds no runs";
    return nullptr;
  }
  source->idle_.push_back(std::move(reader));
  return source;
}

const results::RunRow* DataSource::run(std::int64_t run_id) const {
  for (const auto& r : runs_) {
    if (r.run_id == run_id) return &r;
  }
  return nullptr;
}

std::unique_ptr<results::Reader> DataSource::acquire(std::string* error) {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto reader = std::move(idle_.back());
      idle_.pop_back();
      return reader;
    }
  }
  return results::Reader::open(path_, error);
}

void DataSource::release(std::unique_ptr<results::Reader> reader) {
  std::lock_guard lock(mutex_);
  // More idle connections than worker threads would only hold file handles.
  if (idle_.size() < 4) idle_.push_back(std::move(reader));
}

std::string RunSelection::label() const {
  if (!source) return "-";
  return std::filesystem::path(source->path()).filename().string() + ":" + std::to_string(run_id);
}

}  // namespace meshtwin::gui
