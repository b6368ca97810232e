#include "metadata/topic_id.h"

#include <random>

namespace moldau::metadata {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int decode_char(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

TopicId TopicId::from_halves(uint64_t most, uint64_t least) {
  std::array<uint8_t, kSize> b{};
  for (int i = 0; i < 8; ++i) {
    b[i] = uint8_t(most >> (56 - 8 * i));
    b[8 + i] = uint8_t(least >> (56 - 8 * i));
  }
  return TopicId(b);
}

uint64_t TopicId::most_significant() const {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | bytes_[i];
  return v;
}

uint64_t TopicId::least_significant() const {
  uint64_t v = 0;
  for (int i = 8; i < 16; ++i) v = (v << 8) | bytes_[i];
  return v;
}

TopicId TopicId::random() {
  // std::random_device reads the kernel's entropy pool on Linux; ids are rare
  // (one per topic), so a fresh draw each time costs nothing that matters.
  static thread_local std::random_device device;
  for (;;) {
    std::array<uint8_t, kSize> b{};
    for (size_t i = 0; i < kSize; i += 4) {
      uint32_t r = device();
      for (int j = 0; j < 4; ++j) b[i + j] = uint8_t(r >> (8 * j));
    }
    b[6] = uint8_t((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = uint8_t((b[8] & 0x3f) | 0x80);  // IETF variant
    TopicId id(b);
    if (id.is_zero() || id.to_string()[0] == '-') continue;
    return id;
  }
}

std::string TopicId::to_string() const {
  std::string out;
  out.reserve(kTextSize);
  // 16 bytes = 5 groups of 3 bytes (20 chars) + 1 byte (2 chars).
  size_t i = 0;
  for (; i + 3 <= kSize; i += 3) {
    uint32_t v = uint32_t(bytes_[i]) << 16 | uint32_t(bytes_[i + 1]) << 8 | bytes_[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  uint32_t v = uint32_t(bytes_[i]) << 16;
  out += kAlphabet[(v >> 18) & 63];
  out += kAlphabet[(v >> 12) & 63];
  return out;
}

std::optional<TopicId> TopicId::parse(std::string_view text) {
  if (text.size() != kTextSize) return std::nullopt;
  std::array<uint8_t, kSize> b{};
  size_t out = 0;
  for (size_t i = 0; i + 4 <= 20; i += 4) {
    uint32_t v = 0;
    for (size_t j = 0; j < 4; ++j) {
      int d = decode_char(text[i + j]);
      if (d < 0) return std::nullopt;
      v = (v << 6) | uint32_t(d);
    }
    b[out++] = uint8_t(v >> 16);
    b[out++] = uint8_t(v >> 8);
    b[out++] = uint8_t(v);
  }
  int d0 = decode_char(text[20]), d1 = decode_char(text[21]);
  if (d0 < 0 || d1 < 0) return std::nullopt;
  // The last character carries 2 bits of data and 4 bits that must be zero;
  // anything else is not the canonical encoding of any id.
  if (d1 & 0x0f) return std::nullopt;
  b[out] = uint8_t(d0 << 2 | d1 >> 4);
  return TopicId(b);
}

}  // namespace moldau::metadata
