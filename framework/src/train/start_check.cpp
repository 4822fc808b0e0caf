#include "train/start_check.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

#include "bitblock/common/rng.hpp"
#include "bitblock/framework/batch_source.hpp"
#include "bitblock/framework/model_builder.hpp"
#include "bitblock/framework/optimizer.hpp"
#include "train/step.hpp"

namespace bitblock {

void check_run_starts(const ExperimentConfig& config, const DataSplits& data, Device device) {
  const Dataset& train_set = data.train;
  ModelInput input{{train_set.channels, train_set.height, train_set.width}, train_set.num_classes};
  Sequential net = build_model(config, input, device);
  Optimizer optimizer(optimizer_settings(config), net.params());
  BatchSource batches(train_set, {config.norm_mean, config.norm_std}, {config.crop_padding, config.hflip},
                      config.batch_size, net.context());
  TrainStep step(net, optimizer, batches, config.loss, config.batch_size);
  const int64_t n = train_set.size();
  const int64_t first = std::min<int64_t>(config.batch_size, n);
  const int64_t last = n % config.batch_size;
  std::vector<int64_t> order(static_cast<size_t>(std::max<int64_t>(first, 1)));
  std::iota(order.begin(), order.end(), int64_t{0});
  const double lr = config.optimizer.lr;
  if (first > 0) step.run(order.data(), first, Rng(config.seed), lr);
  if (last > 0 && last != first) step.run(order.data(), last, Rng(config.seed), lr);
  step.end_epoch();
}

}  // namespace bitblock
