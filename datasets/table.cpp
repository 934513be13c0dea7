#include "datasets/table.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "core/registries.h"

namespace graft {

void TableOptions::declare(OptionSet<TableOptions>& o) {
  using O = TableOptions;
  o.add("path", &O::path, "the .csv or .tsv file (a header row, then one example per row)").path(PathKind::file);
  o.add("features", &O::features, "feature columns (empty: every column that is not a target)");
  o.add("targets", &O::targets, "target columns; `label` is the classification target, several: multi-task");
  o.add("delimiter", &O::delimiter, "auto: tab for .tsv, else comma").choices({"auto", "comma", "tab", "semicolon"});
  o.add("val", &O::val, "the val split's file, same columns (else holdout_fraction)").path(PathKind::file);
  o.add("test", &O::test, "the test split's file, same columns (else test_fraction)").path(PathKind::file);
  o.add("holdout_fraction", &O::holdout_fraction, "of the rows, held out as the val split, by split_seed alone")
      .min(0.0)
      .max(0.9);
  o.add("test_fraction", &O::test_fraction, "without `test:`, also held out, as the test split").min(0.0).max(0.9);
  o.add("split_seed", &O::split_seed, "the permutation behind both fractions").min(0);
  o.add("standardize", &O::standardize, "scale each feature by the training split's mean and std");
}

TextTable read_text_table(const std::string& path, char delimiter) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open", path));
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  TextTable table;
  std::vector<std::string> row;
  std::string cell;
  std::int64_t line = 1, row_line = 1;
  bool quoted = false, any = false;
  auto end_row = [&] {
    row.push_back(std::move(cell));
    cell.clear();
    const bool blank = row.size() == 1 && row[0].empty();
    if (!blank) {
      if (table.header.empty()) {
        table.header = std::move(row);
      } else {
        if (row.size() != table.header.size())
          throw Error(fmt::format("{}:{}: {} cells, the header has {} ({})", path, row_line, row.size(),
                                  table.header.size(), fmt::join(table.header, ", ")));
        table.rows.push_back(std::move(row));
        table.lines.push_back(row_line);
      }
    }
    row.clear();
    any = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') cell += '"', ++i;
      else if (c == '"') quoted = false;
      else {
        if (c == '\n') ++line;
        cell += c;
      }
      continue;
    }
    if (!any) row_line = line;
    any = true;
    if (c == '"') quoted = true;
    else if (c == delimiter) row.push_back(std::move(cell)), cell.clear();
    else if (c == '\n') end_row(), ++line;
    else if (c != '\r') cell += c;
  }
  if (quoted) throw Error(fmt::format("{}:{}: a quoted cell is never closed", path, row_line));
  if (any) end_row();
  if (table.header.empty()) throw Error(fmt::format("{}: empty (a header row, then one example per row)", path));
  return table;
}

namespace {

std::optional<double> number_of(const std::string& text) {
  std::size_t a = 0, b = text.size();
  while (a < b && std::isspace(static_cast<unsigned char>(text[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(text[b - 1]))) --b;
  double value = 0;
  const auto [end, error] = std::from_chars(text.data() + a, text.data() + b, value);
  if (a == b || error != std::errc() || end != text.data() + b) return std::nullopt;
  return value;
}

std::size_t column_of(const TextTable& table, const std::string& name, const std::string& path) {
  const auto it = std::find(table.header.begin(), table.header.end(), name);
  if (it == table.header.end())
    throw Error(fmt::format("{}: no column '{}'; {}", path, name, choices_hint(name, table.header)));
  return static_cast<std::size_t>(it - table.header.begin());
}

/// How a target column is read, decided from the training file.
struct TargetKind {
  bool words = false, whole = true;
  std::vector<std::string> names;  ///< sorted, for word-valued targets
};

TargetKind kind_of(const TextTable& table, std::size_t column) {
  TargetKind kind;
  std::set<std::string> words;
  for (const auto& row : table.rows) {
    const auto value = number_of(row[column]);
    if (!value) kind.words = true, words.insert(row[column]);
    else kind.whole = kind.whole && *value == std::floor(*value) && *value >= 0;
  }
  if (kind.words) {
    kind.names.assign(words.begin(), words.end());
    // A column of words and numbers: every value is a name.
    for (const auto& row : table.rows) words.insert(row[column]);
    kind.names.assign(words.begin(), words.end());
  }
  return kind;
}

Split split_of(const TextTable& table, const std::string& path, const std::vector<std::size_t>& features,
               const std::vector<std::string>& target_names, const std::vector<std::size_t>& targets,
               const std::vector<TargetKind>& kinds) {
  const auto n = static_cast<std::int64_t>(table.rows.size());
  if (n == 0) throw Error(fmt::format("{}: a header but no rows", path));
  auto inputs = torch::empty({n, static_cast<std::int64_t>(features.size())}, torch::kFloat32);
  auto* x = inputs.data_ptr<float>();
  for (std::int64_t r = 0; r < n; ++r)
    for (std::size_t f = 0; f < features.size(); ++f) {
      const auto& text = table.rows[static_cast<std::size_t>(r)][features[f]];
      const auto value = number_of(text);
      if (!value)
        throw Error(fmt::format("{}:{}: column '{}' is '{}', not a number (features must be numbers)", path,
                                table.lines[static_cast<std::size_t>(r)], table.header[features[f]], text));
      x[r * static_cast<std::int64_t>(features.size()) + static_cast<std::int64_t>(f)] = static_cast<float>(*value);
    }
  Split split;
  split.inputs = inputs;
  for (std::size_t t = 0; t < targets.size(); ++t) {
    const auto& kind = kinds[t];
    std::vector<double> values;
    for (std::int64_t r = 0; r < n; ++r) {
      const auto& text = table.rows[static_cast<std::size_t>(r)][targets[t]];
      const auto line = table.lines[static_cast<std::size_t>(r)];
      if (kind.words) {
        const auto it = std::lower_bound(kind.names.begin(), kind.names.end(), text);
        if (it == kind.names.end() || *it != text)
          throw Error(fmt::format("{}:{}: '{}' is '{}', a class the training file does not have; {}", path, line,
                                  target_names[t], text, choices_hint(text, kind.names)));
        values.push_back(static_cast<double>(it - kind.names.begin()));
        continue;
      }
      const auto value = number_of(text);
      if (!value || (kind.whole && (*value != std::floor(*value) || *value < 0)))
        throw Error(fmt::format("{}:{}: '{}' is '{}', not {}", path, line, target_names[t], text,
                                kind.whole ? "a class index (a whole number >= 0, as in the training file)"
                                           : "a number"));
      values.push_back(*value);
    }
    auto column = torch::tensor(values, torch::kFloat64);
    split.targets[target_names[t]] = kind.words || kind.whole ? column.to(torch::kInt64) : column.to(torch::kFloat32);
  }
  return split;
}


}  // namespace

Table::Table(Options o, const DataContext& ctx) {
  const std::string where = "data." + ctx.domain;
  GRAFT_CHECK(!o.path.empty(), where, "table needs `path:` (a .csv or .tsv file)");
  GRAFT_CHECK(!o.targets.empty(), where, "table needs at least one column in `targets:`");
  if (!o.test.empty() && o.test_fraction > 0) throw ConfigError(where + ": give `test:` or `test_fraction:`, not both");
  if (!o.val.empty() && o.holdout_fraction > 0)
    throw ConfigError(where + ": give `val:` or `holdout_fraction:`, not both");
  const char delimiter = o.delimiter == "tab"         ? '\t'
                         : o.delimiter == "semicolon" ? ';'
                         : o.delimiter == "comma"     ? ','
                         : std::filesystem::path(o.path).extension() == ".tsv" ? '\t'
                                                                                 : ',';
  const TextTable train = read_text_table(o.path, delimiter);
  std::vector<std::size_t> targets, features;
  for (const auto& name : o.targets) targets.push_back(column_of(train, name, o.path));
  if (o.features.empty()) {
    for (std::size_t c = 0; c < train.header.size(); ++c)
      if (std::find(targets.begin(), targets.end(), c) == targets.end()) features.push_back(c);
  } else {
    for (const auto& name : o.features) features.push_back(column_of(train, name, o.path));
  }
  GRAFT_CHECK(!features.empty(), o.path, "no feature columns are left besides the targets");
  std::vector<TargetKind> kinds;
  for (auto column : targets) kinds.push_back(kind_of(train, column));
  const Split all = split_of(train, o.path, features, o.targets, targets, kinds);
  HeldOutRows rows;
  try {
    rows = hold_out_rows(all.size(), o.holdout_fraction, o.test_fraction, static_cast<std::uint64_t>(o.split_seed));
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", o.path, e.what()));
  }
  splits["train"] = all.select(rows.train);
  if (rows.val.size(0) > 0) splits["val"] = all.select(rows.val);
  if (rows.test.size(0) > 0) splits["test"] = all.select(rows.test);
  // Other files are read by the training file's column names.
  auto other = [&](const std::string& path, const char* split_name) {
    const TextTable table = read_text_table(path, delimiter);
    std::vector<std::size_t> f, t;
    for (auto c : features) f.push_back(column_of(table, train.header[c], path));
    for (const auto& name : o.targets) t.push_back(column_of(table, name, path));
    splits[split_name] = split_of(table, path, f, o.targets, t, kinds);
  };
  if (!o.val.empty()) other(o.val, "val");
  if (!o.test.empty()) other(o.test, "test");
  name = "table:" + o.path;
  input_shape = {static_cast<std::int64_t>(features.size())};
  const auto label = std::find(o.targets.begin(), o.targets.end(), "label");
  if (label != o.targets.end()) {
    const auto& kind = kinds[static_cast<std::size_t>(label - o.targets.begin())];
    GRAFT_CHECK(kind.words || kind.whole, o.path, "`label` holds numbers that are not class indices; name a "
                                                  "regression column something else");
    if (kind.words) class_names = kind.names;
    for (const auto& [split_name, split] : splits)
      num_classes = std::max(num_classes, split.targets.at("label").max().item<std::int64_t>() + 1);
    num_classes = std::max<std::int64_t>(num_classes, static_cast<std::int64_t>(class_names.size()));
  }
  if (o.standardize) {
    const auto& x = splits.at("train").inputs;
    const auto m = x.mean(0), s = x.std(0, /*unbiased=*/false).clamp_min(1e-12);
    mean.assign(m.data_ptr<float>(), m.data_ptr<float>() + m.size(0));
    std.assign(s.data_ptr<float>(), s.data_ptr<float>() + s.size(0));
  }
}

GRAFT_REGISTER_DATASET(Table, "table",
                       "your own table: CSV or TSV with a header, named feature and target columns (several targets: "
                       "multi-task), held-out splits seeded apart from the run");

}  // namespace graft
