#pragma once
// Child processes without a shell: the program and its arguments are an argument vector passed
// to posix_spawn as they are, so no text (a path, a name, a value from a file) is ever parsed as
// a command line. Programs without a '/' are looked up on PATH here, not by a shell.
#include <string>
#include <vector>

namespace bitblock {

struct ChildIo {
  std::string stdin_path;   // the child's stdin reads this file; empty: /dev/null
  std::string output_path;  // stdout and stderr are appended to this file; empty: /dev/null
  std::string working_dir;  // the child starts here; empty: the parent's working directory
};

// The first executable regular file `name` on PATH (as execvp would find it); "" when there is
// none. A name holding '/' is returned as it is when it is executable.
std::string find_program(const std::string& name);

// Runs argv[0] (found on PATH when it has no '/') with argv, waits, and returns its exit code, or
// 128 + the signal that ended it. InputError naming the program when it cannot be started.
int run_process(const std::vector<std::string>& argv, const ChildIo& io = {});

}  // namespace bitblock
