#include "bitblock/framework/core_watch.hpp"

#include <omp.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

namespace bitblock {

int team_for(int requested, int cores, double others) {
  const int left = cores - static_cast<int>(std::lround(std::max(0.0, others)));
  return std::max(1, std::min(requested, left));
}

int64_t busy_jiffies(const std::string& cpu_line) {
  std::istringstream in(cpu_line);
  std::string name;
  int64_t v[7];
  in >> name;
  for (int64_t& x : v)
    if (!(in >> x)) return -1;
  // user nice system idle iowait irq softirq
  return v[0] + v[2] + v[5] + v[6];
}

int64_t process_jiffies(const std::string& stat_text) {
  const size_t close = stat_text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream in(stat_text.substr(close + 1));
  std::string field;
  // Fields 3..13 (state .. cmajflt), then utime (14) and stime (15).
  for (int i = 3; i <= 13; ++i)
    if (!(in >> field)) return -1;
  int64_t utime = 0, stime = 0;
  if (!(in >> utime >> stime)) return -1;
  return utime + stime;
}

CoreWatch::CoreWatch(int requested) : requested_(requested), team_(requested) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus_.push_back(c);
  }
  last_ = std::chrono::steady_clock::now();
  if (requested_ > 1) sample(last_busy_, last_own_);
}

bool CoreWatch::sample(int64_t& busy, int64_t& own) const {
  std::ifstream stat("/proc/stat");
  std::string line;
  busy = 0;
  size_t found = 0;
  while (std::getline(stat, line)) {
    if (line.compare(0, 3, "cpu") != 0 || line.size() < 4 || line[3] == ' ') continue;
    const int cpu = std::atoi(line.c_str() + 3);
    if (!std::binary_search(cpus_.begin(), cpus_.end(), cpu)) continue;
    const int64_t b = busy_jiffies(line);
    if (b < 0) return false;
    busy += b;
    ++found;
  }
  std::ifstream self("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(self)), std::istreambuf_iterator<char>());
  own = process_jiffies(text);
  return found == cpus_.size() && found > 0 && own >= 0;
}

std::string CoreWatch::tick() {
  if (requested_ <= 1 || last_busy_ < 0) return "";
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - last_).count();
  if (seconds < 1.0) return "";
  int64_t busy = 0, own = 0;
  if (!sample(busy, own)) return "";
  const double jiffies = seconds * static_cast<double>(sysconf(_SC_CLK_TCK));
  const double others = static_cast<double>((busy - last_busy_) - (own - last_own_)) / jiffies;
  last_ = now;
  last_busy_ = busy;
  last_own_ = own;
  const int team = team_for(requested_, static_cast<int>(cpus_.size()), others);
  if (team == team_) return "";
  team_ = team;
  omp_set_num_threads(team_);
  char buf[160];
  std::snprintf(buf, sizeof(buf), "threads: %d of %d (other processes keep %.1f of %zu cores busy)", team_,
                requested_, std::max(0.0, others), cpus_.size());
  return buf;
}

}  // namespace bitblock
