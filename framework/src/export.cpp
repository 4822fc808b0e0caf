#include "bitblock/framework/export.hpp"

#include <cmath>
#include <filesystem>

#include "bitblock/common/error.hpp"
#include "bitblock/framework/layers.hpp"
#include "bitblock/kernels/bsr.hpp"
#include "bitblock/model/infer.hpp"
#include "bitblock/model/model_file.hpp"

namespace bitblock {

model::Network export_network(Sequential& net, const ExperimentConfig& config, const ModelInput& input,
                              const nlohmann::json& training_metadata, const std::string& where) {
  model::Network out;
  out.dataset = to_string(config.dataset);
  out.input = {static_cast<int>(input.shape[0]), static_cast<int>(input.shape[1]), static_cast<int>(input.shape[2])};
  out.num_classes = input.num_classes;
  out.training = training_metadata;
  double s_in = 0.0;
  if (config.norm_mean == 0.0f) {
    out.input_mode = model::InputMode::Pixel;
    s_in = 1.0 / (255.0 * config.norm_std);
  } else if (config.norm_mean == 0.5f) {
    out.input_mode = model::InputMode::Centered;
    s_in = 1.0 / (510.0 * config.norm_std);
  } else {
    fail_input(where, "data.normalize.mean must be 0 or 0.5 for integer inference (input codes p or 2p-255)");
  }
  out.input_scale = s_in;

  std::vector<size_t> weight_layers;
  for (size_t i = 0; i < net.size(); ++i)
    if (net.layer(i).constraint()) weight_layers.push_back(i);
  std::vector<Shape> shapes = net.shapes(input.shape);

  for (size_t w = 0; w < weight_layers.size(); ++w) {
    const size_t li = weight_layers[w];
    const bool last = w + 1 == weight_layers.size();
    const size_t end = last ? net.size() : weight_layers[w + 1];
    Layer& layer = net.layer(li);
    const std::string lname = "layer " + std::to_string(li) + " (" + layer.kind() + ")";
    WeightMatrix& part = *layer.weights();  // a layer with a constraint has a weight part
    WeightConstraint& constraint = *part.constraint();
    const int64_t rows = part.rows(), cols = part.cols();
    const ConstraintSpec& spec = constraint.spec();
    if (spec.weight_bits == 32)
      fail_input(where, lname + ": float (32-bit) weights cannot run integer-only; use weight_bits 1..8");

    model::Stage st;
    st.name = layer.kind() + std::to_string(li);
    const Shape& in_shape = shapes[li];
    if (auto* conv = dynamic_cast<Conv2d*>(&layer)) {
      st.op = model::OpKind::Conv;
      st.input = {static_cast<int>(in_shape[0]), static_cast<int>(in_shape[1]), static_cast<int>(in_shape[2])};
      st.kernel = conv->kernel();
      st.stride = conv->stride();
      st.padding = conv->padding();
    } else {
      st.op = model::OpKind::Dense;
      st.input = {static_cast<int>(shape_numel(in_shape)), 1, 1};
    }

    // apply() fixes the scales scale_of_row() reports for these weights (a restored checkpoint
    // has run no forward pass yet).
    const Tensor& weight = part.weight();
    Tensor effective(weight.shape());
    constraint.apply(weight, effective);
    std::vector<int8_t> codes = constraint.codes(weight);
    std::vector<float> row_scales(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) row_scales[static_cast<size_t>(r)] = constraint.scale_of_row(r);
    auto [br, bc] = unit_block_shape(spec, rows, cols);
    st.weights = kernels::bsr_pack(codes.data(), constraint.mask().data(), rows, cols, br, bc, spec.weight_bits,
                                   row_scales.data());

    // Real pre-activation per channel: x = A * acc + B, built up layer by layer.
    std::vector<double> A(static_cast<size_t>(rows)), B(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
      A[static_cast<size_t>(r)] = s_in * row_scales[static_cast<size_t>(r)];
      B[static_cast<size_t>(r)] = part.has_bias() ? part.bias()[r] : 0.0;
    }
    bool seen_bn = false, seen_act = false;
    model::ActKind act = model::ActKind::None;
    int act_bits = 32;
    double step_scale = 1.0;   // x -> z multiplier for the activation
    double next_s_in = 1.0;
    for (size_t j = li + 1; j < end; ++j) {
      Layer& f = net.layer(j);
      const std::string fname = "layer " + std::to_string(j) + " (" + f.kind() + ")";
      if (auto* bn = dynamic_cast<BatchNorm*>(&f)) {
        if (seen_bn || seen_act) fail_input(where, fname + ": batch-norm must follow the weight layer directly");
        for (int64_t c = 0; c < rows; ++c) {
          const double g = double(bn->gamma()[c]) / std::sqrt(double(bn->running_var()[c]) + double(bn->eps()));
          A[static_cast<size_t>(c)] *= g;
          B[static_cast<size_t>(c)] = g * (B[static_cast<size_t>(c)] - double(bn->running_mean()[c])) + double(bn->beta()[c]);
        }
        seen_bn = true;
      } else if (auto* pool = dynamic_cast<MaxPool2d*>(&f)) {
        if (st.pool.active()) fail_input(where, fname + ": one max-pool per stage");
        st.pool.size = pool->kernel();
        st.pool.stride = pool->stride();
        // Before batch-norm the pool acts on acc; resolved after A is final (slope check below).
        st.pool.placement = (seen_bn || seen_act) ? model::PoolPlacement::Codes : model::PoolPlacement::Acc;
      } else if (auto* a = dynamic_cast<Activation*>(&f)) {
        if (seen_act) fail_input(where, fname + ": one activation per stage");
        if (last) fail_input(where, fname + ": the last weight layer feeds the logits; no activation after it");
        seen_act = true;
        if (a->fn() == ActFn::Sign) {
          act = model::ActKind::Sign;
          act_bits = 1;
          step_scale = 1.0;
          next_s_in = 1.0;
        } else if (a->fn() == ActFn::Relu && a->bits() <= 8) {
          const double L = double((1 << a->bits()) - 1);
          act = model::ActKind::Unsigned;
          act_bits = a->bits();
          step_scale = L / double(a->max());
          next_s_in = double(a->max()) / L;
        } else if (a->fn() == ActFn::Hardtanh && a->bits() <= 8) {
          const double L = double((1 << (a->bits() - 1)) - 1);
          act = model::ActKind::Signed;
          act_bits = a->bits();
          step_scale = L;
          next_s_in = 1.0 / L;
        } else {
          fail_input(where, fname + ": " + std::string(to_string(a->fn())) + " with " + std::to_string(a->bits()) +
                                " bits is not integer (use sign, or relu/hardtanh with bits 2..8)");
        }
      } else if (f.kind() != "dropout" && f.kind() != "flatten") {
        fail_input(where, fname + ": cannot fold into stage " + st.name);
      }
    }
    if (!last && !seen_act)
      fail_input(where, "layer " + std::to_string(li) + ": needs a quantized activation before the next weight layer");
    if (st.pool.active() && st.pool.placement == model::PoolPlacement::Acc && seen_bn) {
      // Training pooled y (= increasing in acc) and then applied batch-norm; the integer pool
      // picks the largest z, which is the same only where the slope is positive.
      for (size_t c = 0; c < A.size(); ++c)
        if (A[c] < 0.0)
          fail_input(where, "stage " + st.name + ": max-pool before batch-norm with a negative batch-norm slope in "
                            "channel " + std::to_string(c) + " is not exact in integers; put the pool after the activation");
    }
    for (size_t c = 0; c < A.size(); ++c) {
      A[c] *= step_scale;
      B[c] *= step_scale;
    }
    st.act = act;
    st.act_bits = act == model::ActKind::None ? 32 : act_bits;
    st.constraint = {spec.structure, spec.selection == Selection::Magnitude,
                     spec.scale == ScaleMode::PerRow, spec.ratio};
    // The accumulator bound needs the stage in the network (its input range).
    out.stages.push_back(std::move(st));
    model::Stage& s = out.stages.back();
    const int64_t bound = model::accumulator_bound(s, model::stage_input_range(out, out.stages.size() - 1));
    model::Requant rq = model::make_requant(A, B, act, bound);
    s.mult = std::move(rq.mult);
    s.bias = std::move(rq.bias);
    s.shift = rq.shift;
    s_in = next_s_in;
  }
  model::validate_network(out, where);
  return out;
}

ExportOutcome export_model_file(Sequential& net, const ExperimentConfig& config, const Dataset& test,
                                const nlohmann::json& training_metadata, const std::string& path) {
  ExportOutcome out;
  const ModelInput input{{test.channels, test.height, test.width}, test.num_classes};
  model::Network network;
  try {
    network = export_network(net, config, input, training_metadata, path);
  } catch (const InputError& e) {
    out.reason = e.what();
    return out;
  }
  model::save_model({network, 0}, path);
  out.written = true;
  out.file_bytes = static_cast<int64_t>(std::filesystem::file_size(path));
  model::InferenceResult r = model::run_inference(network, test.images.data(), test.size());
  out.integer_accuracy = model::accuracy(r.classes, test.labels.data());
  return out;
}

}  // namespace bitblock
