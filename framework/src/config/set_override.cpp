#include "config/set_override.hpp"

#include <vector>

#include "bitblock/common/document.hpp"
#include "bitblock/common/error.hpp"

namespace bitblock::detail {

namespace {

// Splits "model.layers[1].out" into {"model", "layers", "[1]", "out"}.
std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::string cur;
  for (char ch : key) {
    if (ch == '.') {
      if (!cur.empty()) parts.push_back(cur);
      cur.clear();
    } else if (ch == '[') {
      if (!cur.empty()) parts.push_back(cur);
      cur = "[";
    } else if (ch == ']') {
      parts.push_back(cur + "]");
      cur.clear();
    } else {
      cur += ch;
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

}  // namespace

void apply_override(YAML::Node root, const std::string& assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    fail_input("--set " + assignment, "expected key=value (e.g. train.epochs=5)");
  std::string key = assignment.substr(0, eq);
  const YAML::Node value = parse_yaml_document(assignment.substr(eq + 1), "--set " + assignment);
  std::vector<std::string> parts = split_key(key);
  if (parts.empty()) fail_input("--set " + assignment, "expected key=value (e.g. train.epochs=5)");
  // yaml-cpp nodes are handles: walking with reset() keeps the tree shared.
  YAML::Node cur;
  cur.reset(root);
  std::string walked;  // the key up to cur, for messages
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    bool last = i + 1 == parts.size();
    YAML::Node next;
    if (p.front() == '[') {
      size_t idx = 0;
      try {
        idx = std::stoul(p.substr(1, p.size() - 2));
      } catch (const std::exception&) {
        fail_input("--set " + assignment, "bad index " + p);
      }
      if (!cur.IsSequence() || idx >= cur.size())
        fail_input("--set " + assignment, "index " + p + " is out of range");
      if (last) {
        cur[idx] = value;
        return;
      }
      next.reset(cur[idx]);
    } else {
      // A scalar or list on the way (x.y=1 where x is 3) has no keys to set.
      if (!cur.IsMap() && !cur.IsNull())
        fail_input("--set " + assignment, "'" + walked + "' is not a map, it has no key '" + p + "'");
      if (last) {
        cur[p] = value;
        return;
      }
      if (!cur[p]) cur[p] = YAML::Node(YAML::NodeType::Map);
      next.reset(cur[p]);
    }
    walked += p.front() == '[' || walked.empty() ? p : "." + p;
    cur.reset(next);
  }
}

}  // namespace bitblock::detail
