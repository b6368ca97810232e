// Strong integer types for Kafka's ids and offsets (docs/protocol.md, "Strong
// types"): Offset, PartitionId, NodeId, LeaderEpoch, ProducerId, ProducerEpoch.
//
// Each is a distinct StrongInt<Tag, Rep>. It converts implicitly from and to
// its Rep, so code that reads or writes plain integers keeps compiling:
//
//   resp.partition_index = 3;            // int -> PartitionId
//   int32_t p = resp.partition_index;    // PartitionId -> int32_t
//   offset + 1, offset < hw, v[p]        // arithmetic on the Rep
//
// but one strong type never becomes another: C++ allows only one user-defined
// conversion in an implicit conversion sequence, and NodeId -> int32_t ->
// PartitionId needs two. So `partition.leader_id = partition.partition_index`
// or `base_offset = partition_index` does not compile, nor does comparing two
// different strong types. Use `.value()` (or a typed local) where a template
// needs the plain integer (std::max(offset.value(), x), a ternary with an int).
#pragma once

#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>

#include <fmt/format.h>

namespace moldau {

template <typename Tag, std::integral R>
class StrongInt {
 public:
  using Rep = R;

  constexpr StrongInt() noexcept = default;
  // Implicit on purpose: see the comment at the top of the file.
  constexpr StrongInt(Rep v) noexcept : v_(v) {}  // NOLINT(google-explicit-constructor)
  constexpr operator Rep() const noexcept { return v_; }  // NOLINT
  constexpr Rep value() const noexcept { return v_; }

  // In-place arithmetic (operator+ and friends work on the Rep via the
  // conversion and give a Rep; assigning it back is implicit).
  constexpr StrongInt& operator++() noexcept { ++v_; return *this; }
  constexpr StrongInt operator++(int) noexcept { StrongInt t = *this; ++v_; return t; }
  constexpr StrongInt& operator--() noexcept { --v_; return *this; }
  constexpr StrongInt operator--(int) noexcept { StrongInt t = *this; --v_; return t; }
  constexpr StrongInt& operator+=(Rep d) noexcept { v_ = Rep(v_ + d); return *this; }
  constexpr StrongInt& operator-=(Rep d) noexcept { v_ = Rep(v_ - d); return *this; }

  // Comparison within the type, and with any plain integer (mathematically,
  // so -1 < size_t(0) holds).
  friend constexpr bool operator==(StrongInt a, StrongInt b) noexcept { return a.v_ == b.v_; }
  friend constexpr std::strong_ordering operator<=>(StrongInt a, StrongInt b) noexcept {
    return a.v_ <=> b.v_;
  }
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  friend constexpr bool operator==(StrongInt a, T b) noexcept {
    return std::cmp_equal(a.v_, b);
  }
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  friend constexpr std::strong_ordering operator<=>(StrongInt a, T b) noexcept {
    if (std::cmp_less(a.v_, b)) return std::strong_ordering::less;
    if (std::cmp_equal(a.v_, b)) return std::strong_ordering::equal;
    return std::strong_ordering::greater;
  }
  // Two different strong types do not compare (without these, both would
  // convert to their Rep and compare as integers).
  template <typename OtherTag, typename OtherRep>
    requires(!std::same_as<OtherTag, Tag>)
  friend bool operator==(StrongInt, StrongInt<OtherTag, OtherRep>) = delete;
  template <typename OtherTag, typename OtherRep>
    requires(!std::same_as<OtherTag, Tag>)
  friend void operator<=>(StrongInt, StrongInt<OtherTag, OtherRep>) = delete;

 private:
  Rep v_ = 0;
};

// Kafka's offset of a record in a partition (and the offsets derived from
// it: high watermark, log start, last stable offset, ...). -1 = none/unknown.
using Offset = StrongInt<struct OffsetTag, int64_t>;
// Partition index within a topic.
using PartitionId = StrongInt<struct PartitionIdTag, int32_t>;
// Broker / node id (leader, replica, controller, coordinator). -1 = none.
using NodeId = StrongInt<struct NodeIdTag, int32_t>;
// Leader epoch of a partition. -1 = unknown.
using LeaderEpoch = StrongInt<struct LeaderEpochTag, int32_t>;
// Idempotent / transactional producer id. -1 = none.
using ProducerId = StrongInt<struct ProducerIdTag, int64_t>;
// Producer epoch. -1 = none.
using ProducerEpoch = StrongInt<struct ProducerEpochTag, int16_t>;

template <typename T>
inline constexpr bool is_strong_int_v = false;
template <typename Tag, typename Rep>
inline constexpr bool is_strong_int_v<StrongInt<Tag, Rep>> = true;

}  // namespace moldau

template <typename Tag, typename Rep>
struct std::hash<moldau::StrongInt<Tag, Rep>> {
  size_t operator()(moldau::StrongInt<Tag, Rep> v) const noexcept {
    return std::hash<Rep>{}(v.value());
  }
};

template <typename Tag, typename Rep>
struct fmt::formatter<moldau::StrongInt<Tag, Rep>> : fmt::formatter<Rep> {
  template <typename Ctx>
  auto format(moldau::StrongInt<Tag, Rep> v, Ctx& ctx) const -> decltype(ctx.out()) {
    return fmt::formatter<Rep>::format(v.value(), ctx);
  }
};
