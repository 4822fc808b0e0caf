// CIFAR-10 binary batches: fixed 3073-byte records (label, then the 32x32 R, G and B planes),
// which is already our CHW sample layout, so records are split, not reordered.
#include <algorithm>
#include <string>
#include <vector>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/framework/dataset.hpp"

namespace bitblock {

Dataset load_cifar10_batches(const std::string& name, const std::vector<std::string>& paths) {
  constexpr int kChannels = 3, kSide = 32, kClasses = 10;
  constexpr size_t kPixels = size_t{kChannels} * kSide * kSide;
  constexpr size_t kRecord = 1 + kPixels;

  Dataset d;
  d.name = name;
  d.channels = kChannels;
  d.height = kSide;
  d.width = kSide;
  d.num_classes = kClasses;
  for (const std::string& path : paths) {
    std::string bytes = read_file(path);
    if (bytes.empty()) fail_input(path, "empty file (expected 3073-byte CIFAR-10 records)");
    if (bytes.size() % kRecord != 0)
      fail_input(path, "size " + std::to_string(bytes.size()) +
                           " is not a whole number of 3073-byte CIFAR-10 records (truncated?)");
    size_t records = bytes.size() / kRecord;
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
    size_t base = d.labels.size();
    d.labels.resize(base + records);
    d.images.resize((base + records) * kPixels);
    for (size_t r = 0; r < records; ++r) {
      const uint8_t* rec = p + r * kRecord;
      if (rec[0] >= kClasses)
        fail_input(path, "label " + std::to_string(rec[0]) + " of record " + std::to_string(r) +
                             " is out of range (expected 0..9)");
      d.labels[base + r] = rec[0];
      std::copy(rec + 1, rec + kRecord, d.images.begin() + static_cast<ptrdiff_t>((base + r) * kPixels));
    }
    if (!d.source.empty()) d.source += ", ";
    d.source += path;
  }
  return d;
}

}  // namespace bitblock
