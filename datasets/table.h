#pragma once
// A data set of the user's own table: CSV or TSV with a header row, named
// feature columns and one or more target columns (several targets:
// multi-task). Held in memory.
//
//   data:
//     source: {name: table, path: patients.csv, features: [age, weight, dose],
//              targets: [label, days], holdout_fraction: 0.2}
//
// A target whose values are all whole numbers is a class index (int64); one
// with other numbers is a regression target (float32); one with words is a
// class name, numbered in sorted order (the names of `label` go into the run
// record). Features must be numbers.

#include <cstdint>
#include <string>
#include <vector>

#include "core/data.h"
#include "core/options.h"

namespace graft {

struct TableOptions {
  std::string path;                           ///< the .csv or .tsv file
  std::vector<std::string> features;          ///< feature columns (empty: every column that is not a target)
  std::vector<std::string> targets{"label"};  ///< target columns
  std::string delimiter = "auto";             ///< auto (tab for .tsv, else comma), comma, tab, semicolon
  std::string val;                            ///< optional: the val split's file, same columns
  std::string test;                           ///< optional: the test split's file, same columns
  double holdout_fraction = 0.0;
  double test_fraction = 0.0;
  std::int64_t split_seed = 0;
  bool standardize = true;  ///< scale each feature by the training split's mean and std
  static void declare(OptionSet<TableOptions>& o);
};

/// The cells of a delimited text file: header, then rows (RFC 4180 quoting).
/// An error names the file and line of a row with the wrong number of cells.
struct TextTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::int64_t> lines;  ///< the line each row starts on
};
TextTable read_text_table(const std::string& path, char delimiter);

struct Table : DataSet {
  using Options = TableOptions;
  Table(Options options, const DataContext& ctx);
};

}  // namespace graft
