#include "train/step.hpp"

#include <stdexcept>

namespace bitblock {

TrainStep::TrainStep(Sequential& net, Optimizer& optimizer, BatchSource& batches, LossKind loss, int64_t batch_size)
    : net_(net), optimizer_(optimizer), batches_(batches), loss_(loss), batch_size_(batch_size),
      backend_(backend::of(net.device())), random_(Rng(), net.context()), totals_(1, net.context()),
      dlogits_(Shape{0}, net.context()) {}

void TrainStep::body() {
  batches_.gather();
  net_.zero_grad();
  Context ctx;
  ctx.training = true;
  ctx.rng = &random_;
  const Tensor logits = net_.forward(batches_.x(), ctx);
  ops::loss(loss_, logits, batches_.labels(), &dlogits_, totals_);
  net_.backward_params(dlogits_);
  optimizer_.apply_step();
  net_.after_optimizer_step();
}

void TrainStep::run(const int64_t* indices, int64_t n, Rng rng, double lr) {
  batches_.prepare(indices, n, &rng);  // draws the augmentation from rng
  random_.reset(rng);                  // dropout goes on from there
  optimizer_.prepare_step(lr);
  // The first full-size step of an epoch runs directly and makes every buffer; a smaller last
  // batch always does. The next full-size step is captured where the backend can (not the CPU).
  if (n != batch_size_ || !warmed_) {
    body();
    warmed_ = warmed_ || n == batch_size_;
    return;
  }
  if (!captured_ && !capture_tried_) {
    capture_tried_ = true;
    captured_ = backend_.capture(net_.context()->stream(), [this] { body(); });
    allocations_ = backend_.allocation_count(net_.context()->stream());
  }
  if (!captured_) {
    body();
    return;
  }
  if (backend_.allocation_count(net_.context()->stream()) != allocations_)
    throw std::logic_error("TrainStep: device memory was allocated between replays of the captured step");
  captured_->replay();
}

kernels::LossStats TrainStep::totals() const { return totals_.to_vector()[0]; }

void TrainStep::set_totals(const kernels::LossStats& totals) { totals_.assign({totals}); }

void TrainStep::end_epoch() {
  captured_.reset();
  warmed_ = capture_tried_ = false;
}

}  // namespace bitblock
