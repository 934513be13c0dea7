#pragma once
// The `graft data` tools for users' own data: export a built-in set to the
// on-disk formats, inspect what graft would read at a path, and time the
// loading pipeline on a folder of photos.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace graft {

/// The formats `graft data export` writes.
const std::vector<std::string>& export_formats();

/// Writes the registered data set `name` (built with its defaults) under `dir`
/// as `format`: image_folder (dir/<split>/<class>/<n>.png) or image_list
/// (dir/images/<split>/<n>.png, dir/<split>.txt, dir/classes.txt). Written
/// into a sibling folder first and renamed at the end: an interrupted export
/// leaves nothing at `dir`.
void export_dataset(const std::string& name, const std::string& dir, const std::string& format,
                    const std::string& cache_dir, std::ostream& log);

/// What graft would read at `path`: the format, classes, counts per split or
/// domain, image sizes (from a sample of headers), a few file names, and the
/// YAML entry that reads it.
void inspect_data(const std::string& path, std::ostream& out);

/// Images per second of image_folder `root` through random_resized_crop(224),
/// horizontal_flip and ImageNet normalisation, on `workers` threads: `warmup`
/// batches untimed, then `batches` timed. Prints one line, "graft images/s: ...".
void bench_loader(const std::string& root, std::int64_t workers, std::int64_t batch_size, std::int64_t batches,
                  std::int64_t warmup, std::ostream& out);

}  // namespace graft
