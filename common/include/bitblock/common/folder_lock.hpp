#pragma once
// An exclusive lock on a folder a process writes into (a run folder, a sweep folder): flock on
// <dir>/.lock, which holds the holder's pid. The kernel releases a flock when its holder dies,
// however it dies, so a lock file left by a killed process never blocks. The descriptor is
// close-on-exec: child processes do not inherit the lock.
#include <string>

namespace bitblock {

class FolderLock {
 public:
  // Locks `dir` (which must exist) or throws InputError naming the folder and the holder's pid.
  // `what` says what is writing there, for that message ("run folder", "sweep folder").
  FolderLock(const std::string& dir, const std::string& what);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

// The lock file's name inside a locked folder.
inline const char* folder_lock_name() { return ".lock"; }

}  // namespace bitblock
