#include "core/run_record.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <hdf5.h>

#include "core/config.h"
#include "core/error.h"

namespace graft {

void ScalarTable::append(std::int64_t step, const std::map<std::string, double>& values) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& [name, value] : values)
    if (!columns.count(name)) columns[name] = std::vector<double>(steps.size(), nan);
  steps.push_back(step);
  for (auto& [name, column] : columns) {
    auto it = values.find(name);
    column.push_back(it == values.end() ? nan : it->second);
  }
}

void ScalarTable::truncate_from(std::int64_t step) {
  std::size_t keep = 0;
  while (keep < steps.size() && steps[keep] < step) ++keep;
  steps.resize(keep);
  for (auto& [name, column] : columns) column.resize(keep);
}

std::map<std::string, double> ScalarTable::last() const {
  std::map<std::string, double> out;
  if (steps.empty()) return out;
  for (const auto& [name, column] : columns)
    if (!std::isnan(column.back())) out[name] = column.back();
  return out;
}

namespace {

/// Owns an HDF5 identifier and closes it with the right function.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t), const std::string& what) : id_(id), close_(close) {
    if (id_ < 0) throw Error(what);
  }
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = -1; }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle& operator=(Handle&&) = delete;
  operator hid_t() const { return id_; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

Handle string_type() {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose, "HDF5: cannot create a string type");
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  return type;
}

void check(herr_t status, const std::string& what) {
  if (status < 0) throw Error("HDF5: " + what);
}

void write_attribute(hid_t object, const char* name, const std::string& value) {
  Handle type = string_type();
  Handle space(H5Screate(H5S_SCALAR), H5Sclose, "HDF5: dataspace");
  Handle attr(H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              fmt::format("HDF5: cannot create attribute '{}'", name));
  const char* text = value.c_str();
  check(H5Awrite(attr, type, &text), fmt::format("cannot write attribute '{}'", name));
}

template <class T>
void write_attribute(hid_t object, const char* name, T value) {
  const hid_t type = std::is_integral_v<T> ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
  Handle space(H5Screate(H5S_SCALAR), H5Sclose, "HDF5: dataspace");
  Handle attr(H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
              fmt::format("HDF5: cannot create attribute '{}'", name));
  check(H5Awrite(attr, type, &value), fmt::format("cannot write attribute '{}'", name));
}

template <class T>
void write_vector(hid_t group, const std::string& name, const std::vector<T>& values) {
  const hid_t type = std::is_integral_v<T> ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
  const hsize_t dims[1] = {values.size()};
  Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose, "HDF5: dataspace");
  Handle set(H5Dcreate2(group, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose,
             fmt::format("HDF5: cannot create dataset '{}'", name));
  if (!values.empty()) check(H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "write " + name);
}

void write_table(hid_t file, const char* name, const ScalarTable& table) {
  Handle group(H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
               fmt::format("HDF5: cannot create group '{}'", name));
  write_vector(group, "step", table.steps);
  for (const auto& [column, values] : table.columns) write_vector(group, column, values);
}

void write_strings(hid_t group, const std::string& name, const std::vector<std::string>& values) {
  Handle type = string_type();
  const hsize_t dims[1] = {values.size()};
  Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose, "HDF5: dataspace");
  Handle set(H5Dcreate2(group, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose,
             "HDF5: cannot create " + name);
  std::vector<const char*> pointers;
  for (const auto& v : values) pointers.push_back(v.c_str());
  if (!values.empty()) check(H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), "write " + name);
}

std::vector<std::string> read_strings(hid_t group, const std::string& name, const std::string& file) {
  Handle type = string_type();
  Handle set(H5Dopen2(group, name.c_str(), H5P_DEFAULT), H5Dclose, fmt::format("{}: cannot open {}", file, name));
  Handle space(H5Dget_space(set), H5Sclose, "HDF5: dataspace");
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<char*> pointers(static_cast<std::size_t>(std::max<hssize_t>(n, 0)), nullptr);
  if (n > 0) check(H5Dread(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), fmt::format("{}: read {}", file, name));
  std::vector<std::string> out;
  for (char* p : pointers) {
    out.emplace_back(p ? p : "");
    H5free_memory(p);
  }
  return out;
}

bool has_attribute(hid_t object, const char* name) { return H5Aexists(object, name) > 0; }

std::string read_string_attribute(hid_t object, const char* name, const std::string& file) {
  if (!has_attribute(object, name)) return "";
  Handle attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose, fmt::format("{}: cannot open attribute '{}'", file, name));
  Handle type = string_type();
  char* text = nullptr;
  check(H5Aread(attr, type, &text), fmt::format("{}: cannot read attribute '{}'", file, name));
  std::string value = text ? text : "";
  H5free_memory(text);
  return value;
}

template <class T>
T read_number_attribute(hid_t object, const char* name, const std::string& file) {
  if (!has_attribute(object, name)) return T{};
  const hid_t type = std::is_integral_v<T> ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
  Handle attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose, fmt::format("{}: cannot open attribute '{}'", file, name));
  T value{};
  check(H5Aread(attr, type, &value), fmt::format("{}: cannot read attribute '{}'", file, name));
  return value;
}

template <class T>
std::vector<T> read_vector(hid_t group, const std::string& name, const std::string& file) {
  const hid_t type = std::is_integral_v<T> ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
  Handle set(H5Dopen2(group, name.c_str(), H5P_DEFAULT), H5Dclose,
             fmt::format("{}: cannot open dataset '{}'", file, name));
  Handle space(H5Dget_space(set), H5Sclose, "HDF5: dataspace");
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<T> values(static_cast<std::size_t>(std::max<hssize_t>(n, 0)));
  if (!values.empty())
    check(H5Dread(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), fmt::format("{}: read {}", file, name));
  return values;
}

// HDF5 1.12 renamed the link-iteration API; graft builds against 1.10 and later.
#if H5_VERSION_GE(1, 12, 0)
using LinkInfo = H5L_info2_t;
#define GRAFT_H5_LITERATE H5Literate2
#else
using LinkInfo = H5L_info_t;
#define GRAFT_H5_LITERATE H5Literate
#endif

std::vector<std::string> member_names(hid_t group) {
  std::vector<std::string> names;
  GRAFT_H5_LITERATE(
      group, H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const LinkInfo*, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->push_back(name);
        return 0;
      },
      &names);
  return names;
}

ScalarTable read_table(hid_t file, const char* name, const std::string& path) {
  ScalarTable table;
  if (H5Lexists(file, name, H5P_DEFAULT) <= 0) return table;
  Handle group(H5Gopen2(file, name, H5P_DEFAULT), H5Gclose, fmt::format("{}: cannot open group '{}'", path, name));
  table.steps = read_vector<std::int64_t>(group, "step", path);
  for (const auto& column : member_names(group))
    if (column != "step") table.columns[column] = read_vector<double>(group, column, path);
  return table;
}

/// HDF5 prints its own error stack by default; graft reports errors itself.
void silence_hdf5() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

}  // namespace

void write_run_record(const std::string& path, const RunRecord& r) {
  silence_hdf5();
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  const std::string temporary = temporary_sibling(path);
  {
    Handle file(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
                fmt::format("cannot create '{}': check that the results folder is writable", temporary));
    write_attribute(file, "status", r.status);
    write_attribute(file, "message", r.message);
    write_attribute(file, "experiment", r.experiment);
    write_attribute(file, "variant", r.variant);
    write_attribute(file, "run_id", r.run_id);
    write_attribute(file, "seed", r.seed);
    write_attribute(file, "config", r.config_yaml);
    write_attribute(file, "config_hash", r.config_hash);
    write_attribute(file, "steps_done", r.steps_done);
    write_attribute(file, "total_steps", r.total_steps);
    write_attribute(file, "samples", r.samples);
    write_attribute(file, "wall_time_s", r.wall_time_s);
    write_attribute(file, "steps_per_s", r.steps_per_s);
    write_attribute(file, "samples_per_s", r.samples_per_s);
    write_attribute(file, "data_time_fraction", r.data_time_fraction);
    write_attribute(file, "step_time_s", r.step_time_s);
    write_attribute(file, "runtime", r.runtime);
    write_attribute(file, "model", r.model);
    write_attribute(file, "weights", r.weights);
    write_attribute(file, "weights_sha256", r.weights_sha256);
    write_table(file, "train", r.train);
    write_table(file, "eval", r.eval);
    Handle final_group(H5Gcreate2(file, "final", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                       "HDF5: cannot create group 'final'");
    for (const auto& [name, value] : r.final_metrics) {
      Handle space(H5Screate(H5S_SCALAR), H5Sclose, "HDF5: dataspace");
      Handle set(H5Dcreate2(final_group, name.c_str(), H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT,
                            H5P_DEFAULT),
                 H5Dclose, fmt::format("HDF5: cannot create final/{}", name));
      check(H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value), "write final/" + name);
    }
    if (!r.classes.empty()) {
      Handle classes(H5Gcreate2(file, "classes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                     "HDF5: cannot create group 'classes'");
      for (const auto& [domain, names] : r.classes) write_strings(classes, domain, names);
    }
    check(H5Fflush(file, H5F_SCOPE_GLOBAL), fmt::format("cannot flush '{}'", temporary));
  }
  std::filesystem::rename(temporary, path);
}

RunRecord read_run_record(const std::string& path) {
  silence_hdf5();
  if (!std::filesystem::exists(path)) throw Error(fmt::format("{}: no such run record", path));
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw Error(fmt::format("{}: not an HDF5 file (damaged run record? delete it to redo the run)", path));
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose,
              fmt::format("{}: cannot open run record", path));
  RunRecord r;
  r.status = read_string_attribute(file, "status", path);
  if (r.status.empty()) throw Error(fmt::format("{}: HDF5 file without graft's 'status' attribute", path));
  r.message = read_string_attribute(file, "message", path);
  r.experiment = read_string_attribute(file, "experiment", path);
  r.variant = read_string_attribute(file, "variant", path);
  r.run_id = read_string_attribute(file, "run_id", path);
  r.seed = read_number_attribute<std::int64_t>(file, "seed", path);
  r.config_yaml = read_string_attribute(file, "config", path);
  r.config_hash = read_string_attribute(file, "config_hash", path);
  r.steps_done = read_number_attribute<std::int64_t>(file, "steps_done", path);
  r.total_steps = read_number_attribute<std::int64_t>(file, "total_steps", path);
  r.samples = read_number_attribute<std::int64_t>(file, "samples", path);
  r.wall_time_s = read_number_attribute<double>(file, "wall_time_s", path);
  r.steps_per_s = read_number_attribute<double>(file, "steps_per_s", path);
  r.samples_per_s = read_number_attribute<double>(file, "samples_per_s", path);
  r.data_time_fraction = read_number_attribute<double>(file, "data_time_fraction", path);
  if (H5Aexists(file, "step_time_s") > 0) r.step_time_s = read_number_attribute<double>(file, "step_time_s", path);
  r.runtime = read_string_attribute(file, "runtime", path);
  r.model = read_string_attribute(file, "model", path);
  r.weights = read_string_attribute(file, "weights", path);
  r.weights_sha256 = read_string_attribute(file, "weights_sha256", path);
  r.train = read_table(file, "train", path);
  r.eval = read_table(file, "eval", path);
  if (H5Lexists(file, "final", H5P_DEFAULT) > 0) {
    Handle group(H5Gopen2(file, "final", H5P_DEFAULT), H5Gclose, fmt::format("{}: cannot open 'final'", path));
    for (const auto& name : member_names(group)) {
      Handle set(H5Dopen2(group, name.c_str(), H5P_DEFAULT), H5Dclose, fmt::format("{}: final/{}", path, name));
      double value = 0;
      check(H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value),
            fmt::format("{}: read final/{}", path, name));
      r.final_metrics[name] = value;
    }
  }
  if (H5Lexists(file, "classes", H5P_DEFAULT) > 0) {
    Handle group(H5Gopen2(file, "classes", H5P_DEFAULT), H5Gclose, fmt::format("{}: cannot open 'classes'", path));
    for (const auto& domain : member_names(group)) r.classes[domain] = read_strings(group, domain, path);
  }
  return r;
}

std::vector<std::string> find_run_records(const std::vector<std::string>& paths, const std::string& command,
                                          const std::string& what_to_give) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::set<fs::path> seen;  // a folder given twice, or with its parent, counts its runs once
  for (const auto& path : paths) {
    if (!fs::exists(path)) throw Error(fmt::format("{}: no such file or folder: {}", command, path));
    std::vector<fs::path> found;
    if (fs::is_regular_file(path)) {
      found.push_back(path);
    } else if (fs::exists(fs::path(path) / "run.h5")) {
      found.push_back(fs::path(path) / "run.h5");
    } else {
      for (const auto& entry : fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied))
        if (entry.is_regular_file() && entry.path().filename() == "run.h5") found.push_back(entry.path());
    }
    if (found.empty()) throw Error(fmt::format("{}: {} holds no run.h5; give {}", command, path, what_to_give));
    std::sort(found.begin(), found.end());
    for (const auto& file : found) {
      const fs::path canonical = fs::weakly_canonical(file);
      if (seen.insert(canonical).second) out.push_back(canonical.string());
    }
  }
  return out;
}

}  // namespace graft
