#pragma once
// Threads on a shared machine. While another process keeps a core busy, an OpenMP team as large
// as the machine waits at every barrier for the thread that shares that core: two threads then
// train slower than one (cifar10_small on the 2-core VM: 299 against 554 samples/s). CoreWatch
// reads, about once a second, the CPU time the cores this process may run on spent, and this
// process's own, and sets the OpenMP team to the requested threads or the cores the others leave,
// whichever is fewer. Only OpenMP's team changes: bitblock's own kernels split no sum across
// threads, so the results stay those of the requested thread count; OpenBLAS keeps its threads.
// Processes at a positive nice value are not counted: they yield the core.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace bitblock {

// The team for `requested` threads on `cores` cores while other processes keep `others` cores
// busy: min(requested, cores - round(others)), at least 1.
int team_for(int requested, int cores, double others);

// Busy jiffies of one "cpuN ..." line of /proc/stat: user + system + irq + softirq (nice, idle,
// iowait and steal excluded). -1 when the line has too few fields.
int64_t busy_jiffies(const std::string& cpu_line);

// utime + stime of /proc/<pid>/stat's text (fields 14 and 15, counted after the command name's
// closing parenthesis, which may itself hold spaces). -1 when unreadable.
int64_t process_jiffies(const std::string& stat_text);

class CoreWatch {
 public:
  explicit CoreWatch(int requested);
  // Call once per training step. At most once a second it measures and, when the team changes,
  // sets it and returns a line for the log; "" otherwise.
  std::string tick();
  int team() const { return team_; }

 private:
  bool sample(int64_t& busy, int64_t& own) const;

  int requested_, team_;
  std::vector<int> cpus_;  // the CPUs this process may run on
  std::chrono::steady_clock::time_point last_;
  int64_t last_busy_ = -1, last_own_ = -1;
};

}  // namespace bitblock
