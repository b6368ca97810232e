#include "protocol/uuid.h"

#include <array>
#include <random>

namespace moldau::protocol {
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

std::array<uint8_t, 16> to_bytes(const Uuid& u) {
  std::array<uint8_t, 16> b{};
  for (int i = 0; i < 8; ++i) {
    b[i] = uint8_t(u.hi >> (56 - 8 * i));
    b[8 + i] = uint8_t(u.lo >> (56 - 8 * i));
  }
  return b;
}

}  // namespace

std::string Uuid::to_string() const {
  auto b = to_bytes(*this);
  std::string out;
  out.reserve(22);
  // 16 bytes = 5 groups of 3 bytes (20 chars) + 1 byte (2 chars, no padding).
  for (size_t i = 0; i + 3 <= b.size(); i += 3) {
    uint32_t v = (uint32_t(b[i]) << 16) | (uint32_t(b[i + 1]) << 8) | b[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  uint32_t last = b[15];
  out += kAlphabet[(last >> 2) & 63];
  out += kAlphabet[(last << 4) & 63];
  return out;
}

std::optional<Uuid> Uuid::parse(std::string_view text) {
  if (text.size() == 24 && text.substr(22) == "==") text = text.substr(0, 22);
  if (text.size() != 22) return std::nullopt;
  std::array<uint8_t, 16> b{};
  size_t out = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = decode_char(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (out == b.size()) return std::nullopt;
      b[out++] = uint8_t(acc >> bits);
    }
  }
  // 22 chars = 132 bits: 128 used, the last 4 must be zero (canonical form).
  if (out != 16 || (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  Uuid u;
  for (int i = 0; i < 8; ++i) {
    u.hi = (u.hi << 8) | b[i];
    u.lo = (u.lo << 8) | b[8 + i];
  }
  return u;
}

Uuid Uuid::random() {
  static thread_local std::mt19937_64 rng{[] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }()};
  for (;;) {
    Uuid u{rng(), rng()};
    u.hi = (u.hi & ~uint64_t(0xf000)) | 0x4000;                      // version 4
    u.lo = (u.lo & ~(uint64_t(0xc) << 60)) | (uint64_t(0x8) << 60);  // IETF variant
    if (u.is_zero() || u == metadata_topic()) continue;
    if (u.to_string()[0] == '-') continue;
    return u;
  }
}

}  // namespace moldau::protocol
