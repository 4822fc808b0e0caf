#include "bitblock/common/process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "bitblock/common/error.hpp"

extern char** environ;

namespace bitblock {

namespace {

// posix_spawn's file actions, destroyed on every path out.
struct FileActions {
  posix_spawn_file_actions_t actions;
  FileActions() { posix_spawn_file_actions_init(&actions); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
};

// A descriptor closed on every path out; close-on-exec, so only the child it is handed to (by
// dup2 onto 0, 1 or 2) keeps it, not children other threads start meanwhile.
struct Fd {
  int fd = -1;
  Fd(const std::string& path, int flags) : fd(::open(path.c_str(), flags | O_CLOEXEC | O_NOFOLLOW, 0644)) {
    if (fd < 0 && errno == ELOOP) fail_input(path, "is a symbolic link (not followed for a child process's input or output)");
    if (fd < 0) fail_input(path, std::string("cannot open: ") + std::strerror(errno));
  }
  ~Fd() { ::close(fd); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

bool executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string find_program(const std::string& name) {
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) return executable_file(name) ? name : "";
  const char* path = std::getenv("PATH");
  // execvp's default search path when PATH is unset.
  const std::string dirs = path ? path : "/bin:/usr/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = end == start ? "." : dirs.substr(start, end - start);  // an empty entry is "."
    const std::string candidate = dir + "/" + name;
    if (executable_file(candidate)) return candidate;
    start = end + 1;
  }
  return "";
}

int run_process(const std::vector<std::string>& argv, const ChildIo& io) {
  if (argv.empty()) throw std::logic_error("run_process: no program");
  const std::string program = find_program(argv[0]);
  if (program.empty()) fail_input(argv[0], "program not found (searched PATH)");
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  const Fd in(io.stdin_path.empty() ? "/dev/null" : io.stdin_path, O_RDONLY);
  const Fd out(io.output_path.empty() ? "/dev/null" : io.output_path, O_WRONLY | O_CREAT | O_APPEND);
  FileActions fa;
  posix_spawn_file_actions_adddup2(&fa.actions, in.fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa.actions, out.fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa.actions, out.fd, STDERR_FILENO);
  if (!io.working_dir.empty()) posix_spawn_file_actions_addchdir_np(&fa.actions, io.working_dir.c_str());
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, program.c_str(), &fa.actions, nullptr, args.data(), environ);
  if (rc != 0) fail_input(argv[0], "cannot start: " + std::string(std::strerror(rc)));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) fail_input(argv[0], "cannot wait for it: " + std::string(std::strerror(errno)));
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace bitblock
