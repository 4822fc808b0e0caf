// Reading data files that may be stored raw or gzip-compressed (Debian ships Fashion-MNIST as
// .gz). Decompression is done in memory with zlib's inflate so every failure mode (bad header,
// corrupt data, truncated stream) is reported precisely.
#include <zlib.h>

#include <algorithm>
#include <limits>
#include <string>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"
#include "bitblock/framework/dataset.hpp"

namespace bitblock {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// RAII for a z_stream set up for gzip decoding.
struct Inflater {
  z_stream zs{};
  explicit Inflater(const std::string& where) {
    // 16 + MAX_WBITS: expect a gzip header and trailer (CRC32 and length are checked by zlib).
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) fail_input(where, "cannot initialise zlib");
  }
  ~Inflater() { inflateEnd(&zs); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
};

// Inflates into out until the stream ends or out holds `limit` bytes. More data than that is an
// error when `strict` (the caller's size limit), else where the caller stops reading (a prefix).
std::string inflate_upto(std::string_view compressed, const std::string& where, uint64_t limit, bool strict) {
  if (compressed.size() < 18 || static_cast<uint8_t>(compressed[0]) != 0x1f ||
      static_cast<uint8_t>(compressed[1]) != 0x8b)
    fail_input(where, "not a gzip file (missing gzip header)");
  if (compressed.size() > std::numeric_limits<uInt>::max())
    fail_input(where, "gzip file too large");

  // The trailer's ISIZE (uncompressed length mod 2^32) is a good first guess for the output.
  // It is only the file's claim: reserve no more than the limit and than deflate can produce
  // from this many bytes (at most 1032 output bytes per input byte).
  size_t n = compressed.size();
  uint32_t isize = uint32_t{static_cast<uint8_t>(compressed[n - 4])} |
                   (uint32_t{static_cast<uint8_t>(compressed[n - 3])} << 8) |
                   (uint32_t{static_cast<uint8_t>(compressed[n - 2])} << 16) |
                   (uint32_t{static_cast<uint8_t>(compressed[n - 1])} << 24);
  std::string out;
  out.reserve(static_cast<size_t>(std::min<uint64_t>({isize, limit, uint64_t{1032} * n})));

  Inflater inf(where);
  inf.zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  inf.zs.avail_in = static_cast<uInt>(compressed.size());
  char chunk[1 << 16];
  for (;;) {
    inf.zs.next_out = reinterpret_cast<Bytef*>(chunk);
    inf.zs.avail_out = sizeof(chunk);
    int rc = inflate(&inf.zs, Z_NO_FLUSH);
    const size_t got = sizeof(chunk) - inf.zs.avail_out;
    if (got > limit - out.size()) {
      if (strict)
        fail_input(where, "decompresses to more than the " + std::to_string(limit) +
                              " bytes its header declares (stopped there)");
      out.append(chunk, static_cast<size_t>(limit - out.size()));
      return out;
    }
    out.append(chunk, got);
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members are one valid file; anything else after the end is not.
      if (inf.zs.avail_in == 0) break;
      if (inf.zs.avail_in >= 2 && inf.zs.next_in[0] == 0x1f && inf.zs.next_in[1] == 0x8b) {
        inflateReset(&inf.zs);
        continue;
      }
      fail_input(where, "unexpected bytes after the end of the gzip stream");
    }
    if (rc == Z_BUF_ERROR && inf.zs.avail_in == 0)
      fail_input(where, "truncated gzip stream (ends before the compressed data does)");
    if (rc == Z_DATA_ERROR)
      fail_input(where, std::string("corrupt gzip data: ") + (inf.zs.msg ? inf.zs.msg : "invalid"));
    if (rc == Z_MEM_ERROR) fail_input(where, "out of memory while decompressing");
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      fail_input(where, "gzip decompression failed (zlib code " + std::to_string(rc) + ")");
  }
  return out;
}

std::string read_gzip(const std::string& path, const DeclaredSize& declared) {
  const std::string compressed = read_file(path);
  if (!declared.total) return gunzip(compressed, path);
  const std::string header = gunzip_prefix(compressed, path, declared.header_bytes);
  return gunzip(compressed, path, declared.total(header, path));
}

}  // namespace

std::string gunzip(std::string_view compressed, const std::string& where, uint64_t max_bytes) {
  return inflate_upto(compressed, where, max_bytes, true);
}

std::string gunzip_prefix(std::string_view compressed, const std::string& where, size_t n) {
  return inflate_upto(compressed, where, n, false);
}

std::string read_maybe_gzip(const std::string& path, const DeclaredSize& declared) {
  if (ends_with(path, ".gz")) return read_gzip(path, declared);
  if (file_exists(path)) return read_file(path);
  std::string gz = path + ".gz";
  if (file_exists(gz)) return read_gzip(gz, declared);
  fail_input(path, "missing (neither " + path + " nor " + gz + " exists)");
}

}  // namespace bitblock
