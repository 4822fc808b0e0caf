#pragma once
// One training step in the model's execution context: gather the batch, zero the gradients,
// forward, loss, backward, optimizer, constraint clip. On a GPU the step is captured once per
// epoch (a CUDA graph of the model's stream, after one eager step that makes every buffer) and
// replayed; ahead of each step the host
// sends only the batch's indices and draws, the dropout stream's start and the optimizer's
// scalars. The loss totals stay on the device; the host reads them (a synchronisation) only to
// log, to check for divergence and at the end of an epoch. On the CPU every step runs directly.
#include <cstdint>
#include <memory>

#include "backend/backend.hpp"
#include "bitblock/framework/batch_source.hpp"
#include "bitblock/framework/loss.hpp"
#include "bitblock/framework/optimizer.hpp"
#include "bitblock/framework/sequential.hpp"

namespace bitblock {

class TrainStep {
 public:
  TrainStep(Sequential& net, Optimizer& optimizer, BatchSource& batches, LossKind loss, int64_t batch_size);

  // One step on samples indices[0..n) with the batch's random stream rng (augmentation, then
  // dropout) at learning rate lr.
  void run(const int64_t* indices, int64_t n, Rng rng, double lr);
  // Loss totals since set_totals (read back from the device).
  kernels::LossStats totals() const;
  void set_totals(const kernels::LossStats& totals);
  // True when totals() is free (the CPU): the caller may check every step.
  bool totals_on_host() const { return totals_.device() == Device::Cpu; }
  // Drops the captured step: between epochs the host evaluates, checkpoints and may move masks.
  void end_epoch();

 private:
  void body();

  Sequential& net_;
  Optimizer& optimizer_;
  BatchSource& batches_;
  LossKind loss_;
  int64_t batch_size_;
  backend::Backend& backend_;
  RandomStream random_;
  Array<kernels::LossStats> totals_;
  Tensor dlogits_;
  bool warmed_ = false;                          // an eager full-size step ran this epoch
  bool capture_tried_ = false;
  std::unique_ptr<backend::CapturedStep> captured_;
  int64_t allocations_ = 0;                      // device allocations when the step was captured
};

}  // namespace bitblock
