#include "bitblock/common/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

#include "bitblock/common/error.hpp"
#include "bitblock/common/memory.hpp"

namespace bitblock {

namespace {

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a plain file";
}

struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

}  // namespace

void write_file_atomic(const std::string& path, std::string_view bytes) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail_input(path, std::string("cannot create temporary file: ") + std::strerror(errno));
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail_input(path, std::string("write failed: ") + std::strerror(err));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail_input(path, std::string("flush failed: ") + std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail_input(path, std::string("rename failed: ") + std::strerror(err));
  }
}

std::string read_file(const std::string& path) {
  // Only regular files: a FIFO would block the read forever and a device (/dev/zero) never
  // ends. Checked before opening (opening a FIFO for reading blocks too) and again on the open
  // descriptor, which O_NONBLOCK keeps from blocking if the path was swapped in between.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail_input(path, std::string("cannot open file: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail_input(path, std::string("cannot read: not a regular file (") + file_kind(st.st_mode) + ")");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail_input(path, std::string("cannot open file: ") + std::strerror(errno));
  const FdCloser closer{fd};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) fail_input(path, "cannot read: not a regular file");
  const auto size = static_cast<int64_t>(st.st_size);
  check_fits_memory(size, path, "reading its " + std::to_string(size) + " bytes whole would");
  std::string bytes;
  try {
    bytes.resize(static_cast<size_t>(size));
  } catch (const std::bad_alloc&) {
    fail_input(path, "cannot read: no memory for its " + std::to_string(size) + " bytes");
  }
  int64_t have = 0;
  // One byte more than the size: a file that grows while it is read is reported, not cut.
  char extra = 0;
  for (;;) {
    char* dst = have < size ? bytes.data() + have : &extra;
    const size_t want = have < size ? static_cast<size_t>(size - have) : 1;
    const ssize_t n = ::read(fd, dst, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_input(path, std::string("read failed: ") + std::strerror(errno));
    }
    if (n == 0) break;
    if (have >= size) fail_input(path, "grew while it was being read (" + std::to_string(size) + " bytes at the start)");
    have += n;
  }
  if (have != size)
    fail_input(path, "shrank while it was being read (" + std::to_string(have) + " of " + std::to_string(size) +
                         " bytes read)");
  return bytes;
}

void make_dirs(const std::string& path) {
  if (path.empty()) return;
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    cur = path.substr(0, pos);
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST)
      fail_input(cur, std::string("cannot create directory: ") + std::strerror(errno));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) fail_input(path, "not a directory");
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::vector<std::string> remove_stale_temp_files(const std::string& dir) {
  std::vector<std::string> removed;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return removed;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    const size_t at = name.rfind(".tmp.");
    if (at == std::string::npos || at == 0) continue;
    const std::string pid_text = name.substr(at + 5);
    if (pid_text.empty() || pid_text.size() > 9 || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stol(pid_text));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    if (::unlink((dir + "/" + name).c_str()) == 0) removed.push_back(name);
  }
  ::closedir(d);
  return removed;
}

}  // namespace bitblock
