#pragma once
// A progress bar for long work. On a terminal it redraws one line in place
// (at most ten times a second); in a log file or CI it prints a plain line at
// every tenth of the work, so logs stay readable.

#include <chrono>
#include <cstdint>
#include <string>

namespace graft {

class ProgressBar {
 public:
  ProgressBar(std::string label, std::int64_t total, bool enabled = true);
  /// `done` units of `total` finished; `status` is shown after the bar.
  void update(std::int64_t done, const std::string& status = "");
  /// Ends the line with a final status.
  void finish(const std::string& status = "");

 private:
  void draw(std::int64_t done, const std::string& status, bool final_line);
  std::string label_;
  std::int64_t total_;
  bool enabled_;
  bool terminal_;
  std::int64_t start_done_ = -1;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

/// "1h02m", "3m05s", "12.3s".
std::string format_duration(double seconds);

}  // namespace graft
