#pragma once
// A data set where training and evaluation gather their batches: the host copy itself on the CPU,
// an upload on a device (MNIST, Fashion-MNIST and CIFAR-10 fit in GPU memory), with the batch's
// buffers there. Per batch the host picks the samples and draws their augmentation serially (the
// same draws on every device; a few hundred numbers) and sends indices and draws (a few KB); the
// gather, normalisation, crop and flip run on the device (ops::gather_batch). The buffers keep
// their addresses for a given batch size, so a captured training step can replay the gather.
#include <cstdint>
#include <vector>

#include "bitblock/framework/array.hpp"
#include "bitblock/framework/dataset.hpp"
#include "bitblock/framework/tensor.hpp"

namespace bitblock {

class BatchSource {
 public:
  // InputError for bad normalisation / augmentation settings.
  // The batches are made in execution context ctx (a model's: Sequential::context()).
  BatchSource(const Dataset& data, const Normalization& norm, const Augmentation& aug, int64_t max_batch,
              const ExecContextPtr& ctx);
  BatchSource(const BatchSource&) = delete;
  BatchSource& operator=(const BatchSource&) = delete;

  // Host part of a batch: samples indices[0..n) (n <= max_batch), their augmentation drawn from
  // rng (null: none, e.g. evaluation).
  void prepare(const int64_t* indices, int64_t n, Rng* rng);
  // Device part: x() and labels() of the prepared batch.
  void gather();

  const Tensor& x() const { return x_; }
  const Array<int32_t>& labels() const { return labels_; }
  Device device() const { return x_.device(); }

 private:
  const Dataset& data_;
  Augmentation aug_;
  Shape sample_;
  Array<uint8_t> images_, image_labels_;  // device copies (empty on the CPU: the data set is read in place)
  kernels::ImageSet set_;
  Tensor lut_;
  std::vector<int64_t> host_indices_;
  std::vector<kernels::SampleTransform> host_transforms_;
  Array<int64_t> indices_;
  Array<kernels::SampleTransform> transforms_;
  int64_t n_ = 0;
  Tensor x_;
  Array<int32_t> labels_;
};

}  // namespace bitblock
