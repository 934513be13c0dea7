#include "datasets/data_tools.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/config.h"
#include "core/error.h"
#include "core/loader.h"
#include "core/progress.h"
#include "core/registries.h"
#include "core/runtime.h"
#include "datasets/image_folder.h"
#include "datasets/image_formats.h"
#include "datasets/image_list.h"
#include "datasets/npy.h"

namespace fs = std::filesystem;

namespace graft {

const std::vector<std::string>& export_formats() {
  static const std::vector<std::string> formats{"image_folder", "image_list"};
  return formats;
}

namespace {

/// Class names that sort as the labels do ("0".."9"; "00".."46").
std::vector<std::string> class_names_of(const DataSet& data, std::int64_t classes) {
  if (!data.class_names.empty()) return data.class_names;
  const auto width = std::to_string(std::max<std::int64_t>(classes - 1, 0)).size();
  std::vector<std::string> names;
  for (std::int64_t c = 0; c < classes; ++c) names.push_back(fmt::format("{:0{}}", c, width));
  return names;
}

}  // namespace

namespace {
void write_export(const DataSet& data, const std::string& name, const std::vector<std::string>& names,
                  const fs::path& staging, const std::string& format) {
  std::ofstream classes_file;
  if (format == "image_list") {
    classes_file.open(staging / "classes.txt");
    for (const auto& n : names) classes_file << n << '\n';
  }
  for (const auto& [split_name, split] : data.splits) {
    const auto& labels = split.targets.at("label");
    const std::int64_t n = split.size();
    const auto width = std::to_string(std::max<std::int64_t>(n - 1, 0)).size();
    std::ofstream list;
    if (format == "image_list") list.open(staging / (split_name + ".txt"));
    ProgressBar bar(fmt::format("{} {}", name, split_name), n);
    for (std::int64_t i = 0; i < n; ++i) {
      const auto label = labels[i].item<std::int64_t>();
      const std::string file = fmt::format("{:0{}}.png", i, width);
      fs::path relative = format == "image_folder" ? fs::path(split_name) / names[static_cast<std::size_t>(label)] / file
                                                   : fs::path("images") / split_name / file;
      fs::create_directories((staging / relative).parent_path());
      write_png((staging / relative).string(), split.inputs[i]);
      if (list.is_open()) list << relative.string() << ' ' << label << '\n';
      if (i % 256 == 0 || i + 1 == n) bar.update(i + 1);
    }
    bar.finish(fmt::format("{} images", n));
    if (list.is_open() && !list.flush()) throw Error(fmt::format("{}: cannot write the list", (staging / split_name).string()));
  }
}
}  // namespace

void export_dataset(const std::string& name, const std::string& dir, const std::string& format,
                    const std::string& cache_dir, std::ostream& log) {
  if (std::find(export_formats().begin(), export_formats().end(), format) == export_formats().end())
    throw Error(fmt::format("unknown export format '{}'; {}", format, choices_hint(format, export_formats())));
  if (fs::exists(dir) && !fs::is_empty(dir))
    throw Error(fmt::format("{}: exists and is not empty; export writes a new folder", dir));
  DataContext ctx{0, cache_dir, "export"};
  // NAME is a data set's name or its YAML entry: "{name: mnist, channels: 3}".
  const auto data = dataset_registry().create(parse_config_text(name, "graft data export NAME"), "NAME", ctx);
  const std::int64_t classes = data->num_classes;
  if (classes == 0 || data->splits.begin()->second.targets.size() != 1)
    throw Error(fmt::format("data set '{}' is not one class label per image; the image formats hold exactly that "
                            "(try mnist, mnist_m, fashion_mnist, uci_digits)",
                            name));
  for (const auto& [split_name, split] : data->splits)
    if (split.from_disk() || split.inputs.scalar_type() != torch::kUInt8 || split.inputs.dim() != 4 ||
        (split.inputs.size(1) != 1 && split.inputs.size(1) != 3))
      throw Error(fmt::format("data set '{}' split '{}' is not uint8 images [N, 1 or 3, H, W]; it cannot be "
                              "written as PNG files",
                              name, split_name));
  const auto names = class_names_of(*data, classes);
  const fs::path staging = fs::path(dir).parent_path() / (fs::path(dir).filename().string() + ".partial");
  fs::remove_all(staging);
  fs::create_directories(staging);
  try {
    write_export(*data, name, names, staging, format);
  } catch (...) {
    fs::remove_all(staging);
    throw;
  }
  fs::create_directories(fs::path(dir).parent_path().empty() ? fs::path(".") : fs::path(dir).parent_path());
  if (fs::exists(dir)) fs::remove(dir);  // an empty folder
  fs::rename(staging, dir);
  log << fmt::format("wrote {} ({}): {} classes, splits {}\n", dir, format, classes, fmt::join(keys_of(data->splits), ", "));
  if (format == "image_folder")
    log << fmt::format("read it with: {{name: image_folder, root: {0}/train{1}, test: {0}/test}}\n", dir,
                       data->has_split("val") ? fmt::format(", val: {}/val", dir) : "");
  else
    log << fmt::format("read it with: {{name: image_list, root: {0}, list: train.txt{1}, test: test.txt}}\n",
                       dir, data->has_split("val") ? ", val: val.txt" : "");
  // The built-in set normalises by its training split's statistics: the same
  // constants give the same inputs from the files, to the last bit.
  if (!data->mean.empty()) {
    std::vector<std::string> mean, std;
    for (double m : data->mean) mean.push_back(format_double(m));
    for (double s : data->std) std.push_back(format_double(s));
    log << fmt::format("and, for the inputs the built-in set gives: transforms: {{test: [{{name: normalize, preset: "
                       "custom, mean: [{}], std: [{}]}}]}}\n",
                       fmt::join(mean, ", "), fmt::join(std, ", "));
  }
}

// ---- inspect ----

namespace {

struct SizeSummary {
  std::vector<std::pair<std::int64_t, std::int64_t>> sizes;  ///< (width, height) of a sample
  std::int64_t unreadable = 0;
  std::string first_error;
};

SizeSummary sample_sizes(const std::vector<std::string>& paths, std::size_t sample = 200) {
  SizeSummary out;
  const std::size_t step = std::max<std::size_t>(1, paths.size() / sample);
  for (std::size_t i = 0; i < paths.size(); i += step) {
    std::int64_t w = 0, h = 0;
    try {
      // The header is all this needs: a 1 x 1 plan decodes one eighth-scale block.
      read_image_region(paths[i], [&](std::int64_t width, std::int64_t height) {
        w = width, h = height;
        ImagePlan plan = ImagePlan::whole(width, height);
        plan.crop(0, 0, 1, 1);
        return plan;
      });
      out.sizes.emplace_back(w, h);
    } catch (const std::exception& e) {
      if (!out.unreadable++) out.first_error = library_message(e);
    }
  }
  return out;
}

void print_sizes(const SizeSummary& s, std::ostream& out) {
  if (!s.sizes.empty()) {
    auto widths = s.sizes, heights = s.sizes;
    std::sort(widths.begin(), widths.end());
    std::sort(heights.begin(), heights.end(), [](auto a, auto b) { return a.second < b.second; });
    const auto mid = s.sizes.size() / 2;
    out << fmt::format("image sizes (w x h, {} sampled): width {}..{} (median {}), height {}..{} (median {})\n",
                       s.sizes.size(), widths.front().first, widths.back().first, widths[mid].first,
                       heights.front().second, heights.back().second, heights[mid].second);
  }
  if (s.unreadable)
    out << fmt::format("unreadable: {} of the sample; first: {}\n", s.unreadable, s.first_error);
}

void print_classes(const std::vector<std::string>& classes, const std::vector<std::int64_t>& labels, std::ostream& out) {
  std::vector<std::int64_t> counts(classes.size(), 0);
  for (auto l : labels)
    if (l >= 0 && l < static_cast<std::int64_t>(counts.size())) ++counts[static_cast<std::size_t>(l)];
  out << fmt::format("classes: {}\n", classes.size());
  for (std::size_t c = 0; c < classes.size() && c < 12; ++c)
    out << fmt::format("  {:>4}  {:<28} {:>7} images\n", c, classes[c], counts[c]);
  if (classes.size() > 12) out << fmt::format("  ... {} more\n", classes.size() - 12);
}

void print_files(const std::vector<std::string>& paths, std::ostream& out) {
  out << "files:";
  for (std::size_t i = 0; i < paths.size() && i < 3; ++i) out << "\n  " << paths[i];
  if (paths.size() > 3) out << fmt::format("\n  ... ({} in all)", paths.size());
  out << '\n';
}

bool is_domain_layout(const std::string& folder) {
  // DomainBed: every subfolder holds class folders, and no image lies directly in one.
  bool any = false;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (!entry.is_directory() || entry.path().filename().string()[0] == '.') continue;
    any = true;
    bool has_subfolder = false;
    for (const auto& inner : fs::directory_iterator(entry.path())) {
      if (inner.is_regular_file() && has_image_extension(inner.path().string())) return false;
      has_subfolder = has_subfolder || inner.is_directory();
    }
    if (!has_subfolder) return false;
  }
  return any;
}

void inspect_folder(const std::string& path, std::ostream& out) {
  bool has_npy = false;
  for (const auto& entry : fs::directory_iterator(path)) has_npy = has_npy || entry.path().extension() == ".npy";
  if (has_npy) {
    out << fmt::format("format: arrays (a folder of .npy files)\n");
    for (const auto& entry : fs::directory_iterator(path))
      if (entry.path().extension() == ".npy") {
        const auto a = read_npy(entry.path().string());
        out << fmt::format("  {:<16} {:<6} [{}]\n", entry.path().stem().string(), a.dtype, fmt::join(a.shape, ", "));
      }
    out << fmt::format("read it with: {{name: arrays, path: {}, inputs: <name>, targets: [<name>, ...]}}\n", path);
    return;
  }
  if (is_domain_layout(path)) {
    out << "format: image_folder, DomainBed's layout (root/<domain>/<class>/<image>)\n";
    std::vector<std::string> domains;
    for (const auto& entry : fs::directory_iterator(path))
      if (entry.is_directory() && entry.path().filename().string()[0] != '.')
        domains.push_back(entry.path().filename().string());
    std::sort(domains.begin(), domains.end());
    for (const auto& d : domains) {
      const auto scan = scan_class_folders((fs::path(path) / d).string());
      out << fmt::format("domain {:<20} {:>4} classes {:>8} images\n", d, scan.classes.size(), scan.files.paths.size());
    }
    const auto first = scan_class_folders((fs::path(path) / domains.front()).string());
    print_classes(first.classes, first.files.labels, out);
    print_sizes(sample_sizes(first.files.paths), out);
    print_files(first.files.paths, out);
    out << fmt::format("read it with: {{name: image_folder, root: {}, domain: {}, holdout_fraction: 0.2}}\n", path,
                       domains.front());
    return;
  }
  const auto scan = scan_class_folders(path);
  out << fmt::format("format: image_folder (root/<class>/<image>): {} images\n", scan.files.paths.size());
  print_classes(scan.classes, scan.files.labels, out);
  print_sizes(sample_sizes(scan.files.paths), out);
  print_files(scan.files.paths, out);
  out << fmt::format("read it with: {{name: image_folder, root: {}, holdout_fraction: 0.2}}\n", path);
}

void inspect_list(const std::string& path, std::ostream& out) {
  // TLlib keeps lists in <root>/image_list/: try the list's folder, then the one above it.
  std::string root = fs::path(path).parent_path().string();
  LabelledFiles files = read_image_list(path, root, /*allow_missing=*/true);
  if (!fs::exists(files.paths.front())) {
    const std::string above = fs::path(root).parent_path().string();
    const LabelledFiles again = read_image_list(path, above, true);
    if (fs::exists(again.paths.front())) root = above, files = again;
  }
  std::int64_t missing = 0, classes = 0;
  for (const auto& p : files.paths) missing += fs::is_regular_file(p) ? 0 : 1;
  for (auto l : files.labels) classes = std::max(classes, l + 1);
  std::vector<std::string> names;
  for (std::int64_t c = 0; c < classes; ++c) names.push_back(std::to_string(c));
  out << fmt::format("format: image_list (TLlib's `path label` lines): {} images, root {}\n", files.paths.size(), root);
  if (missing) out << fmt::format("missing: {} listed images do not exist under that root\n", missing);
  print_classes(names, files.labels, out);
  print_sizes(sample_sizes(files.paths), out);
  print_files(files.paths, out);
  out << fmt::format("read it with: {{name: image_list, root: {}, list: {}}}\n", root, path);
}

}  // namespace

void inspect_data(const std::string& path, std::ostream& out) {
  if (!fs::exists(path)) throw Error(fmt::format("{}: no such file or folder", path));
  if (fs::is_directory(path)) return inspect_folder(path, out);
  const std::string extension = fs::path(path).extension().string();
  if (extension == ".txt") return inspect_list(path, out);
  if (extension == ".npz" || extension == ".npy") {
    out << "format: arrays\n";
    const auto arrays = extension == ".npz" ? read_npz(path) : std::map<std::string, NpyArray>{{fs::path(path).stem().string(), read_npy(path)}};
    for (const auto& [name, a] : arrays) out << fmt::format("  {:<16} {:<6} [{}]\n", name, a.dtype, fmt::join(a.shape, ", "));
    out << fmt::format("read it with: {{name: arrays, path: {}, inputs: <name>, targets: [<name>, ...]}}\n", path);
    return;
  }
  throw Error(fmt::format("{}: graft reads folders (image_folder, arrays), list files (.txt, image_list) and arrays "
                          "(.npz, .npy); this is none of them",
                          path));
}

// ---- bench ----

void bench_loader(const std::string& root, std::int64_t workers, std::int64_t batch_size, std::int64_t batches,
                  std::int64_t warmup, std::ostream& out) {
  const ConfigNode entry = parse_config_text(
      fmt::format("{{name: image_folder, root: '{}', transforms: {{train: [{{name: random_resized_crop, size: 224}}, "
                  "horizontal_flip, {{name: normalize, preset: imagenet}}]}}}}",
                  root),
      "graft data bench");
  const auto data = dataset_registry().create(entry, "data.bench", DataContext{0, "", "bench"});
  StreamOptions options;
  options.batch_size = batch_size;
  options.loader = {workers, 4};
  BatchStream stream(*data, "train", options, torch::kCPU);
  for (std::int64_t i = 0; i < warmup; ++i) stream.next();
  const auto start = std::chrono::steady_clock::now();
  std::int64_t images = 0;
  for (std::int64_t i = 0; i < batches; ++i) images += stream.next().size();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out << fmt::format("graft images/s: {:.1f} workers: {} batch: {} batches: {}\n", images / seconds, workers,
                     batch_size, batches);
  std::fprintf(stderr, "graft peak_rss_mib: %.0f\n", peak_memory_mib());
}

}  // namespace graft
