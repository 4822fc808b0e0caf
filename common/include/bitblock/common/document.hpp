#pragma once
// Every JSON and YAML document bitblock reads (configs, sweep files, hwsim tech and arch files,
// model file and checkpoint headers) is parsed here, with the same limits for all: a syntax
// error, nesting deeper than kMaxDocumentDepth, a key that appears twice in one map, a map key
// that is not a plain string and (YAML) more than kMaxDocumentNodes nodes after alias expansion
// are InputErrors "<where>: <problem>". Deep nesting would otherwise overflow the stack of
// recursive code that copies or walks the tree; the node budget stops alias bombs; a duplicate
// key would silently pick one of two values.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace bitblock {

constexpr int kMaxDocumentDepth = 64;
constexpr int64_t kMaxDocumentNodes = 1'000'000;

nlohmann::json parse_json_document(std::string_view text, const std::string& where);
YAML::Node parse_yaml_document(const std::string& text, const std::string& where);
// The YAML limits on a tree built or changed in memory (a config after its --set overrides).
void check_yaml_document(const YAML::Node& root, const std::string& where);

// Typed fields of a JSON object read from a file. A missing key, a value of another type, an
// integer outside [lo, hi] (floats are not integers) or a non-finite number is an InputError
// "<where>: <key>: <problem>".
const nlohmann::json& json_field(const nlohmann::json& object, const std::string& key, const std::string& where);
int64_t json_int(const nlohmann::json& object, const std::string& key, int64_t lo, int64_t hi,
                 const std::string& where);
double json_number(const nlohmann::json& object, const std::string& key, const std::string& where);
std::string json_string(const nlohmann::json& object, const std::string& key, const std::string& where);
// The same checks on a value (an array element), named by `where`.
int64_t json_int_value(const nlohmann::json& value, int64_t lo, int64_t hi, const std::string& where);

}  // namespace bitblock
