// JSON and YAML documents: the limits every reader gets (depth, duplicate keys, plain-string
// keys, alias expansion) and the typed JSON fields.
#include <gtest/gtest.h>

#include <string>

#include "bitblock/common/document.hpp"
#include "bitblock/common/error.hpp"
#include "common/alias_bomb.hpp"

namespace bitblock {
namespace {

using nlohmann::json;

// Runs f, expects an InputError whose message starts with `where: ` and holds `fragment`.
template <typename F>
void expect_input_error(F&& f, const std::string& where, const std::string& fragment) {
  try {
    f();
    FAIL() << "no error, expected '" << fragment << "'";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(where + ": ", 0), 0u) << what;
    EXPECT_NE(what.find(fragment), std::string::npos) << what;
  }
}

std::string nested_json(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(JsonDocument, ParsesWithinTheLimits) {
  const json j = parse_json_document(R"({"a": [1, {"b": "x"}], "c": 2.5})", "h");
  EXPECT_EQ(j["a"][1]["b"], "x");
  EXPECT_EQ(j["c"], 2.5);
  EXPECT_EQ(parse_json_document(nested_json(kMaxDocumentDepth), "h").size(), 1u);
  // The same key in two different objects is fine.
  EXPECT_NO_THROW(parse_json_document(R"({"a": {"k": 1}, "b": {"k": 2}})", "h"));
}

TEST(JsonDocument, DeepNestingIsAnErrorNotACrash) {
  expect_input_error([] { parse_json_document(nested_json(kMaxDocumentDepth + 1), "m.bbm"); }, "m.bbm", "nested deeper");
  // A few hundred thousand levels (the reported crash) stop at the limit, long before the end.
  expect_input_error([] { parse_json_document(nested_json(300000), "m.bbm"); }, "m.bbm", "nested deeper than 64");
  expect_input_error([] { parse_json_document(std::string(300000, '{'), "m.bbm"); }, "m.bbm", "");
}

TEST(JsonDocument, DuplicateKeysAndSyntaxErrors) {
  expect_input_error([] { parse_json_document(R"({"shift": 3, "shift": 4})", "m.bbm"); }, "m.bbm",
                     "key 'shift' appears twice");
  expect_input_error([] { parse_json_document(R"({"a": {"x": 1, "x": 1}})", "m.bbm"); }, "m.bbm", "'x'");
  expect_input_error([] { parse_json_document(R"({"a": 1,})", "h.json"); }, "h.json", "invalid JSON");
  expect_input_error([] { parse_json_document("", "h.json"); }, "h.json", "invalid JSON");
}

TEST(JsonFields, TypesAndRanges) {
  const json j = json::parse(R"({"i": 7, "big": 18446744073709551615, "neg": -3, "f": 2.0, "s": "x", "n": null})");
  EXPECT_EQ(json_int(j, "i", 0, 10, "w"), 7);
  EXPECT_EQ(json_int(j, "neg", -3, 0, "w"), -3);
  EXPECT_EQ(json_number(j, "f", "w"), 2.0);
  EXPECT_EQ(json_number(j, "i", "w"), 7.0);
  EXPECT_EQ(json_string(j, "s", "w"), "x");
  expect_input_error([&] { json_int(j, "i", 0, 6, "m.bbm: stage 1"); }, "m.bbm: stage 1", "i: 7 is outside 0..6");
  expect_input_error([&] { json_int(j, "big", 0, INT64_MAX, "w"); }, "w", "big: 18446744073709551615 is outside");
  expect_input_error([&] { json_int(j, "f", 0, 10, "w"); }, "w", "f: expected an integer, found number");
  expect_input_error([&] { json_int(j, "missing", 0, 10, "w"); }, "w", "missing: missing");
  expect_input_error([&] { json_number(j, "s", "w"); }, "w", "s: expected a number, found string");
  expect_input_error([&] { json_string(j, "n", "w"); }, "w", "n: expected a string, found null");
  expect_input_error([&] { json_int(json::array({1}), "i", 0, 1, "w"); }, "w", "expected a JSON object");
  expect_input_error([] { json_int_value(json(1e300), 0, 10, "shape[0]"); }, "shape[0]", "expected an integer");
}

TEST(YamlDocument, ParsesWithinTheLimits) {
  const YAML::Node n = parse_yaml_document("a: {b: [1, 2]}\nc: &x {d: 1}\ne: *x\n", "cfg.yaml");
  EXPECT_EQ(n["a"]["b"][1].as<int>(), 2);
  EXPECT_EQ(n["e"]["d"].as<int>(), 1);
  std::string deep;
  for (int i = 0; i < kMaxDocumentDepth; ++i) deep += "[";
  deep += "1";
  for (int i = 0; i < kMaxDocumentDepth; ++i) deep += "]";
  EXPECT_NO_THROW(parse_yaml_document(deep, "cfg.yaml"));
}

TEST(YamlDocument, DuplicateKeysAreErrorsNamingTheLine) {
  expect_input_error([] { parse_yaml_document("train:\n  epochs: 5\n  epochs: 20\n", "cfg.yaml"); }, "cfg.yaml",
                     "line 3: key 'epochs' appears twice");
}

TEST(YamlDocument, NonStringKeysDeepNestingAndAliasBombs) {
  expect_input_error([] { parse_yaml_document("? [a, b]\n: 1\n", "arch.yaml"); }, "arch.yaml",
                     "a map key must be a plain string");
  std::string deep;
  for (int i = 0; i < kMaxDocumentDepth + 1; ++i) deep += "[";
  for (int i = 0; i < kMaxDocumentDepth + 1; ++i) deep += "]";
  expect_input_error([&] { parse_yaml_document(deep, "arch.yaml"); }, "arch.yaml", "nested deeper than 64");
  const std::string bomb = testing_support::alias_bomb_yaml();
  expect_input_error([&] { parse_yaml_document(bomb, "bomb.yaml"); }, "bomb.yaml", "nodes (after expanding aliases)");
  expect_input_error([] { parse_yaml_document("a: [1, 2\n", "bad.yaml"); }, "bad.yaml", "invalid YAML");
}

}  // namespace
}  // namespace bitblock
