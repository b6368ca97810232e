// A topic's permanent identity: 16 random bytes, as Kafka's Uuid (KIP-516).
//
// The text form is Kafka's: URL-safe base64 of the 16 bytes without padding,
// 22 characters. The all-zero id means "no id" (Kafka's Uuid.ZERO_UUID).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace moldau::metadata {

class TopicId {
 public:
  static constexpr size_t kSize = 16;
  static constexpr size_t kTextSize = 22;

  constexpr TopicId() = default;
  explicit constexpr TopicId(const std::array<uint8_t, kSize>& bytes) : bytes_(bytes) {}
  // From the two 64-bit halves, most significant first (Kafka's wire order).
  static TopicId from_halves(uint64_t most, uint64_t least);

  // A random version-4 id that is not zero and whose text does not start with
  // '-' (Kafka avoids those so that an id is never mistaken for a command-line
  // flag).
  static TopicId random();
  // Parses the 22-character text form; nullopt when malformed.
  static std::optional<TopicId> parse(std::string_view text);

  bool is_zero() const { return *this == TopicId(); }
  explicit operator bool() const { return !is_zero(); }
  const std::array<uint8_t, kSize>& bytes() const { return bytes_; }
  uint64_t most_significant() const;
  uint64_t least_significant() const;
  std::string to_string() const;

  friend constexpr bool operator==(const TopicId&, const TopicId&) = default;
  friend constexpr auto operator<=>(const TopicId&, const TopicId&) = default;

 private:
  std::array<uint8_t, kSize> bytes_{};
};

}  // namespace moldau::metadata

template <>
struct std::hash<moldau::metadata::TopicId> {
  size_t operator()(const moldau::metadata::TopicId& id) const noexcept {
    return std::hash<uint64_t>()(id.most_significant() ^ (id.least_significant() * 0x9e3779b97f4a7c15ull));
  }
};
