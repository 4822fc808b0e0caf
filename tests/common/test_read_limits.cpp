// Reading files whole (issue 22): only regular files, refused before opening (a FIFO would
// block, /dev/zero never ends); the memory limit a process has (ulimit) bounds what is read;
// intact files read exactly. And the escaping of file-borne text for terminals, CSV, Markdown.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/common/memory.hpp"
#include "bitblock/common/text_escape.hpp"

namespace bitblock {
namespace {

std::string temp_dir() {
  std::string dir = ::testing::TempDir() + "bitblock_read_XXXXXX";
  if (!mkdtemp(dir.data())) throw std::runtime_error("mkdtemp");
  return dir;
}

std::string input_error(const std::string& path) {
  try {
    read_file(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

// read_file(path) in a child process under `ulimit -v` 1 GiB and a 10 s alarm, so that what the
// code before this fix did (block on a FIFO, read /dev/zero until memory ran out) fails the test
// instead of hanging it: the InputError message, or "(killed)".
std::string error_in_child(const std::string& path) {
  int fds[2];
  if (pipe(fds) != 0) return "(pipe failed)";
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    alarm(10);
#ifndef BITBLOCK_ASAN  // ASan reserves terabytes of address space; the alarm still bounds a hang
    const rlimit limit{int64_t{1} << 30, int64_t{1} << 30};
    if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(3);
#endif
    std::string e;
    try {
      e = input_error(path);
    } catch (...) {  // anything but an InputError (std::bad_alloc before this fix)
      _exit(5);
    }
    if (write(fds[1], e.data(), e.size()) != static_cast<ssize_t>(e.size())) _exit(4);
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? out : "(killed)";
}

TEST(ReadFile, IntactFileReadsExactly) {
  const std::string dir = temp_dir();
  std::string bytes(300000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + 3);
  write_file_atomic(dir + "/f", bytes);
  EXPECT_EQ(read_file(dir + "/f"), bytes);
  write_file_atomic(dir + "/empty", "");
  EXPECT_EQ(read_file(dir + "/empty"), "");
  std::filesystem::remove_all(dir);
}

TEST(ReadFile, FifoIsRefusedWithoutBlocking) {
  const std::string dir = temp_dir();
  const std::string fifo = dir + "/train-images-idx3-ubyte";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
  EXPECT_EQ(error_in_child(fifo), fifo + ": cannot read: not a regular file (a FIFO)");
  std::filesystem::remove_all(dir);
}

TEST(ReadFile, DevicesAndDirectoriesAreRefused) {
  EXPECT_EQ(error_in_child("/dev/zero"), "/dev/zero: cannot read: not a regular file (a character device)");
  EXPECT_EQ(error_in_child("/"), "/: cannot read: not a regular file (a directory)");
  EXPECT_NE(input_error("/nonexistent/x").find("/nonexistent/x: cannot open file"), std::string::npos);
}

TEST(ReadFile, MemoryLimitOfTheProcessBoundsWhatIsRead) {
#ifdef BITBLOCK_ASAN
  GTEST_SKIP() << "a memory rlimit cannot hold an AddressSanitizer build (its shadow is terabytes of address space)";
#endif
  const std::string dir = temp_dir();
  const std::string big = dir + "/big";
  write_file_atomic(big, "");
  ASSERT_EQ(truncate(big.c_str(), int64_t{3} << 30), 0);  // sparse: no disk used
  EXPECT_EQ(error_in_child(big).rfind(big + ": reading its 3221225472 bytes whole would need 3.00 GiB, more than the 1.00 GiB", 0), 0u);
  std::filesystem::remove_all(dir);
}

TEST(TextEscape, ControlCharactersQuotesAndPipes) {
  EXPECT_EQ(printable("linear0"), "linear0");
  EXPECT_EQ(printable("a\nb\x1b[31mc\x7f\\"), "a\\nb\\e[31mc\\x7f\\\\");
  EXPECT_EQ(printable(std::string("x\0y", 3)), "x\\x00y");
  EXPECT_EQ(csv_cell("plain"), "plain");
  EXPECT_EQ(csv_cell("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_cell("row\nforged,1"), "\"row\\nforged,1\"");
  EXPECT_EQ(markdown_cell("a|b\n| x |"), "a\\|b\\n\\| x \\|");
}

}  // namespace
}  // namespace bitblock
