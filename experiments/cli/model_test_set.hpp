#pragma once
// The test split a .bbm model runs on (eval --model, hwsim), checked against its input shape.
#include <string>

#include "bitblock/framework/dataset.hpp"
#include "bitblock/model/network.hpp"

namespace bitblock::cli {

// dataset "" = the data set named in the model file. InputError naming model_path on mismatch.
Dataset model_test_set(const model::Network& net, const std::string& dataset, const std::string& data_dir,
                       const std::string& model_path);

}  // namespace bitblock::cli
