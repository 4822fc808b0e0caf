#include "bitblock/framework/model_builder.hpp"

#include <algorithm>

#include "bitblock/common/checked.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/memory.hpp"
#include "bitblock/framework/layers.hpp"

namespace bitblock {

namespace {

// Bytes per weight a training run holds: the weight, its gradient, two optimizer moments and
// the constrained (quantized, masked) copy the forward pass uses.
constexpr int64_t kTrainBytesPerWeight = 5 * 4;
// Bytes per activation value of a batch: the forward output and its gradient.
constexpr int64_t kTrainBytesPerActivation = 2 * 4;

// What training the network needs, summed layer by layer while it is built, so that a model
// too large for this process is bad input named by the layer that tips it over, before
// anything that size is allocated.
struct MemoryBudget {
  int64_t bytes = 0;
  void add(int64_t values, int64_t bytes_each, const std::string& where, const std::string& what) {
    bytes = checked_add(bytes, checked_mul(values, bytes_each, where, what), where, what);
    check_fits_memory(bytes, where, "training the model up to here (" + what + ") would");
  }
};

}  // namespace

int64_t activation_values_per_sample(const Sequential& net, const Shape& input) {
  int64_t values = 0;
  for (const Shape& s : net.shapes(input))
    values = checked_add(values, checked_product(s, "the model", "an activation"), "the model", "the activations");
  return values;
}

void check_batch_fits(const Sequential& net, const Shape& input, int64_t batch, const std::string& key) {
  if (batch < 1) fail_input(key, std::to_string(batch) + " is not a batch size (must be >= 1)");
  const int64_t per_sample = activation_values_per_sample(net, input);
  check_fits_memory(checked_mul(checked_mul(per_sample, batch, key, "a batch"), kTrainBytesPerActivation, key, "a batch"),
                    key, "a batch of " + std::to_string(batch) + " samples through the model would");
}

ModelInput dataset_input(DatasetId dataset) {
  return dataset == DatasetId::Cifar10 ? ModelInput{{3, 32, 32}, 10} : ModelInput{{1, 28, 28}, 10};
}

Sequential build_model(const ExperimentConfig& config, const ModelInput& input, Device device) {
  int num_weight = 0;
  for (const LayerConfig& l : config.layers) num_weight += l.has_weights();

  Sequential net;
  Shape shape = input.shape;
  MemoryBudget budget;
  const int64_t batch = std::max(config.batch_size, config.eval_batch_size);
  int weight_index = 0;
  // Whether the current values are sign activations (+-1): max-pool and flatten keep them so.
  bool signs = false;
  for (size_t i = 0; i < config.layers.size(); ++i) {
    const LayerConfig& l = config.layers[i];
    const std::string key = "model.layers[" + std::to_string(i) + "]";
    auto where = [&](const std::string& sub) { return config.source + ": key " + key + sub; };
    if (l.has_weights()) {
      int64_t rows = l.out;
      int64_t cols = 0;
      if (l.type == LayerType::Linear) {
        if (shape.size() != 1)
          fail_input(config.source, "key '" + key + "': linear needs a flat input, got " + shape_str(shape) +
                                        " (add {type: flatten} before it)");
        cols = shape[0];
      } else {
        if (shape.size() != 3) fail_input(config.source, "key '" + key + "': conv needs a [C,H,W] input, got " + shape_str(shape));
        cols = checked_product({shape[0], l.kernel, l.kernel}, where(""), "the conv fan-in");
      }
      budget.add(checked_mul(rows, cols, where(""), "the weight matrix"), kTrainBytesPerWeight, where(""),
                 "its " + std::to_string(rows) + " x " + std::to_string(cols) + " weights");
      ConstraintSpec spec = resolve_constraint(config, weight_index, num_weight, l);
      validate_constraint(spec, rows, cols, where(".constraint"));
      uint64_t seed = mix_seed(config.seed, 1000 + static_cast<uint64_t>(i));
      auto constraint = std::make_unique<WeightConstraint>(spec, rows, cols, seed);
      Layer& layer =
          l.type == LayerType::Linear
              ? net.add(std::make_unique<Linear>(cols, rows, l.bias, std::move(constraint)))
              : net.add(std::make_unique<Conv2d>(shape[0], rows, l.kernel, l.stride, l.padding, l.bias, std::move(constraint)));
      layer.weights()->set_kernels(config.kernels);
      layer.weights()->set_sign_input(signs);  // conv: zero padding adds 0s, which the binary GEMM handles
      ++weight_index;
    } else if (l.type == LayerType::BatchNorm) {
      net.emplace<BatchNorm>(shape[0]);
    } else if (l.type == LayerType::Act) {
      validate_activation(l.fn, l.bits, l.max, where(""));
      net.emplace<Activation>(l.fn, l.bits, l.max);
    } else if (l.type == LayerType::MaxPool) {
      if (shape.size() != 3) fail_input(config.source, "key '" + key + "': maxpool needs a [C,H,W] input");
      net.emplace<MaxPool2d>(l.kernel, l.stride);
    } else if (l.type == LayerType::Dropout) {
      net.emplace<Dropout>(l.p);
    } else if (l.type == LayerType::Flatten) {
      net.emplace<Flatten>();
    }
    if (l.type != LayerType::MaxPool && l.type != LayerType::Flatten) signs = l.type == LayerType::Act && l.fn == ActFn::Sign;
    try {
      shape = net.layer(net.size() - 1).output_shape(shape);
    } catch (const std::exception& e) {
      fail_input(config.source, "key '" + key + "': " + e.what());
    }
    for (int64_t d : shape)
      if (d < 1) fail_input(config.source, "key '" + key + "': output shape " + shape_str(shape) + " is empty");
    budget.add(checked_mul(checked_product(shape, where(""), "the output shape"), batch, where(""), "a batch of outputs"),
               kTrainBytesPerActivation, where(""), "a batch of " + std::to_string(batch) + " of its " + shape_str(shape) + " outputs");
  }
  if (shape.size() != 1 || shape[0] != input.num_classes)
    fail_input(config.source, "key 'model.layers': the network ends in " + shape_str(shape) + ", the data set has " +
                                  std::to_string(input.num_classes) + " classes");
  net.init(mix_seed(config.seed, 1));
  net.to(device);
  return net;
}

}  // namespace bitblock
