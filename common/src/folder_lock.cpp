#include "bitblock/common/folder_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bitblock/common/error.hpp"

namespace bitblock {

FolderLock::FolderLock(const std::string& dir, const std::string& what) {
  const std::string path = dir + "/" + folder_lock_name();
  // O_NOFOLLOW: a planted symlink must not make us truncate another file.
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) fail_input(path, "cannot open the " + what + "'s lock file: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) fail_input(path, "cannot lock the " + what + ": " + std::strerror(err));
    std::string pid(buf, n > 0 ? static_cast<size_t>(n) : 0);
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    fail_input(dir, "the " + what + " is in use by " + (pid.empty() ? std::string("another process") : "process " + pid) +
                        " (it holds " + path + "); wait for it to end, or use another folder");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  // The pid is for the message above only; the lock itself is the flock.
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    fail_input(path, "cannot write the " + what + "'s lock file: " + std::strerror(err));
  }
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace bitblock
