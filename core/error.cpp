#include "core/error.h"

#include <algorithm>
#include <cctype>

namespace graft {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string library_message(const std::exception& e) {
  std::string text = e.what();
  const auto backtrace = text.find("\nException raised from");
  if (backtrace != std::string::npos) text.erase(backtrace);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.erase(text.begin());
  return text;
}

std::string nearest_match(const std::string& wrong, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const auto& candidate : candidates) {
    const std::size_t d = edit_distance(wrong, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  // A suggestion that needs to rewrite most of the word is noise, not help.
  const std::size_t budget = std::max<std::size_t>(2, wrong.size() / 3);
  if (best_distance > budget) return "";
  return best;
}

std::string choices_hint(const std::string& wrong, const std::vector<std::string>& candidates) {
  std::string hint = "valid choices: ";
  for (std::size_t i = 0; i < candidates.size(); ++i) hint += (i ? ", " : "") + candidates[i];
  if (candidates.empty()) hint += "(none)";
  const std::string near = nearest_match(wrong, candidates);
  if (!near.empty()) hint += fmt::format(". Did you mean '{}'?", near);
  return hint;
}

}  // namespace graft
