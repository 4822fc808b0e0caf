#include "bitblock/framework/model_builder.hpp"

#include "bitblock/common/checked.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/memory.hpp"
#include "bitblock/framework/layers.hpp"

namespace bitblock {

namespace {

// A layer too large for this machine is bad input, named by its key, not an allocation failure:
// `values` floats (a weight matrix, or a batch of a layer's outputs) must fit in memory.
void check_fits(int64_t values, const std::string& what, const std::string& where) {
  check_fits_memory(checked_mul(values, 4, where, what), where, what);
}

}  // namespace

ModelInput dataset_input(const std::string& dataset) {
  if (dataset == "mnist" || dataset == "fashion_mnist") return {{1, 28, 28}, 10};
  if (dataset == "cifar10") return {{3, 32, 32}, 10};
  fail_input("data.set", "unknown data set '" + dataset + "'");
}

Sequential build_model(const ExperimentConfig& config, const ModelInput& input, Device device) {
  int num_weight = 0;
  for (const LayerConfig& l : config.layers) num_weight += (l.type == "linear" || l.type == "conv");

  Sequential net;
  Shape shape = input.shape;
  int weight_index = 0;
  // Whether the current values are sign activations (+-1): max-pool and flatten keep them so.
  bool signs = false;
  const KernelChoice kernels = parse_kernel_choice(config.kernels, config.source + ": key train.kernels");
  for (size_t i = 0; i < config.layers.size(); ++i) {
    const LayerConfig& l = config.layers[i];
    const std::string key = "model.layers[" + std::to_string(i) + "]";
    auto where = [&](const std::string& sub) { return config.source + ": key " + key + sub; };
    if (l.type == "linear" || l.type == "conv") {
      int64_t rows = l.out;
      int64_t cols = 0;
      if (l.type == "linear") {
        if (shape.size() != 1)
          fail_input(config.source, "key '" + key + "': linear needs a flat input, got " + shape_str(shape) +
                                        " (add {type: flatten} before it)");
        cols = shape[0];
      } else {
        if (shape.size() != 3) fail_input(config.source, "key '" + key + "': conv needs a [C,H,W] input, got " + shape_str(shape));
        cols = checked_product({shape[0], l.kernel, l.kernel}, where(""), "the conv fan-in");
      }
      check_fits(checked_mul(rows, cols, where(""), "the weight matrix"),
                 "its " + std::to_string(rows) + " x " + std::to_string(cols) + " weights", where(""));
      ConstraintSpec spec = resolve_constraint(config, weight_index, num_weight, l);
      validate_constraint(spec, rows, cols, where(".constraint"));
      uint64_t seed = mix_seed(config.seed, 1000 + static_cast<uint64_t>(i));
      auto constraint = std::make_unique<WeightConstraint>(spec, rows, cols, seed);
      if (l.type == "linear") {
        Linear& layer = net.emplace<Linear>(cols, rows, l.bias, std::move(constraint));
        layer.set_kernels(kernels);
        layer.set_sign_input(signs);
      } else {
        Conv2d& layer = net.emplace<Conv2d>(shape[0], rows, l.kernel, l.stride, l.padding, l.bias, std::move(constraint));
        layer.set_kernels(kernels);
        layer.set_sign_input(signs);  // zero padding adds 0s, which the binary GEMM handles
      }
      ++weight_index;
    } else if (l.type == "batchnorm") {
      net.emplace<BatchNorm>(shape[0]);
    } else if (l.type == "act") {
      ActFn fn = parse_act_fn(l.fn, where(".fn"));
      validate_activation(fn, l.bits, l.max, where(""));
      net.emplace<Activation>(fn, l.bits, l.max);
    } else if (l.type == "maxpool") {
      if (shape.size() != 3) fail_input(config.source, "key '" + key + "': maxpool needs a [C,H,W] input");
      net.emplace<MaxPool2d>(l.kernel, l.stride);
    } else if (l.type == "dropout") {
      net.emplace<Dropout>(l.p);
    } else if (l.type == "flatten") {
      net.emplace<Flatten>();
    }
    if (l.type != "maxpool" && l.type != "flatten") signs = l.type == "act" && l.fn == "sign";
    try {
      shape = net.layer(net.size() - 1).output_shape(shape);
    } catch (const std::exception& e) {
      fail_input(config.source, "key '" + key + "': " + e.what());
    }
    for (int64_t d : shape)
      if (d < 1) fail_input(config.source, "key '" + key + "': output shape " + shape_str(shape) + " is empty");
    check_fits(checked_mul(checked_product(shape, where(""), "the output shape"),
                           std::max(config.batch_size, config.eval_batch_size), where(""), "a batch of outputs"),
               "a batch of its " + shape_str(shape) + " outputs", where(""));
  }
  if (shape.size() != 1 || shape[0] != input.num_classes)
    fail_input(config.source, "key 'model.layers': the network ends in " + shape_str(shape) + ", the data set has " +
                                  std::to_string(input.num_classes) + " classes");
  net.init(mix_seed(config.seed, 1));
  net.to(device);
  return net;
}

}  // namespace bitblock
