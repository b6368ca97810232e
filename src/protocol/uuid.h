// Kafka's 128-bit Uuid (topic ids, directory ids): 16 bytes on the wire,
// big-endian, all zero meaning "none". Its text form is the 16 bytes in
// URL-safe base64 without padding (22 characters), as Kafka prints it.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace moldau::protocol {

struct Uuid {
  uint64_t hi = 0;  // most significant 8 bytes (first on the wire)
  uint64_t lo = 0;

  static constexpr Uuid zero() { return {}; }
  // Kafka reserves 0...01 for the metadata topic.
  static constexpr Uuid metadata_topic() { return {0, 1}; }

  bool is_zero() const { return hi == 0 && lo == 0; }
  auto operator<=>(const Uuid&) const = default;

  // A random version-4 Uuid that is neither zero nor reserved and whose text
  // form does not start with '-' (Kafka's rules for generated ids).
  static Uuid random();
  // 22-character URL-safe base64 text form.
  std::string to_string() const;
  // Parses the text form; nullopt unless it is exactly 16 bytes of base64url
  // (padding "==" tolerated).
  static std::optional<Uuid> parse(std::string_view text);
};

}  // namespace moldau::protocol
