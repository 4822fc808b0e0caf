// Child processes without a shell (an argument vector, PATH searched here), gnuplot strings that
// carry any text as data, folder names, and the folder lock.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/folder_lock.hpp"
#include "bitblock/common/gnuplot.hpp"
#include "bitblock/common/names.hpp"
#include "bitblock/common/process.hpp"

namespace bitblock {
namespace {

struct Scratch {
  std::string path;
  Scratch() {
    path = ::testing::TempDir() + "bitblock_process_XXXXXX";
    if (!mkdtemp(path.data())) throw std::runtime_error("mkdtemp");
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

TEST(Process, ArgumentsReachTheProgramLiterallyAndNoShellRuns) {
  Scratch dir;
  // Texts a shell would run: none may create the marker.
  const std::string hostile = "a'$(touch " + dir / "M1" + ")`touch " + dir / "M2" + "`; touch " + dir / "M3" + "; '";
  ASSERT_EQ(run_process({"printf", "%s|%s", hostile, "two words"}, {"", dir / "out.txt", ""}), 0);
  EXPECT_EQ(read_file(dir / "out.txt"), hostile + "|two words");
  for (const char* m : {"M1", "M2", "M3"}) EXPECT_FALSE(file_exists(dir / m)) << m;
}

TEST(Process, StdinWorkingDirExitCodesAndSignals) {
  Scratch dir;
  write_file_atomic(dir / "in.txt", "from a file\n");
  std::filesystem::create_directory(dir / "sub");
  ASSERT_EQ(run_process({"cat"}, {dir / "in.txt", dir / "out.txt", ""}), 0);
  EXPECT_EQ(read_file(dir / "out.txt"), "from a file\n");
  // Relative paths of stdin and output are the parent's; the child starts in working_dir.
  ASSERT_EQ(run_process({"pwd"}, {"", dir / "pwd.txt", dir / "sub"}), 0);
  EXPECT_EQ(read_file(dir / "pwd.txt"), std::filesystem::canonical(dir / "sub").string() + "\n");
  EXPECT_EQ(run_process({"false"}), 1);
  EXPECT_EQ(run_process({"sh", "-c", "kill -TERM $$"}), 128 + SIGTERM);
  try {
    run_process({"bitblock-no-such-program"});
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bitblock-no-such-program: program not found"), std::string::npos) << e.what();
  }
  // The output file is not opened through a symbolic link.
  write_file_atomic(dir / "victim", "keep");
  std::filesystem::create_symlink(dir / "victim", dir / "link");
  EXPECT_THROW(run_process({"true"}, {"", dir / "link", ""}), InputError);
  EXPECT_EQ(read_file(dir / "victim"), "keep");
}

TEST(Process, FindProgramSearchesPath) {
  Scratch dir;
  write_file_atomic(dir / "tool", "#!/bin/sh\n");
  write_file_atomic(dir / "plain", "not executable");
  ::chmod((dir / "tool").c_str(), 0755);
  const char* old = std::getenv("PATH");
  const std::string saved = old ? old : "";
  setenv("PATH", ("/nonexistent:" + dir.path).c_str(), 1);
  EXPECT_EQ(find_program("tool"), dir / "tool");
  EXPECT_EQ(find_program("plain"), "");
  EXPECT_EQ(find_program("sh"), "");  // not on this PATH
  setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(find_program(dir / "tool"), dir / "tool");
  EXPECT_EQ(find_program(""), "");
}

TEST(Gnuplot, QuotedStringsAndDataFields) {
  EXPECT_EQ(gnuplot_quote("plain"), "'plain'");
  EXPECT_EQ(gnuplot_quote("x'; system('touch X'); print '"), "'x''; system(''touch X''); print '''");
  EXPECT_EQ(gnuplot_quote("a\nsystem('x')\r`y` @m \\"), "'a system(''x'') `y` @m \\'");
  EXPECT_EQ(gnuplot_data_field("run \"1\"\tb"), "\"run '1' b\"");
}

// gnuplot itself reads the quoted strings back as the same text and runs nothing.
TEST(Gnuplot, HostileTextsStayText) {
  if (!gnuplot_available()) GTEST_SKIP() << "gnuplot is not installed";
  Scratch dir;
  const std::string text = "x'; system('touch " + dir / "M1" + "'); print '`touch " + dir / "M2" + "`\nsystem('touch " +
                           dir / "M3" + "')";
  const std::string script = "set print " + gnuplot_quote(dir / "printed.txt") + "\nprint " + gnuplot_quote(text) + "\n";
  ASSERT_TRUE(run_gnuplot_script(script, dir / "s.gp"));
  std::string expected = text;
  for (char& c : expected)
    if (c == '\n') c = ' ';
  EXPECT_EQ(read_file(dir / "printed.txt"), expected + "\n");
  for (const char* m : {"M1", "M2", "M3"}) EXPECT_FALSE(file_exists(dir / m)) << m;
  EXPECT_FALSE(run_gnuplot_script("this is not gnuplot\n", dir / "bad.gp"));
}

TEST(Names, FolderNames) {
  for (const char* ok : {"mnist_mlp_3b_8x", "a", "ratio-4", "b1.5", "R2D2"}) EXPECT_EQ(folder_name_problem(ok), "") << ok;
  for (const char* bad : {"", ".", "..", "../x", "a/b", ".hidden", "-rf", "a b", "r$(touch X)", "o`x`", "a'b", "tab\tx",
                          "\xc3\xa9"})
    EXPECT_NE(folder_name_problem(bad), "") << bad;
  EXPECT_EQ(folder_name_problem(std::string(kMaxFolderNameLength, 'a')), "");
  EXPECT_NE(folder_name_problem(std::string(kMaxFolderNameLength + 1, 'a')), "");
  EXPECT_EQ(printable("a\nb\x1b"), "a?b?");
}

// A lock held by another process names its pid; the kernel releases it when that process dies
// (here: SIGKILL), so the lock file it leaves blocks nobody.
TEST(FolderLock, SecondHolderGetsThePidAndADeadHolderBlocksNobody) {
  Scratch dir;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  if (child == 0) {
    close(ready[0]);
    try {
      FolderLock lock(dir.path, "run folder");
      if (write(ready[1], "x", 1) != 1) _exit(3);
      pause();
    } catch (...) {
      _exit(2);
    }
    _exit(0);
  }
  close(ready[1]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  try {
    FolderLock second(dir.path, "run folder");
    ADD_FAILURE() << "locked twice";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(dir.path + ": the run folder is in use by process " + std::to_string(child)), std::string::npos)
        << what;
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(file_exists(dir / folder_lock_name()));
  FolderLock mine(dir.path, "run folder");
  EXPECT_EQ(read_file(dir / folder_lock_name()), std::to_string(getpid()) + "\n");
}

}  // namespace
}  // namespace bitblock
