#include "base/bytes.h"

#include <unistd.h>

#include <stdexcept>

namespace moldau {

Bytes ByteWriter::flatten() const {
  Bytes out;
  out.reserve(total_);
  for (const auto& c : chunks()) {
    switch (c.kind) {
      case Chunk::Kind::kOwned:
        out.insert(out.end(), buf_.begin() + long(c.begin), buf_.begin() + long(c.end));
        break;
      case Chunk::Kind::kBorrowed:
        out.insert(out.end(), c.borrowed.begin(), c.borrowed.end());
        break;
      case Chunk::Kind::kFile: {
        size_t at = out.size();
        out.resize(at + size_t(c.file.length));
        int64_t done = 0;
        while (done < c.file.length) {
          ssize_t n = ::pread(c.file.fd, out.data() + at + done, size_t(c.file.length - done),
                              c.file.offset + done);
          if (n <= 0) throw std::runtime_error("short read flattening a file region");
          done += n;
        }
        break;
      }
    }
  }
  return out;
}

}  // namespace moldau
