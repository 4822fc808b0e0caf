#pragma once
// printf-style formatting of one number for hwsim's reports, tables and labels.
#include <cstdio>
#include <string>

namespace bitblock::hwsim {

inline std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

}  // namespace bitblock::hwsim
