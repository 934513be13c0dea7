#include "datasets/uci_digits.h"

#include "core/registries.h"
#include "datasets/sources.h"

namespace graft {

UciDigits::UciDigits(Options options, const DataContext& ctx) {
  const auto all = read_uci_digits_csv(cached_source_file(ctx.cache_dir, "sklearn", "digits.csv.gz"));
  build_image_dataset(*this, "uci_digits", split_fixed(all, 300, 300, 0), options, 10);
}

GRAFT_REGISTER_DATASET(UciDigits, "uci_digits",
                       "UCI optical digits, 1x8x8 (size: 28 for 1x28x28), 10 classes; python3-sklearn: 1,197 train / 300 val / 300 test");

}  // namespace graft
