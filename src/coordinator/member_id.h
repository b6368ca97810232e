// Member ids assigned by the coordinator (KIP-394): the client id (or, for a
// static member, its group.instance.id) + "-" + a random UUID in Java's text
// form, as Kafka's ClassicGroup.generateMemberId makes them.
//
// The randomness is a seeded generator so that the core stays deterministic:
// a simulation replays the same ids from the same seed; the driver seeds it
// from the OS.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace moldau::coordinator {

class MemberIdGenerator {
 public:
  explicit MemberIdGenerator(uint64_t seed) : rng_(seed) {}

  // A random version-4 UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (lower case).
  std::string uuid();

  std::string member_id(std::string_view client_id,
                        const std::optional<std::string>& group_instance_id) {
    std::string prefix(group_instance_id ? std::string_view(*group_instance_id) : client_id);
    return prefix + "-" + uuid();
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace moldau::coordinator
