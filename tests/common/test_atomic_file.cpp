// Atomic writes and the clean-up of temporary files that killed processes left behind.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "bitblock/common/atomic_file.hpp"

namespace bitblock {
namespace {

// A pid that belonged to a process which has exited (and been reaped).
pid_t dead_pid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

TEST(AtomicFile, StaleTemporaryFilesOfDeadProcessesAreRemoved) {
  std::string dir = ::testing::TempDir() + "bitblock_stale_XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string dead = std::to_string(dead_pid());
  const std::string alive = std::to_string(getppid());
  write_file_atomic(dir + "/checkpoint.bbc", "new");
  write_file_atomic(dir + "/checkpoint.bbc.tmp." + dead, "torn");
  write_file_atomic(dir + "/curves.png.gp.tmp." + dead, "script");
  write_file_atomic(dir + "/metrics.csv.tmp." + alive, "being written");
  write_file_atomic(dir + "/notes.tmp.txt", "not a temporary file");
  std::vector<std::string> removed = remove_stale_temp_files(dir);
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::string>{"checkpoint.bbc.tmp." + dead, "curves.png.gp.tmp." + dead}));
  EXPECT_EQ(read_file(dir + "/checkpoint.bbc"), "new");
  EXPECT_TRUE(file_exists(dir + "/metrics.csv.tmp." + alive));
  EXPECT_TRUE(file_exists(dir + "/notes.tmp.txt"));
  EXPECT_TRUE(remove_stale_temp_files(dir + "/no_such_folder").empty());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bitblock
