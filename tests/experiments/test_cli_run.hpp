#pragma once
// Runs the real `bitblock` binary for the CLI tests: exit code, stdout and stderr of one call,
// and a background start (fork/exec) for signalling a running command.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "framework/tiny_mnist.hpp"

namespace bitblock::testing_support {

inline const std::string& bitblock_binary() {
  static const std::string path = std::string(BITBLOCK_BINARY_DIR) + "/bitblock";
  return path;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Replaces `to` by a copy of the folder `from`.
inline void copy_tree(const std::string& from, const std::string& to) {
  std::filesystem::remove_all(to);
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

inline std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct CliResult {
  int code = -1;          // exit status; -1 when killed by a signal
  std::string out, err;
  // Non-empty stderr lines.
  std::vector<std::string> err_lines() const {
    std::vector<std::string> lines;
    std::istringstream in(err);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) lines.push_back(line);
    return lines;
  }
};

// `bitblock <args>` in folder cwd (args are passed through the shell as written).
inline CliResult run_bitblock(const std::string& args, const std::string& cwd) {
  const std::string out_file = cwd + "/.cli_stdout", err_file = cwd + "/.cli_stderr";
  const std::string cmd = "cd " + quoted(cwd) + " && " + quoted(bitblock_binary()) + " " + args + " >" +
                          quoted(out_file) + " 2>" + quoted(err_file);
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out_file);
  r.err = slurp(err_file);
  std::remove(out_file.c_str());
  std::remove(err_file.c_str());
  return r;
}

// Exit 2 and exactly one stderr line, "bitblock <command>: error: ...", holding every fragment
// (docs/robustness.md's bad-input promise).
inline void expect_one_error_line(const CliResult& r, const std::string& command,
                                  const std::vector<std::string>& fragments) {
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  const std::vector<std::string> lines = r.err_lines();
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(lines[0].rfind("bitblock " + command + ": error: ", 0), 0u) << lines[0];
  for (const std::string& f : fragments) EXPECT_NE(lines[0].find(f), std::string::npos) << f << " missing: " << lines[0];
}

// Runs `bitblock <args>` in cwd and expects that of it.
inline void expect_bad_input(const std::string& args, const std::string& cwd, const std::string& command,
                             const std::vector<std::string>& fragments) {
  SCOPED_TRACE("bitblock " + args);
  expect_one_error_line(run_bitblock(args, cwd), command, fragments);
}

// Starts `bitblock <argv...>` in cwd with stdout/stderr to files there; returns the pid.
inline pid_t spawn_bitblock(const std::vector<std::string>& args, const std::string& cwd) {
  const std::string out_file = cwd + "/.bg_stdout", err_file = cwd + "/.bg_stderr";
  std::vector<std::string> owned = {bitblock_binary()};
  owned.insert(owned.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : owned) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(126);
    const int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) _exit(126);
    dup2(out, 1);
    dup2(err, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// Waits for the child; returns its exit status, or 128 + signal when a signal ended it.
inline int wait_exit(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Polls until file holds text or the child exits or timeout passes; true when the text appeared.
inline bool wait_for_text(const std::string& file, const std::string& text, pid_t pid, double timeout_s) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < timeout_s) {
    if (slurp(file).find(text) != std::string::npos) return true;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;  // already gone (reaped here)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace bitblock::testing_support
