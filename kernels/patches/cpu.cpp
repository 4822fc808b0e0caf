// Patch-major im2col and its adjoint on the CPU. Work items are (sample, 8 channels): each copies
// its channels into a zero-padded buffer first, so no tap needs an edge test. With stride 1, runs
// of 8 output pixels move as 8-float runs of the padded image, one 8 x 8 transpose per 8 columns
// (tile.hpp; AVX2 where the CPU has it); other strides, output rows shorter than 8 and integer
// codes go entry by entry through a table of tap offsets.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "bitblock/kernels/cpu_features.hpp"
#include "bitblock/kernels/patches.hpp"
#include "patches/tile.hpp"

namespace bitblock::kernels {
namespace detail {

void patch_tile_gather_portable(const float* src, const int64_t* off, int64_t width, float* rows, int64_t ld) {
  for (int64_t i = 0; i < 8; ++i)
    for (int64_t j = 0; j < width; ++j) rows[i * ld + j] = src[off[j] + i];
}

void patch_tile_scatter_portable(const float* rows, int64_t ld, const int64_t* off, int64_t width, int64_t k,
                                 int64_t skip, float* cols, float* dst) {
  for (int64_t j = 0; j < width; ++j)
    for (int64_t i = 0; i < 8; ++i) cols[j * 8 + i] = i < skip ? 0.0f : rows[i * ld + j];
  patch_tile_add(cols, off, width, k, dst);
}

}  // namespace detail

namespace {
// Below this many patch entries a parallel region costs more than it saves; a training step's
// groups hold up to kCpuPatchGroupFloats, so the threshold sits well below it (at the group size
// itself no group ran in parallel: fashion_cnn had 12% of its step serial at --threads 2).
constexpr int64_t kParallelEntries = kCpuPatchGroupFloats / 8;
// Channels per work item: 8 * k * k columns, a multiple of the 8-column tiles, and a group of
// one large sample still splits over the threads. Items are handed out one at a time, so a
// thread that the machine deschedules holds up only the item it has.
constexpr int64_t kChunkChannels = 8;

struct Tiles {  // the tiles of tile.hpp for the active ISA; null: entry by entry
  void (*gather)(const float*, const int64_t*, int64_t, float*, int64_t);
  void (*scatter)(const float*, int64_t, const int64_t*, int64_t, int64_t, int64_t, float*, float*);
};

Tiles float_tiles() {
  if (active_isa() != Isa::Portable) return {detail::patch_tile_gather_avx2, detail::patch_tile_scatter_avx2};
  return {detail::patch_tile_gather_portable, detail::patch_tile_scatter_portable};
}

// One work item: channels [c0, c1) of one sample, padded to ph x pw planes; off[j] is where
// column j (of the item's (c1 - c0) * k * k) reads, relative to its pixel's top-left tap.
template <typename T>
struct Item {
  int64_t c0 = 0, c1 = 0, ph = 0, pw = 0, width = 0;
  std::vector<T> pad;
  std::vector<T> cols;
  std::vector<int64_t> off;

  // Kept per thread between calls, so the buffers are allocated once.
  static Item& of_thread(const ConvGeometry& g, int64_t chunk) {
    thread_local Item it;
    it.reset(g, chunk);
    return it;
  }

  void reset(const ConvGeometry& g, int64_t chunk) {
    c0 = chunk * kChunkChannels;
    c1 = std::min(g.channels, c0 + kChunkChannels);
    ph = g.height + 2 * g.padding;
    pw = g.width + 2 * g.padding;
    const int64_t k = g.kernel;
    width = (c1 - c0) * k * k;
    off.resize(static_cast<size_t>(width));
    for (int64_t j = 0; j < width; ++j)
      off[static_cast<size_t>(j)] = ((j / (k * k)) * ph + (j / k) % k) * pw + j % k;
    pad.assign(static_cast<size_t>((c1 - c0) * ph * pw), T{0});
    cols.resize(static_cast<size_t>(width * 8));
  }
  // Row oy, column ox of the output: where its top-left tap sits in the padded planes.
  int64_t base(const ConvGeometry& g, int64_t oy, int64_t ox) const { return (oy * pw + ox) * g.stride; }
  T* padded(const ConvGeometry& g, int64_t c, int64_t y) {
    return pad.data() + ((c - c0) * ph + y + g.padding) * pw + g.padding;
  }
};

template <typename T>
void load_item(const T* image, const ConvGeometry& g, Item<T>& it) {
  for (int64_t c = it.c0; c < it.c1; ++c)
    for (int64_t y = 0; y < g.height; ++y) std::copy_n(image + (c * g.height + y) * g.width, g.width, it.padded(g, c, y));
}

// Rows of 8 or more output pixels go in tiles of 8 (stride 1): the last tile of a ragged row
// overlaps the one before it.
bool tiled_rows(const ConvGeometry& g, const Tiles* tiles) { return tiles && g.stride == 1 && g.out_width() >= 8; }

template <typename T>
void item_to_patches(const ConvGeometry& g, const Tiles* tiles, Item<T>& it, T* patches, int64_t ld) {
  const int64_t oh = g.out_height(), ow = g.out_width(), width = it.width;
  const int64_t* off = it.off.data();
  for (int64_t oy = 0; oy < oh; ++oy) {
    T* prow = patches + oy * ow * ld;
    if constexpr (std::is_same_v<T, float>) {
      if (tiled_rows(g, tiles)) {
        for (int64_t ox = 0; ox < ow; ox += 8) {
          const int64_t at = std::min(ox, ow - 8);
          tiles->gather(it.pad.data() + it.base(g, oy, at), off, width, prow + at * ld, ld);
        }
        continue;
      }
    }
    for (int64_t ox = 0; ox < ow; ++ox) {
      const T* src = it.pad.data() + it.base(g, oy, ox);
      T* row = prow + ox * ld;
      for (int64_t j = 0; j < width; ++j) row[j] = src[off[j]];
    }
  }
}

// The padded planes accumulate every entry of P in row order (entries that read padding land in
// the border, which is dropped); per image pixel that is the reference's order of additions.
void item_from_patches(const ConvGeometry& g, const Tiles* tiles, const float* patches, int64_t ld, Item<float>& it) {
  const int64_t oh = g.out_height(), ow = g.out_width(), width = it.width;
  const int64_t* off = it.off.data();
  for (int64_t oy = 0; oy < oh; ++oy) {
    const float* prow = patches + oy * ow * ld;
    if (tiled_rows(g, tiles)) {
      for (int64_t ox = 0; ox < ow; ox += 8) {
        const int64_t at = std::min(ox, ow - 8);
        tiles->scatter(prow + at * ld, ld, off, width, g.kernel, ox - at, it.cols.data(),
                       it.pad.data() + it.base(g, oy, at));
      }
      continue;
    }
    for (int64_t ox = 0; ox < ow; ++ox) {
      float* dst = it.pad.data() + it.base(g, oy, ox);
      const float* row = prow + ox * ld;
      for (int64_t j = 0; j < width; ++j) dst[off[j]] += row[j];
    }
  }
}

template <typename T>
void to_patches(const T* images, int64_t n, const ConvGeometry& g, T* patches, int64_t ld, const Tiles* tiles) {
  const int64_t chunks = (g.channels + kChunkChannels - 1) / kChunkChannels, kk = g.kernel * g.kernel;
#pragma omp parallel for schedule(dynamic) if (n * g.out_pixels() * g.patch_size() >= kParallelEntries)
  for (int64_t t = 0; t < n * chunks; ++t) {
    const int64_t s = t / chunks;
    Item<T>& it = Item<T>::of_thread(g, t % chunks);
    load_item(images + s * g.image_size(), g, it);
    item_to_patches(g, tiles, it, patches + s * g.out_pixels() * ld + it.c0 * kk, ld);
  }
}

}  // namespace

void image_to_patches(const float* images, int64_t n, const ConvGeometry& g, float* patches, int64_t ld) {
  const Tiles tiles = float_tiles();
  to_patches(images, n, g, patches, ld, &tiles);
}

void image_to_patches(const int16_t* images, int64_t n, const ConvGeometry& g, int16_t* patches, int64_t ld) {
  to_patches(images, n, g, patches, ld, nullptr);
}

void patches_to_image(const float* patches, int64_t ld, int64_t n, const ConvGeometry& g, float* images) {
  const Tiles tiles = float_tiles();
  const int64_t chunks = (g.channels + kChunkChannels - 1) / kChunkChannels, kk = g.kernel * g.kernel;
#pragma omp parallel for schedule(dynamic) if (n * g.out_pixels() * g.patch_size() >= kParallelEntries)
  for (int64_t t = 0; t < n * chunks; ++t) {
    const int64_t s = t / chunks;
    Item<float>& it = Item<float>::of_thread(g, t % chunks);
    item_from_patches(g, &tiles, patches + s * g.out_pixels() * ld + it.c0 * kk, ld, it);
    float* image = images + s * g.image_size();
    for (int64_t c = it.c0; c < it.c1; ++c)
      for (int64_t y = 0; y < g.height; ++y) std::copy_n(it.padded(g, c, y), g.width, image + (c * g.height + y) * g.width);
  }
}

}  // namespace bitblock::kernels
