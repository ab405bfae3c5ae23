// Private to model/config (includes yaml-cpp through yaml_reader.h): parses the documents of
// one file ahead of the loader on helper threads.
//
// Why: yaml-cpp's parse is ~80 % of `meshtwin lint` on a large mesh (its scanner matches
// every character against a tree of regexes) and cannot be made cheaper from outside, but the
// documents of a stream are parsed independently (split_documents cuts them like kubectl), so
// they can be parsed in parallel while the loader applies them strictly in file order. Every
// diagnostic and every store change happens on the caller's thread in the same order as a
// one-document-at-a-time loop, so the output is identical whatever the number of threads.
// Only commands that end after loading use it (LoadOptions::parse_threads says why).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "model/config/yaml_reader.h"

namespace meshtwin::config::yaml {

// Helper threads worth starting for `docs` of `text_bytes` in total: none for small inputs
// (scenarios, tests, fuzzing: a thread costs more than it saves), else one per idle core
// beside the caller's (hardware threads minus the load average), at most 3. `requested` > 0
// overrides (LoadOptions::parse_threads - 1).
unsigned parse_helpers_for(std::size_t docs, std::size_t text_bytes, unsigned requested);
// The same with the machine's figures given (the one above reads them).
unsigned parse_helpers_for(std::size_t docs, std::size_t text_bytes, unsigned requested, unsigned hardware_threads,
                           double load_average);

class ParseAhead {
 public:
  // Starts `helpers` threads (fewer if the system refuses to create them; then the caller's
  // thread parses alone). At most `window` documents are parsed and not yet taken, which
  // bounds the memory held in parsed trees. `docs` must outlive this object.
  ParseAhead(const std::vector<RawDocument>& docs, const std::string& file, unsigned helpers,
             std::size_t window = 64);
  ~ParseAhead();
  ParseAhead(const ParseAhead&) = delete;
  ParseAhead& operator=(const ParseAhead&) = delete;

  std::size_t size() const { return slots_.size(); }
  unsigned helpers() const { return static_cast<unsigned>(threads_.size()); }

  // Document `i`'s tree, or nullopt after adding its syntax error to `diags` (parse_document's
  // diagnostic). Documents must be taken in order 0, 1, 2, ... each once. While the document
  // is not ready, the calling thread parses the next unclaimed ones instead of waiting.
  std::optional<YAML::Node> take(std::size_t i, Diagnostics& diags);
  // Hands back the tree take() returned, once the caller holds no other handle to it, so that
  // the thread that allocated it frees it; resets `node`.
  void give_back(std::optional<YAML::Node>& node);

 private:
  struct Slot {
    bool ready = false;
    std::optional<YAML::Node> node;
    Diagnostics diags;  // the syntax error, if any
    bool by_helper = false;
  };
  // Claims and parses the next document if the window allows; false when there is none to
  // claim. Called and returns with `lock` held; parses with it released.
  bool parse_next(std::unique_lock<std::mutex>& lock, bool helper);
  void helper_loop();

  const std::vector<RawDocument>& docs_;  // the caller's, which outlive this object
  const std::string file_;
  const std::size_t window_;
  std::vector<Slot> slots_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t next_ = 0;   // first document nobody has claimed
  std::size_t taken_ = 0;  // documents handed to the caller
  bool stop_ = false;
  std::vector<YAML::Node> retired_;  // trees helpers built, to be freed by a helper
  bool last_by_helper_ = false;      // whether the tree take() last returned came from a helper
  std::vector<std::thread> threads_;
};

}  // namespace meshtwin::config::yaml
