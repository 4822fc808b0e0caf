#pragma once
// The --set engine: "dotted.key=value" assignments applied to the YAML tree before it is read.
#include <yaml-cpp/yaml.h>

#include <string>

namespace bitblock::detail {

// Sets root's node at the key (e.g. "model.layers[1].out"; a list index must exist, maps on the
// way are made) to the value parsed as YAML. InputError "--set <assignment>: ..." otherwise.
void apply_override(YAML::Node root, const std::string& assignment);

}  // namespace bitblock::detail
