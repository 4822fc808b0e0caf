#pragma once
// Fully connected layer: y = x W_eff^T + b with W [out, in] (rows = output units) and
// W_eff = constraint->apply(W) when a constraint is set (every forward, training or not),
// else W itself. Backward: dW_eff = dy^T x, then the constraint's straight-through backward
// (only kept weights learn); dx = dy W_eff. The weights, the bias and the path the products take
// (dense masked, or on the kept blocks, rows, columns or elements only) are the weight part,
// weights() (weight_matrix.hpp).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bitblock/framework/constraint.hpp"
#include "bitblock/framework/layer.hpp"
#include "bitblock/framework/weight_matrix.hpp"

namespace bitblock {

class Linear : public Layer {
 public:
  // The constraint, when given, must be sized [out, in]. Weights start at zero:
  // weights()->init() (He uniform with fan_in = in).
  Linear(int64_t in_features, int64_t out_features, bool bias = true,
         std::unique_ptr<WeightConstraint> constraint = nullptr);

  std::string kind() const override { return "linear"; }
  std::string describe() const override;
  Shape output_shape(const Shape& input) const override;
  Tensor forward(const Tensor& x, Context& ctx) override;  // x: [batch, ...] with in features per sample
  Tensor forward_taking(Tensor&& x, Context& ctx) override;  // keeps x itself, not a copy
  Tensor backward(const Tensor& grad_y) override;
  void backward_params(const Tensor& grad_y) override;
  std::vector<Param> params() override { return w_.params(); }
  WeightMatrix* weights() override { return &w_; }
  int64_t macs(const Shape& input) const override;
  void to(const ExecContextPtr& ctx) override;

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }

 private:
  void check_input(const Tensor& x) const;
  Tensor forward_kept_input();  // the output of input_
  Tensor backward_impl(const Tensor& grad_y, bool input_grad);  // dx empty when !input_grad

  int64_t in_, out_;
  WeightMatrix w_;
  Tensor input_;                     // cached forward input, [batch, in]
};

}  // namespace bitblock
