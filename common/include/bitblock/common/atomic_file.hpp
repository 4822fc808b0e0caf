#pragma once
// Every file a run writes (checkpoints, reports, models, CSVs) goes through here: write to
// "<path>.tmp.<pid>", flush, fsync, rename over <path>. A crash or Ctrl-C leaves either the old
// file or the new one, never a torn one.
#include <string>
#include <string_view>
#include <vector>

namespace bitblock {

void write_file_atomic(const std::string& path, std::string_view bytes);

// Reads a whole regular file; InputError naming the path when it cannot be opened, is not a
// regular file (a FIFO or a device is refused before it is opened), would not fit in memory, or a
// read fails or the file changes size while it is read.
std::string read_file(const std::string& path);

// mkdir -p; throws InputError naming the path on failure.
void make_dirs(const std::string& path);

bool file_exists(const std::string& path);

// Removes the temporary files ("<name>.tmp.<pid>") that processes killed before their rename left
// in dir (not recursive); files of processes still running are kept. Call it only on a folder
// one process owns (a run folder): a process on another machine sharing the folder looks dead.
// Returns the names removed.
std::vector<std::string> remove_stale_temp_files(const std::string& dir);

}  // namespace bitblock
