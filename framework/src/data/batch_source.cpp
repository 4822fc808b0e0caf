#include "bitblock/framework/batch_source.hpp"

#include <stdexcept>

#include "bitblock/framework/ops.hpp"

namespace bitblock {

BatchSource::BatchSource(const Dataset& data, const Normalization& norm, const Augmentation& aug, int64_t max_batch,
                         const ExecContextPtr& ctx)
    : data_(data), aug_(aug), sample_{data.channels, data.height, data.width} {
  check_batch_settings(data, norm, aug);
  set_ = image_set(data);
  if (ctx->device() != Device::Cpu) {
    images_ = Array<uint8_t>(data.images).to(ctx);
    image_labels_ = Array<uint8_t>(data.labels).to(ctx);
    set_.images = images_.data();
    set_.labels = image_labels_.data();
  }
  lut_ = Tensor({256}, normalization_table(norm)).to(ctx);
  host_indices_.resize(static_cast<size_t>(max_batch));
  host_transforms_.resize(static_cast<size_t>(max_batch));
  indices_ = Array<int64_t>(max_batch, ctx);
  transforms_ = Array<kernels::SampleTransform>(max_batch, ctx);
  labels_ = Array<int32_t>(max_batch, ctx);
  x_ = Tensor({max_batch, sample_[0], sample_[1], sample_[2]}, ctx);
}

void BatchSource::prepare(const int64_t* indices, int64_t n, Rng* rng) {
  if (n > indices_.size()) throw std::invalid_argument("BatchSource: batch larger than the buffers");
  check_indices(data_, indices, n);
  std::copy(indices, indices + n, host_indices_.begin());
  draw_transforms(aug_, n, rng, host_transforms_.data());
  indices_.write(host_indices_.data(), n);
  transforms_.write(host_transforms_.data(), n);
  n_ = n;
  if (x_.dim(0) != n) x_.reset({n, sample_[0], sample_[1], sample_[2]}, x_.context());
}

void BatchSource::gather() { ops::gather_batch(set_, indices_, &transforms_, n_, lut_, x_, labels_); }

}  // namespace bitblock
