#include "coordinator/offsets_expiry.h"

namespace moldau::coordinator {

ExpiredOffsets expired_offsets(const Group& group, const OffsetMap& offsets, int64_t now_ms,
                               int64_t retention_ms) {
  enum class Base { kCommit, kStateChange };
  std::optional<Base> base;
  if (!group.protocol_type()) {
    base = Base::kCommit;
  } else if (group.state() == GroupState::kEmpty) {
    base = Base::kStateChange;
  } else if (group.uses_consumer_protocol() && group.subscribed_topics() &&
             group.state() == GroupState::kStable) {
    base = Base::kCommit;
  }
  ExpiredOffsets out;
  if (!base) {
    out.all_expired = offsets.empty();
    return out;
  }
  for (const auto& [tp, o] : offsets) {
    bool expired = false;
    if (!group.is_subscribed_to(tp.topic)) {
      if (o.expire_timestamp_ms) {
        expired = now_ms >= *o.expire_timestamp_ms;
      } else {
        int64_t since = o.commit_timestamp_ms;
        if (*base == Base::kStateChange && group.current_state_timestamp_ms() >= 0) {
          since = group.current_state_timestamp_ms();
        }
        expired = now_ms - since >= retention_ms;
      }
    }
    if (expired) {
      out.partitions.push_back(tp);
    } else {
      out.all_expired = false;
    }
  }
  return out;
}

}  // namespace moldau::coordinator
